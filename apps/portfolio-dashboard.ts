// The portfolio dashboard (ui://pandgate/portfolio-dashboard.html): renders the structured result
// of Get_Portfolio_Result: the job's counts, its energy label distribution, value bands and WWS sectors (bars
// with their numbers as text), a table of every count that sorts by any column (header buttons,
// aria-sort), the failures, and the result spreadsheets. Only what the result holds is shown.
import { type JobSummary, SECTOR_WORDS, type SectorClass } from "../src/jobs/summary";
import { el, facts, section, startApp, utc } from "./common";

interface Row {
  group: string;
  item: string;
  count: number;
  /** Position in the result (labels best first, bands low to high): the "as given" order. */
  order: number;
}

function pct(n: number, of: number): string {
  return of > 0 ? `${Math.round((100 * n) / of)} %` : "–";
}

/** A bar chart as a list: each bar's label and count are text; the bar only repeats the number. */
function bars(title: string, id: string, counts: Record<string, number>, of: number, empty: string): HTMLElement {
  const entries = Object.entries(counts);
  const max = Math.max(1, ...entries.map(([, n]) => n));
  return section(
    title,
    id,
    entries.length === 0
      ? el("p", {}, empty)
      : el(
          "ul",
          { class: "bars" },
          ...entries.map(([name, n]) =>
            el(
              "li",
              {},
              el("span", { class: "bar-name" }, name),
              el("span", { class: "bar", "aria-hidden": "true" }, barFill((100 * n) / max)),
              el("span", { class: "bar-count" }, `${n} (${pct(n, of)})`),
            ),
          ),
        ),
  );
}

/** The filled part of a bar, sized through the CSSOM (the app's CSP allows no inline style attributes). */
function barFill(percent: number): HTMLElement {
  const fill = el("span");
  fill.style.width = `${percent}%`;
  return fill;
}

type Key = "group" | "item" | "count";
const COLUMNS: Array<[Key, string]> = [
  ["group", "Group"],
  ["item", "Item"],
  ["count", "Count"],
];

/** The table of every count; a column header's button sorts by it (again: the other way). */
function countsTable(rows: Row[], assessed: number): HTMLElement {
  const table = el("table", { class: "sortable" });
  const caption = el("caption", {}, "Counts by energy label, value band and risk flag. Sort with the column buttons.");
  const tbody = el("tbody");
  const heads = new Map<Key, HTMLTableCellElement>();
  let sort: { key: Key | null; dir: "ascending" | "descending" } = { key: null, dir: "ascending" };
  const status = el("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
  const fill = () => {
    const sorted = [...rows].sort((a, b) => {
      if (!sort.key) return a.order - b.order;
      const x = a[sort.key];
      const y = b[sort.key];
      const c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), "en", { numeric: true });
      return (sort.dir === "ascending" ? c : -c) || a.order - b.order;
    });
    tbody.replaceChildren(
      ...sorted.map((r) =>
        el(
          "tr",
          {},
          el("td", {}, r.group),
          el("th", { scope: "row" }, r.item),
          el("td", { class: "num" }, String(r.count)),
          el("td", { class: "num" }, pct(r.count, assessed)),
        ),
      ),
    );
    for (const [key, th] of heads) {
      if (sort.key === key) th.setAttribute("aria-sort", sort.dir);
      else th.removeAttribute("aria-sort");
    }
  };
  const headRow = el("tr");
  for (const [key, label] of COLUMNS) {
    const button = el("button", { type: "button", "data-sort": key }, label);
    const th = el("th", { scope: "col" }, button);
    if (key === "count") th.classList.add("num");
    heads.set(key, th);
    button.addEventListener("click", () => {
      sort = { key, dir: sort.key === key && sort.dir === "ascending" ? "descending" : "ascending" };
      fill();
      status.textContent = `Sorted by ${label}, ${sort.dir}.`;
    });
    headRow.append(th);
  }
  headRow.append(el("th", { scope: "col", class: "num" }, "Share of assessed"));
  table.append(caption, el("thead", {}, headRow), tbody);
  fill();
  return el("div", { class: "table-wrap" }, table, status);
}

function render(data: Record<string, unknown>, root: HTMLElement): void {
  const s = data as unknown as JobSummary;
  const rows: Row[] = [];
  const add = (group: string, counts: Record<string, number>) => {
    for (const [item, count] of Object.entries(counts)) rows.push({ group, item, count, order: rows.length });
  };
  add("Energy label", s.labelCounts);
  add("Value band", s.valueBands);
  add("Risk flag", s.riskCounts);
  // A summary saved before sector counts existed has none.
  const sectors = Object.fromEntries(
    s.sectorCounts ? (Object.keys(SECTOR_WORDS) as SectorClass[]).map((k) => [SECTOR_WORDS[k], s.sectorCounts[k]]) : [],
  );
  // Every dwelling with an estimate by the sector of its most likely total (the undecided ones included).
  const likely: Record<string, number> = { ...(s.sectorCounts?.mostLikely ?? {}) };
  root.append(
    el("header", {}, el("h1", {}, "Portfolio result"), el("p", { class: "muted" }, `Job ${s.jobId}`)),
    section(
      "Job",
      "h-job",
      facts([
        ["State", s.state],
        [
          "Addresses",
          `${s.assessed} of ${s.total} assessed; ${s.failed} failed${s.duplicatesDropped ? `; ${s.duplicatesDropped} duplicates assessed once` : ""}`,
        ],
        ["Started", utc(s.createdAt)],
        ["Finished", s.finishedAt ? utc(s.finishedAt) : "not yet"],
        ["Saved assessments", `${s.assessmentIds.length + (s.moreAssessmentIds ?? 0)}`],
      ]),
    ),
    bars("Energy labels", "h-labels", s.labelCounts, s.assessed, "No assessments."),
    bars("Value midpoints", "h-values", s.valueBands, s.assessed, "No assessments."),
    el("p", { class: "note" }, "Midpoints of indicative ranges: indications, not valuations."),
    bars("WWS sectors", "h-sectors", sectors, s.assessed, "No assessments."),
    bars("WWS sectors by most likely total", "h-sectors-likely", likely, s.assessed, "No estimates."),
    el(
      "p",
      { class: "note" },
      "Estimates from registers and stated defaults, not formal points counts (that needs an inspection); points, range and maximum rent per address are in the spreadsheets.",
    ),
    section("All counts", "h-counts", rows.length > 0 ? countsTable(rows, s.assessed) : el("p", {}, "No counts.")),
    section(
      "Failures",
      "h-failures",
      s.failures.length === 0
        ? el("p", {}, "None.")
        : el(
            "table",
            {},
            el("caption", {}, `${s.failed} failed address(es)${s.moreFailures ? `; the first ${s.failures.length} are listed` : ""}`),
            el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Input"), el("th", { scope: "col" }, "Reason"))),
            el("tbody", {}, ...s.failures.map((f) => el("tr", {}, el("th", { scope: "row" }, f.input), el("td", {}, f.reason)))),
          ),
    ),
    section(
      "Result spreadsheets",
      "h-downloads",
      s.downloads
        ? el(
            "p",
            {},
            "One row per address: ",
            el("a", { href: s.downloads.xlsx, target: "_blank", rel: "noopener" }, "Excel"),
            ", ",
            el("a", { href: s.downloads.csv, target: "_blank", rel: "noopener" }, "CSV"),
            ` (links for you only, valid until ${utc(s.downloads.expiresAt)}).`,
          )
        : el("p", {}, "Not yet written: ask for the result again once the job has ended."),
    ),
  );
}

startApp("pandgate portfolio dashboard", render);

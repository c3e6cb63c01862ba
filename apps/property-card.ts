// The property card (ui://pandgate/property-card.html): renders the structured result of
// Get_Property_Data (register facts: address, use, area, build year, parcel, monument) or of
// Quick_Assess_Property (label, indicative value against the neighbourhood, risks). It shows what
// the result holds and nothing else: a fact the result leaves null is "unknown" with the reason
// the result gives, a fact the result does not carry says which tool gives it.
import { describeGap, el, eur, facts, type Gap, type Source, section, sourceList, startApp, unknown, utc } from "./common";

interface Risk {
  severity: string;
  evidence: string;
  source: string;
}
interface Factor {
  name: string;
  value: number;
  applied: boolean;
  source: string;
  period: string;
  note: string;
}
/** The union of the two results' fields the card reads; each is optional, since one tool gives some, the other the rest. */
interface Result {
  address: { addressId: string; label: string; municipality?: string | null };
  unit?: { id: string; kind: string; surfaceM2: number | null; usePurposes: string[]; status: string; dwellingType: string | null } | null;
  buildings?: Array<{ id: string; buildYear: number | null; status: string }>;
  buildYear?: number | null;
  parcel?: { id: string; areaM2: number | null; designation: string | null; source: Source } | null;
  monument?: { number: number; url: string | null; source: Source } | null;
  // Quick_Assess_Property
  assessmentId?: string;
  assessedAt?: string;
  engineVersion?: string;
  value?: {
    low: number;
    mid: number;
    high: number;
    rangePct: number;
    confidence: string;
    basis: { eurPerM2: number; eurPerM2Source: string; surfaceM2: number; valueBasis?: { woz?: { period?: string | null } } };
    factors?: Factor[];
    neighbourhoodCheck?: { ratio: number | null; band: [number, number]; withinBand: boolean | null; reason: string | null } | null;
  } | null;
  valueUnavailableReason?: string | null;
  energy?: {
    label: string | null;
    status: string;
    method: string | null;
    ep2KwhM2: number | null;
    validUntil: string | null;
    ageYears: number | null;
    substituteLabelForBuildYear: string | null;
  };
  neighbourhoodContext?: { code: string; name: string; avgWozEur: number | null; note: string } | null;
  registerChecks?: Risk[];
  risks?: Risk[];
  locationFlags?: Risk[];
  dataGaps?: string[];
  disclaimer?: string;
  registerGaps: Gap[];
  sources: Source[];
}

const isAssessment = (r: Result) => r.assessmentId !== undefined;

function gapFor(r: Result, field: Gap["fields"][number]): Gap | undefined {
  return r.registerGaps.find((g) => g.fields.includes(field) && g.stale === null);
}

function render(data: Record<string, unknown>, root: HTMLElement): void {
  const r = data as unknown as Result;
  const assessment = isAssessment(r);
  const header = el(
    "header",
    {},
    el("h1", {}, r.address.label),
    el("p", { class: "muted" }, `BAG address id ${r.address.addressId}`),
    assessment && r.assessedAt
      ? el("p", { class: "muted" }, `Assessed ${utc(r.assessedAt)} with ${r.engineVersion}; assessment ${r.assessmentId}`)
      : null,
  );
  root.append(header);
  if (assessment) root.append(valueSection(r), energySection(r));
  root.append(registerSection(r));
  if (assessment) root.append(risksSection(r));
  const gaps = gapsSection(r);
  if (gaps) root.append(gaps);
  root.append(section("Sources", "h-sources", sourceList(r.sources)));
  if (r.sources.some((s) => s.synthetic)) root.append(el("p", { class: "note" }, "Synthetic demonstration data, not real registers."));
  if (r.disclaimer) root.append(el("p", { class: "note" }, r.disclaimer));
  if (!assessment)
    root.append(
      el("p", { class: "note" }, "Energy label, indicative value and risks are not part of this answer: Quick_Assess_Property gives them."),
    );
}

function registerSection(r: Result): HTMLElement {
  const rows: Array<[string, ReturnType<typeof el> | string | Array<ReturnType<typeof el> | string>]> = [];
  if (r.unit !== undefined) {
    const u = r.unit;
    const unitGap = gapFor(r, "unit");
    rows.push(
      ["Use", u ? u.usePurposes.join(", ") || "no use purpose registered" : unknown(unitGap?.reason)],
      ["Usable area", u ? (u.surfaceM2 === null ? unknown() : `${u.surfaceM2} m²`) : unknown(unitGap?.reason)],
      ["Unit", u ? `${u.kind} ${u.id}; ${u.status}${u.dwellingType ? `; ${u.dwellingType}` : ""}` : unknown(unitGap?.reason)],
    );
  } else if (r.value?.basis.surfaceM2 !== undefined) {
    rows.push(["Usable area", `${r.value.basis.surfaceM2} m² (as used for the value)`]);
  }
  rows.push([
    "Build year",
    r.buildYear === null || r.buildYear === undefined ? (r.buildYear === null ? "none registered" : unknown()) : String(r.buildYear),
  ]);
  if (r.buildings && r.buildings.length > 0)
    rows.push(["Building(s)", r.buildings.map((b) => `${b.id} (built ${b.buildYear ?? "unknown"}, ${b.status})`).join("; ")]);
  if (r.parcel !== undefined) {
    const p = r.parcel;
    rows.push([
      "Parcel",
      p
        ? `${p.id}: ${p.areaM2 === null ? "unknown" : `${p.areaM2} m²`}${p.designation ? ` (${p.designation})` : ""}; source ${p.source.register}`
        : gapFor(r, "parcel")
          ? unknown(gapFor(r, "parcel")?.reason)
          : "none linked",
    ]);
  }
  if (r.monument !== undefined) {
    const m = r.monument;
    rows.push([
      "Rijksmonument",
      m
        ? [
            `Number ${m.number}; source ${m.source.register}`,
            ...(m.url ? [" (", el("a", { href: m.url, target: "_blank", rel: "noopener" }, "register page"), ")"] : []),
          ]
        : gapFor(r, "monument")
          ? unknown(gapFor(r, "monument")?.reason)
          : "not a rijksmonument",
    ]);
  }
  return section("Register facts", "h-register", facts(rows));
}

function valueSection(r: Result): HTMLElement {
  const v = r.value;
  const n = r.neighbourhoodContext;
  const neighbourhood: [string, HTMLElement | string] = [
    "Neighbourhood",
    n
      ? `Buurt ${n.name} (${n.code}): average WOZ ${n.avgWozEur === null ? "unknown" : eur(n.avgWozEur)}`
      : gapFor(r, "neighbourhood")
        ? unknown(gapFor(r, "neighbourhood")?.reason)
        : "no neighbourhood context",
  ];
  if (!v) return section("Indicative value", "h-value", el("p", {}, unknown(r.valueUnavailableReason)), facts([neighbourhood]));
  const check = v.neighbourhoodCheck;
  return section(
    "Indicative value",
    "h-value",
    el("p", { class: "value" }, `${eur(v.low)} – ${eur(v.high)}`),
    el("p", {}, `Midpoint ${eur(v.mid)}; ±${v.rangePct} %, confidence ${v.confidence}: an indication, not a valuation.`),
    facts([
      ["Basis", `${v.basis.eurPerM2} €/m² × ${v.basis.surfaceM2} m²`],
      ["Value per m²", `${v.basis.eurPerM2Source}`],
      neighbourhood,
      [
        "Against the neighbourhood",
        check?.ratio != null
          ? `midpoint ${check.ratio} × the buurt's average WOZ (expected ${check.band[0]}–${check.band[1]}: ${check.withinBand ? "within" : "outside"})`
          : (check?.reason ?? "no comparison possible"),
      ],
    ]),
    v.factors && v.factors.length > 0
      ? el(
          "ul",
          { class: "factors", "aria-label": "Factors" },
          ...v.factors.map((f) =>
            el("li", {}, `${f.name} ×${f.value}${f.applied ? "" : " (not applied)"}: ${f.note} Source: ${f.source}, ${f.period}.`),
          ),
        )
      : null,
  );
}

function energySection(r: Result): HTMLElement {
  const e = r.energy;
  if (!e) return section("Energy label", "h-energy", el("p", {}, unknown()));
  const body = e.label
    ? el(
        "p",
        {},
        el("span", { class: "label-letter", "aria-label": `Label ${e.label}` }, e.label),
        ` ${e.status}; ${e.method ?? "method unknown"}${e.ep2KwhM2 !== null ? `, EP2 ${e.ep2KwhM2} kWh/m²·yr` : ""}; valid until ${e.validUntil?.slice(0, 10) ?? "unknown"}${e.ageYears !== null ? `, ${e.ageYears} year(s) since registration` : ""}. Source: EP-Online.`,
      )
    : e.status === "unknown"
      ? el("p", {}, unknown(gapFor(r, "labels")?.reason ?? "EP-Online could not be asked"))
      : el(
          "p",
          {},
          `No registered energy label.${e.substituteLabelForBuildYear ? ` WWS substitute label for its build year: ${e.substituteLabelForBuildYear} (what the rent points system counts without a label, not a prediction).` : ""}`,
        );
  return section("Energy label", "h-energy", body);
}

function risksSection(r: Result): HTMLElement {
  const all = [...(r.registerChecks ?? []), ...(r.risks ?? []), ...(r.locationFlags ?? [])];
  return section(
    "Risks and flags",
    "h-risks",
    all.length === 0
      ? el("p", {}, "None found in the data at hand.")
      : el("ul", {}, ...all.map((x) => el("li", {}, el("strong", {}, `${x.severity}: `), `${x.evidence} (source: ${x.source})`))),
  );
}

/**
 * What is missing, in the answer's own sentences: Quick_Assess_Property's dataGaps (which already
 * hold a sentence for each failed register), else one sentence per failed register, as the text says it.
 */
function gapsSection(r: Result): HTMLElement | null {
  const lines = r.dataGaps ?? r.registerGaps.map(describeGap);
  const unique = [...new Set(lines)];
  if (unique.length === 0) return null;
  return section("Missing data", "h-gaps", el("ul", {}, ...unique.map((l) => el("li", {}, l))));
}

startApp("pandgate property card", render);

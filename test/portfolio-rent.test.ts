import { env, exports } from "cloudflare:workers";
import { read as readWorkbook, utils as sheetUtils, type WorkSheet } from "@e965/xlsx";
import type { Client } from "@modelcontextprotocol/client";
import { describe, expect, it } from "vitest";
import { connectClient } from "./helpers/mcp";
import { mintToken, newIdentity } from "./helpers/oauth";

/**
 * Issue 20 part 5, through the real Worker and its Workflow (workerd, the synthetic dataset): a
 * portfolio of dwellings whose WWS estimate falls in different sectors, plus a ligplaats, a
 * standplaats and an office. Each dwelling's points, range, sector and maximum rent in the result
 * spreadsheets are those Calculate_Rent_Points gives the same address with no input (the job
 * reads no RCE, so its range may reach higher, never lower); the non-dwellings are outside the
 * WWS with their reason; the summary (structured and text) and the Excel summary sheet count
 * the dwellings per sector.
 */
const TIMEOUT = 180_000;

type Rent = {
  totalPoints: number | null;
  pointsRange: { min: number; max: number } | null;
  sector: string | null;
  sectorsInRange: string[];
  maxRentEur: number | null;
  rubrieken: Array<{ rubriek: string; max: number | null }>;
};

async function call(c: Client, name: string, args: Record<string, unknown>) {
  const r = await c.callTool({ name, arguments: args });
  const text = (r.content as Array<{ type: string; text?: string }>).find((x) => x.type === "text")?.text ?? "";
  if (r.isError) throw new Error(`${name}: ${text}`);
  return { s: r.structuredContent as Record<string, unknown>, text };
}

async function ids(where: string, order: string, limit: number): Promise<string[]> {
  const { results } = await env.DB.prepare(
    `SELECT a.id FROM addresses a JOIN units u ON u.id = a.unit_id
     WHERE a.is_synthetic = 1 AND a.is_main = 1 AND NOT EXISTS (SELECT 1 FROM unit_monuments m WHERE m.unit_id = u.id) AND ${where}
     ORDER BY ${order} LIMIT ${limit}`,
  ).all<{ id: string }>();
  return results.map((r) => r.id);
}

/** CSV text → rows of cells (the builder's quoting: "…" with "" inside; no line breaks in these cells). */
function parseCsv(text: string): string[][] {
  return text
    .replace(/^\uFEFF/, "")
    .trimEnd()
    .split("\r\n")
    .map((line) =>
      [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].slice(0, -1).map((m) => (m[1] ?? "").replace(/^"|"$/g, "").replaceAll('""', '"')),
    );
}

describe("WWS estimates in a portfolio job", () => {
  it(
    "gives every dwelling its points, range, sector and maximum rent, says the non-dwellings are outside the WWS, and counts per sector",
    async () => {
      const { accessToken } = await mintToken(newIdentity(), ["mcp:read", "mcp:write"]);
      const c = await connectClient(accessToken);
      const woon = `u.kind = 'verblijfsobject' AND u.use_purposes = '["woonfunctie"]' AND u.surface_m2 IS NOT NULL`;

      // Dwellings picked by what the single-address tool says of them: one whose whole range is
      // social, one wholly free, one whose range spans a boundary.
      const tool = new Map<string, Rent>();
      const pick = async (candidates: string[], want: (r: Rent) => boolean, what: string) => {
        for (const id of candidates) {
          const { s } = await call(c, "Calculate_Rent_Points", { addressId: id });
          tool.set(id, s as unknown as Rent);
          if (want(s as unknown as Rent)) return id;
        }
        throw new Error(`no ${what} dwelling among ${candidates.join(", ")}`);
      };
      const only = (sector: string) => (r: Rent) => r.sectorsInRange.length === 1 && r.sectorsInRange[0] === sector;
      // Wholly social even as a rijksmonument: the job reads no RCE, so it counts a possible
      // rijksmonument too, whose energy points are at least 0 (a G label's negative points lift the top).
      const lift = (r: Rent) => Math.max(0, -(r.rubrieken.find((x) => x.rubriek === "energieprestatie")?.max ?? 0));
      const social = await pick(
        await ids(woon, "u.surface_m2, a.id", 40),
        (r) => only("social")(r) && (r.pointsRange?.max ?? 999) + lift(r) <= 143,
        "social",
      );
      const free = await pick(await ids(`${woon} AND u.dwelling_type = 'vrijstaand'`, "u.surface_m2 DESC, a.id", 5), only("free"), "free");
      const spans = await pick(
        await ids(`${woon} AND u.surface_m2 BETWEEN 90 AND 120`, "a.id", 12),
        (r) => r.sectorsInRange.length > 1,
        "undecided",
      );
      const first = async (where: string) => (await ids(where, "a.id", 1))[0] ?? "none found";
      const ligplaats = await first("u.kind = 'ligplaats'");
      const standplaats = await first("u.kind = 'standplaats'");
      const office = await first(`u.use_purposes = '["kantoorfunctie"]'`);
      const order = [social, free, spans, ligplaats, standplaats, office];
      expect(new Set(order).size).toBe(6);

      const started = await call(c, "Assess_Portfolio", { addresses: order.map((addressId) => ({ addressId })) });
      const jobId = started.s.jobId as string;
      const deadline = Date.now() + TIMEOUT;
      let result: { s: Record<string, unknown>; text: string };
      for (;;) {
        result = await call(c, "Get_Portfolio_Result", { jobId });
        if (result.s.state !== "running" && result.s.downloads) break;
        if (Date.now() > deadline) throw new Error(`job ${jobId} did not finish`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(result.s.state).toBe("completed");
      expect(result.s.assessed).toBe(6);

      // The summary, structured and in words, with what the counts are.
      // By most likely total, the undecided dwelling counts in the sector the single-address tool names for it.
      const mostLikely = { social: 1, middle: 0, free: 1 };
      const likeliest = tool.get(spans)?.sector as keyof typeof mostLikely;
      mostLikely[likeliest] += 1;
      const counts = { social: 1, middle: 0, free: 1, undecided: 1, outsideWws: 3, notAvailable: 0, mostLikely };
      expect(result.s.sectorCounts).toEqual(counts);
      expect(result.text).toContain(
        "WWS sectors (estimates from registers and stated defaults, not formal points counts: that needs an inspection; per address the points, range and maximum rent are in the spreadsheets): social: 1, middle: 0, free: 1, undecided (range spans a boundary): 1, outside the WWS: 3, not available: 0",
      );
      expect(result.text).toContain(
        `WWS sectors by most likely total (every dwelling with an estimate, undecided ones included): social: ${mostLikely.social}, middle: ${mostLikely.middle}, free: ${mostLikely.free}`,
      );

      // The CSV: one row per address, in input order, with the estimate's columns.
      const downloads = result.s.downloads as { csv: string; xlsx: string };
      const rows = parseCsv(await (await exports.default.fetch(downloads.csv)).text());
      const header = rows[0] as string[];
      const col = (name: string) => {
        const i = header.indexOf(name);
        expect(i, name).toBeGreaterThanOrEqual(0);
        return i;
      };
      const body = new Map(rows.slice(1).map((r) => [r[col("Address ID")] as string, r]));
      const cell = (id: string, name: string) => body.get(id)?.[col(name)] ?? "missing";
      const num = (v: number | null | undefined) => (v === null || v === undefined ? "" : String(v));
      for (const id of [social, free, spans]) {
        const t = tool.get(id) as Rent;
        expect(cell(id, "WWS points"), id).toBe(num(t.totalPoints));
        expect(cell(id, "WWS points low"), id).toBe(num(t.pointsRange?.min));
        // RCE is not read in a job: a rijksmonument stays possible, so the top may reach higher, never lower.
        expect(Number(cell(id, "WWS points high")), id).toBeGreaterThanOrEqual(t.pointsRange?.max as number);
        expect(cell(id, "WWS sector"), id).toBe(t.sector);
        expect(cell(id, "Max rent (EUR/month)"), id).toBe(num(t.maxRentEur));
        expect(cell(id, "WWS note"), id).toMatch(
          /^Estimate from registers and stated defaults, not a formal points count; WOZ value estimated from the value basis: € \d+ \(€ \d+–\d+\); rijksmonument status not read/,
        );
      }
      expect(cell(social, "WWS sectors in range")).toBe("social");
      expect(Number(cell(social, "Max rent (EUR/month)"))).toBeGreaterThan(0);
      expect(Number(cell(social, "Max rent high (EUR/month)"))).toBeGreaterThanOrEqual(Number(cell(social, "Max rent (EUR/month)")));
      expect(cell(free, "WWS sectors in range")).toBe("free");
      expect(cell(free, "Max rent (EUR/month)")).toBe("");
      expect(cell(free, "WWS note")).toContain("free sector most likely: no WWS maximum rent");
      expect(cell(spans, "WWS sectors in range")).toBe(tool.get(spans)?.sectorsInRange.join(", "));
      for (const [id, reason] of [
        [ligplaats, /ligplaats/],
        [standplaats, /standplaats/],
        [office, /kantoorfunctie.*not woonfunctie/],
      ] as const) {
        expect(cell(id, "Status"), id).toBe("done");
        expect(cell(id, "WWS sector"), id).toBe("outside the WWS");
        expect(cell(id, "WWS points"), id).toBe("");
        expect(cell(id, "Max rent (EUR/month)"), id).toBe("");
        expect(cell(id, "WWS note"), id).toMatch(/^Outside the WWS for zelfstandige woonruimte: /);
        expect(cell(id, "WWS note"), id).toMatch(reason);
      }

      // The Excel: the same columns, and the per-sector counts on its summary sheet.
      const workbook = readWorkbook(new Uint8Array(await (await exports.default.fetch(downloads.xlsx)).arrayBuffer()), { type: "array" });
      expect(workbook.SheetNames).toEqual(["Portfolio", "Summary"]);
      const sheet = sheetUtils.sheet_to_json<unknown[]>(workbook.Sheets.Portfolio as WorkSheet, { header: 1, raw: true, defval: null });
      expect(sheet[0]).toEqual(header);
      const socialRow = sheet.find((r) => r[col("Address ID")] === social) as unknown[];
      expect(socialRow[col("WWS points")]).toBe(tool.get(social)?.totalPoints);
      expect(socialRow[col("Max rent (EUR/month)")]).toBe(tool.get(social)?.maxRentEur);
      const summary = sheetUtils.sheet_to_json<unknown[]>(workbook.Sheets.Summary as WorkSheet, { header: 1, raw: true, defval: null });
      expect(summary.slice(1, 8).map((r) => r[1])).toEqual([1, 0, 1, 1, 3, 0, 6]);
      expect(summary.slice(9, 13)).toEqual([
        ["Most likely sector (every dwelling with an estimate, undecided ones included)", "Dwellings"],
        ["Social (most likely)", mostLikely.social],
        ["Middle (most likely)", mostLikely.middle],
        ["Free (most likely)", mostLikely.free],
      ]);
      await c.close();
    },
    TIMEOUT,
  );
});

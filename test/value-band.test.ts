import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ASSESSMENT_FACTS, assessProperty } from "../src/data/assess-address";
import { D1PropertyStore } from "../src/data/d1-store";
import { LiveSource } from "../src/data/live/live-source";
import type { AssessmentResult } from "../src/domain/assessment";
import { NEIGHBOURHOOD_BAND } from "../src/domain/value-method";
import { quickAssessProperty } from "../src/mcp/tools/assessments";
import { bagStandIn, cbsStandIn, EP_ONLINE_KEY, epOnlineStandIn, LOCATIESERVER_DOCS, locatieserverStandIn } from "./helpers/registers";

/**
 * quick-assess/3's neighbourhood check over every seeded dwelling and the live fixture cases:
 * the value midpoint ÷ (the buurt's average WOZ × the basis' price index) lies within the
 * documented band (docs/value-method.md), or the answer says why not, in its structure and its
 * text. The figures printed below are what docs/value-method.md reports for the seed.
 */

const NOW = new Date("2026-11-21T12:00:00Z");
/** The text a client reads for an assessment (the tool's own render). */
function textOf(result: AssessmentResult): string {
  return quickAssessProperty.render({ ...result, assessmentId: "00000000-0000-4000-8000-000000000000", sources: [], registerGaps: [] });
}

function checkOne(result: AssessmentResult): { ratio: number | null; within: boolean | null } {
  const value = result.value;
  if (!value) return { ratio: null, within: null };
  expect(value.factors?.map((f) => f.name)).toEqual(["neighbourhood", "size", "energy-label"]);
  for (const f of value.factors ?? []) {
    expect(f.source, `${f.name} source`).not.toBe("");
    expect(f.note, `${f.name} note`).not.toBe("");
    expect(f.value).toBeGreaterThan(0);
  }
  const check = value.neighbourhoodCheck;
  if (!check || check.ratio === null) return { ratio: null, within: null };
  const inside = check.ratio >= NEIGHBOURHOOD_BAND.low && check.ratio <= NEIGHBOURHOOD_BAND.high;
  expect(check.withinBand).toBe(inside);
  const text = textOf(result);
  if (inside) {
    expect(check.reason).toBeNull();
    expect(result.risks.map((r) => r.rule)).not.toContain("value.far-from-neighbourhood");
  } else {
    // Outside the band: the reason is in the structure, as a risk, and in the text.
    expect(check.reason).toMatch(/^Far from the neighbourhood average: .+; .+\.$/);
    const risk = result.risks.find((r) => r.rule === "value.far-from-neighbourhood");
    expect(risk?.evidence).toBe(check.reason);
    expect(text).toContain(check.reason as string);
  }
  expect(text).toContain(`(midpoint €${value.mid.toLocaleString("en-GB")};`);
  expect(text).toContain("an indication, not a valuation");
  return { ratio: check.ratio, within: inside };
}

describe("neighbourhood band (quick-assess/3)", () => {
  it("every seeded dwelling: within 0.5–2.0 of its buurt's average WOZ, or the answer says why", async () => {
    const { results } = await env.DB.prepare(
      `SELECT a.id FROM addresses a JOIN units u ON u.id = a.unit_id
       WHERE a.is_synthetic = 1 AND a.is_main = 1 AND u.surface_m2 > 0 AND u.use_purposes LIKE '%woonfunctie%'
         AND a.neighbourhood_code IS NOT NULL ORDER BY a.id`,
    ).all<{ id: string }>();
    expect(results.length).toBeGreaterThan(15_000);
    const store = new D1PropertyStore(env.DB);
    const ratios: number[] = [];
    let outside = 0;
    const reasons = new Map<string, number>();
    for (let i = 0; i < results.length; i += 400) {
      const chunk = results.slice(i, i + 400).map((r) => ({ addressId: r.id }));
      const settled = await store.properties(chunk, ASSESSMENT_FACTS);
      for (const s of settled) {
        if (!s.ok || !s.value) throw new Error("a seeded address did not read back");
        const { result } = assessProperty(s.value, NOW);
        expect(result.value, `${result.address.label}: ${result.valueUnavailableReason}`).not.toBeNull();
        // Every seeded buurt has its municipality's average from the same (synthetic) table. (The few
        // new-build addresses CBS has no buurt for are left out: no buurt, no check; the golden
        // case outside-buurt pins what they say.)
        expect(result.value?.factors?.[0]?.applied).toBe(true);
        const { ratio, within } = checkOne(result);
        if (ratio === null) throw new Error(`${result.address.label}: no neighbourhood check`);
        ratios.push(ratio);
        if (!within) {
          outside++;
          const why = (result.value?.neighbourhoodCheck?.reason ?? "").split("; ").at(-1)?.split(":")[0] ?? "";
          reasons.set(why, (reasons.get(why) ?? 0) + 1);
        }
      }
    }
    ratios.sort((a, b) => a - b);
    const q = (p: number) => ratios[Math.min(ratios.length - 1, Math.floor(p * ratios.length))];
    console.log(
      `seeded dwellings: ${ratios.length}; ratio p1 ${q(0.01)}, p50 ${q(0.5)}, p99 ${q(0.99)}, min ${ratios[0]}, max ${ratios.at(-1)}; outside the band ${outside} (${((100 * outside) / ratios.length).toFixed(2)} %): ${JSON.stringify(Object.fromEntries(reasons))}`,
    );
    // The band holds the ordinary dwelling: in the seed about 5.5 % fall outside (small flats in
    // buurten of houses, large detached houses), each with its reason; more than 7 % would mean
    // the factors drifted, not the dwellings.
    expect(outside / ratios.length).toBeLessThan(0.07);
    expect(q(0.5)).toBeGreaterThan(0.8);
    expect(q(0.5)).toBeLessThan(1.25);
  }, 300_000);

  it("the live fixture cases (register stand-ins): within the band or saying why, with the KWB municipality row", async () => {
    locatieserverStandIn();
    bagStandIn();
    epOnlineStandIn();
    cbsStandIn();
    const source = new LiveSource({ db: env.DB, epOnlineApiKey: EP_ONLINE_KEY, now: () => NOW, retryDelayMs: 1 });
    const ids = LOCATIESERVER_DOCS.map((d) => d.nummeraanduiding_id);
    const settled = await source.properties(
      ids.map((addressId) => ({ addressId })),
      ASSESSMENT_FACTS,
    );
    let valued = 0;
    for (const s of settled) {
      if (!s.ok || !s.value) continue;
      const { result } = assessProperty(s.value, NOW);
      if (!result.value) continue;
      valued++;
      const hood = result.value.factors?.find((f) => f.name === "neighbourhood");
      if (s.value.neighbourhood?.avgWozThousands) {
        // BU19630601: 341 against GM1963's 356 from the same KWB table, 1,342 dwellings.
        expect(hood).toMatchObject({ applied: true, period: "2024" });
        expect(hood?.note).toContain("€341k against the municipality's €356k");
      }
      checkOne(result);
    }
    expect(valued).toBeGreaterThan(0);
  }, 120_000);
});

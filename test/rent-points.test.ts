import type { Client } from "@modelcontextprotocol/client";
import { beforeAll, describe, expect, it } from "vitest";
import { connectClient } from "./helpers/mcp";
import { mintToken, newIdentity } from "./helpers/oauth";
import { pickSeededAddress, type RentPointsOut } from "./helpers/rent";

/** Calculate_Rent_Points through the real Worker and the MCP SDK client, on the synthetic dataset. */

type Result = Awaited<ReturnType<Client["callTool"]>>;
const text = (r: Result) => (r.content as Array<{ text?: string }>).map((c) => c.text ?? "").join("\n");

let client: Client;
beforeAll(async () => {
  client = await connectClient((await mintToken(newIdentity(), ["mcp:read"])).accessToken);
});

async function rent(args: Record<string, unknown>): Promise<{ r: Result; out: RentPointsOut }> {
  const r = await client.callTool({ name: "Calculate_Rent_Points", arguments: args });
  return { r, out: r.structuredContent as unknown as RentPointsOut };
}

describe("Calculate_Rent_Points (synthetic)", () => {
  it("counts a dwelling from the registers with stated defaults, a range, sector, maximum rent and every table version", async () => {
    const addressId = await pickSeededAddress(`u.use_purposes = '["woonfunctie"]' AND u.surface_m2 BETWEEN 60 AND 90`);
    const { r, out } = await rent({ addressId });
    expect(r.isError).toBeFalsy();
    expect(out.totalPoints).not.toBeNull();
    const range = out.pointsRange as { min: number; max: number };
    expect(range.min).toBeLessThan(range.max);
    expect(range.min).toBeLessThanOrEqual(out.totalPoints as number);
    expect(out.sectorsInRange).toContain(out.sector);
    const area = out.rubrieken.find((x) => x.rubriek === "oppervlakteVertrekken");
    expect(area?.origins.join(" ")).toMatch(/estimate of the NEN 2580 area from the BAG gebruiksoppervlakte/);
    const woz = out.rubrieken.find((x) => x.rubriek === "wozWaarde");
    expect(woz?.origins.join(" ")).toMatch(/estimate, not the dwelling's WOZ value/);
    // A rubriek at a default says once that it is pandgate's stated default, not counted and not from the beleidsboek.
    const keuken = out.rubrieken.find((x) => x.rubriek === "keuken");
    expect(keuken?.origins).toEqual([expect.stringMatching(/^pandgate's stated default: /)]);
    expect(keuken?.tableVersion).toBeNull();
    const line =
      text(r)
        .split("\n")
        .find((l) => l.startsWith("- keuken:")) ?? "";
    expect(line).toMatch(/not counted: an assumption, not from the beleidsboek/);
    expect(line.match(/stated default/g)).toHaveLength(1);
    expect(out.pointsAtLeast).toBe(range.min);
    expect(out.narrowingInputs.length).toBeGreaterThan(0);
    expect(out.disclaimer).toMatch(/not a formal points count/);
    for (const v of Object.values(out.tableVersions)) expect(text(r)).toContain(v);
    expect(text(r)).toContain("read with the Huurcommissie's Beleidsboek Waarderingsstelsel zelfstandige woonruimte, versie januari 2026");
    expect(text(r)).toMatch(/not a formal points count/);
  });

  it("narrows with the user's measured facts and WOZ value, and prices a better label", async () => {
    const addressId = await pickSeededAddress(`u.use_purposes = '["woonfunctie"]' AND u.surface_m2 BETWEEN 60 AND 90`);
    const wide = (await rent({ addressId })).out;
    const { out } = await rent({
      addressId,
      wozValue: 210_000,
      roomAreaM2: 55,
      otherAreaM2: 6,
      rubrieken: {
        verwarming: { verwarmdeVertrekken: 4, verwarmdeOverigeRuimten: 3 },
        keuken: { basisniveau: true, aanrechtLengteM: 2.1 },
        sanitair: { staandToiletruimte: 1, wastafelsBadkamer: 1, douches: 1 },
        buitenruimten: { privePresent: true, priveM2: 6 },
        gehandicaptenvoorzieningen: 0,
        bijzondereVoorzieningen: 0,
        gemeenschappelijk: 0,
      },
      whatIfLabel: "a++",
    });
    const w = (x: RentPointsOut) =>
      (x.pointsRange as { min: number; max: number }).max - (x.pointsRange as { min: number; max: number }).min;
    expect(w(out)).toBeLessThan(w(wide));
    expect(out.rubrieken.find((x) => x.rubriek === "oppervlakteVertrekken")).toMatchObject({
      points: 55,
      min: 55,
      max: 55,
      origins: ["your input"],
    });
    // A rubriek the user counted says so, and no table: it was given, not counted by pandgate.
    expect(out.rubrieken.find((x) => x.rubriek === "gehandicaptenvoorzieningen")).toMatchObject({
      points: 0,
      origins: ["your input"],
      explanation: "points as you counted them",
      tableVersion: null,
    });
    // Rubriek 3: 4 × 2 + 3 × 1 (Bhw Bijlage I A 3).
    expect(out.rubrieken.find((x) => x.rubriek === "verwarming")?.points).toBe(11);
    expect(out.whatIf?.label).toBe("A++");
    expect(out.whatIf?.totalPoints as number).toBeGreaterThanOrEqual(out.totalPoints as number);
  });

  it("says a ligplaats and an office are outside the WWS for zelfstandige woonruimte", async () => {
    for (const where of [`u.kind = 'ligplaats'`, `u.use_purposes = '["kantoorfunctie"]'`]) {
      const { r, out } = await rent({ addressId: await pickSeededAddress(where) });
      expect(r.isError).toBeFalsy();
      expect(out.totalPoints).toBeNull();
      expect(out.rubrieken).toEqual([]);
      expect(out.maxRentNote).toMatch(/Outside the WWS for zelfstandige woonruimte/);
      expect(text(r)).toMatch(/Outside the WWS/);
    }
  });

  it("refuses bad input with a specific error", async () => {
    const addressId = await pickSeededAddress(`u.use_purposes = '["woonfunctie"]'`);
    for (const [args, re] of [
      [{ whatIfLabel: "H" }, /whatIfLabel must be an energy label class/],
      [{ wozValue: -5 }, /wozValue/],
      [{ rubrieken: { keuken: { aanrechtLengteM: 2 } } }, /rubrieken\.keuken/],
      [{ rubrieken: { zwembad: 3 } }, /rubrieken/],
    ] as const) {
      const { r } = await rent({ addressId, ...args });
      expect(r.isError).toBe(true);
      expect(text(r)).toMatch(re);
    }
  });
});

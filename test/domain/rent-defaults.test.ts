import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { RENT_DEFAULTS } from "../../src/data/rent-facts";
import { COUNTED_RUBRIEKEN } from "../../src/domain/wws";
import { BUITENRUIMTEN_TABLE, KEUKEN_TABLE, VERWARMING_TABLE } from "../../src/domain/wws/tables";

/**
 * pandgate's stated defaults for Calculate_Rent_Points (src/data/rent-defaults.json): its own
 * assumptions, with a source note beside them that says so and gives the reasoning for each.
 */
const note = readFileSync(path.join(import.meta.dirname, "../../src/data/rent-defaults.json.source.md"), "utf8");

describe("pandgate's stated rent defaults", () => {
  it("have a source note that calls them pandgate's assumptions, not the beleidsboek's, and reasons about each", () => {
    expect(note).toMatch(/These are pandgate's own assumptions/);
    expect(note).toMatch(/not taken from the Besluit huurprijzen\s+woonruimte \(Bhw\), the Huurcommissie's beleidsboek or any register/);
    for (const figure of [
      "80 % of GO, range 65–95 %",
      "7 % of GO, range 0–20 %",
      "± 35 %",
      "12 (4–20)",
      "8 (0–20)",
      "9 (3–20)",
      "4 (−5–15)",
    ])
      expect(note).toContain(figure);
    // NEN 2580: BAG's area is the gebruiksoppervlakte, which holds what the WWS does not value.
    expect(note).toMatch(/gebruiksoppervlakte/);
    expect(note).toMatch(/NEN 2580/);
  });

  it("match the note and lie inside what the Bhw tables can give", () => {
    const d = RENT_DEFAULTS;
    expect(d.roomShareOfUsableArea).toEqual({ value: 0.8, min: 0.65, max: 0.95 });
    expect(d.otherShareOfUsableArea).toEqual({ value: 0.07, min: 0, max: 0.2 });
    expect(d.wozEstimateSpread).toBe(0.35);
    expect(Object.keys(d.counted).sort()).toEqual([...COUNTED_RUBRIEKEN].sort());
    for (const [name, c] of Object.entries(d.counted)) {
      expect(c.min <= c.value && c.value <= c.max, name).toBe(true);
      expect(c.stated, name).not.toMatch(/\(\d+; /); // the range is said by the count itself, not again here
    }
    // Rubriek 8: −5 with no outdoor space at all, at most 15 (Bhw Bijlage I A 8).
    expect(d.counted.buitenruimten.min).toBe(BUITENRUIMTEN_TABLE.noneAtAllPoints);
    expect(d.counted.buitenruimten.max).toBe(BUITENRUIMTEN_TABLE.maxPoints);
    // Rubriek 3: 4 vertrekken × 2 + the overige ruimten' maximum 4 = 12.
    expect(d.counted.verwarming.value).toBe(
      4 * VERWARMING_TABLE.pointsPerVerwarmdVertrek + VERWARMING_TABLE.maxPointsOverigeEnVerkeersruimten,
    );
    // Rubriek 5: an aanrecht of 2 m or more (7) and a ceramic cooking plate (1).
    expect(d.counted.keuken.value).toBe(7 + KEUKEN_TABLE.voorzieningen.kookplaatKeramisch);
  });
});

import { describe, expect, it } from "vitest";
import { classFromEp2, compareLabelClasses, isLabelClass, LABEL_CLASSES } from "../../src/domain/energy-label";

/**
 * NTA 8800 dwelling classes (Regeling energieprestatie gebouwen as amended by Stcrt. 2020, 57490;
 * B–G as in /work/shared/reference section 8): each class's highest EP2 in kWh/m²·yr. EP-Online
 * registers EP2 with two decimals, so "just below" and "just above" a bound are ±0.01.
 */
const UPPER_BOUNDS: Array<[number, string, string]> = [
  [0, "A++++", "A+++"],
  [50, "A+++", "A++"],
  [75, "A++", "A+"],
  [105, "A+", "A"],
  [160, "A", "B"],
  [190, "B", "C"],
  [250, "C", "D"],
  [290, "D", "E"],
  [335, "E", "F"],
  [380, "F", "G"],
];

describe("classFromEp2 (NTA 8800, woningen)", () => {
  it.each(UPPER_BOUNDS)("bound %d: just below and at it is %s, just above it is %s", (bound, atOrBelow, above) => {
    expect(classFromEp2(Number((bound - 0.01).toFixed(2)))).toBe(atOrBelow);
    expect(classFromEp2(bound)).toBe(atOrBelow);
    expect(classFromEp2(Number((bound + 0.01).toFixed(2)))).toBe(above);
  });

  it("gives A++++ to energy-positive dwellings (negative EP2) and G far above 380", () => {
    expect(classFromEp2(-42.5)).toBe("A++++");
    expect(classFromEp2(-0)).toBe("A++++");
    expect(classFromEp2(0.001)).toBe("A+++");
    expect(classFromEp2(1234)).toBe("G");
  });

  it("covers every dwelling class from A++++ to G and never derives A+++++", () => {
    const derived = new Set<string>();
    for (let ep2 = -100; ep2 <= 500; ep2 += 0.25) derived.add(classFromEp2(ep2));
    expect([...derived]).toEqual(["A++++", "A+++", "A++", "A+", "A", "B", "C", "D", "E", "F", "G"]);
  });

  it("refuses a value that is not a number", () => {
    expect(() => classFromEp2(Number.NaN)).toThrow(RangeError);
    expect(() => classFromEp2(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe("label classes", () => {
  it("lists A+++++ … G best first, and recognises only those", () => {
    expect(LABEL_CLASSES).toEqual(["A+++++", "A++++", "A+++", "A++", "A+", "A", "B", "C", "D", "E", "F", "G"]);
    expect(["A++++", "A+++++", "G"].every(isLabelClass)).toBe(true);
    expect(["A++++++", "H", "a", "", "A+ "].some(isLabelClass)).toBe(false);
  });

  it("sorts classes best first, with anything else (such as 'none') last", () => {
    expect(["G", "none", "A", "A++++", "B", "A+", "A+++++"].sort(compareLabelClasses)).toEqual([
      "A+++++",
      "A++++",
      "A+",
      "A",
      "B",
      "G",
      "none",
    ]);
  });
});

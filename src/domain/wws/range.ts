import type { NumberFact, Origin } from "./types";

/** A known number (no range). */
export function known(value: number, origin: Origin): NumberFact {
  return { value, min: value, max: value, origin };
}

/** A number in a range with a most likely value. @throws RangeError when not min ≤ value ≤ max. */
export function ranged(value: number, min: number, max: number, origin: Origin): NumberFact {
  if (!(min <= value && value <= max)) throw new RangeError(`expected ${min} ≤ ${value} ≤ ${max}`);
  return { value, min, max, origin };
}

/** Rounds half up to `decimals` decimals, robust against binary noise (2.675 → 2.68). */
export function roundHalfUp(x: number, decimals = 0): number {
  const f = 10 ** decimals;
  return Math.round(x * f + 1e-9) / f;
}

export function roundToQuarter(x: number): number {
  return roundHalfUp(x * 4) / 4;
}

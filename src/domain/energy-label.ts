import { z } from "zod";
import labelTables from "./label-tables.json";

/**
 * Energy label rules (NTA 8800 since 2021, Energie-Index before), from the statutory tables.
 * Pure functions, no I/O.
 */

/** Best to worst. */
export const LABEL_CLASSES = ["A+++++", "A++++", "A+++", "A++", "A+", "A", "B", "C", "D", "E", "F", "G"] as const;
export type LabelClass = (typeof LABEL_CLASSES)[number];

export function isLabelClass(value: string): value is LabelClass {
  return (LABEL_CLASSES as readonly string[]).includes(value);
}

/** Rank on the A–G scale, where every A-variant counts as A (0 = A … 6 = G). */
export function labelRank(label: LabelClass): number {
  return label.startsWith("A") ? 0 : "ABCDEFG".indexOf(label);
}

const Bands = z.array(z.tuple([z.number(), z.enum(LABEL_CLASSES)]));
const tables = z.object({ ep2UpperBounds: Bands, energyIndexUpperBounds: Bands, buildYearPrior: Bands }).parse(labelTables);

/** The first class whose upper bound `value` does not exceed, else G. */
function byUpperBound(bounds: Array<[number, LabelClass]>, value: number): LabelClass {
  for (const [upper, label] of bounds) if (value <= upper) return label;
  return "G";
}

/**
 * NTA 8800 woningen (Regeling energieprestatie gebouwen as amended by Stcrt. 2020, 57490), EP2 in
 * kWh/m²·yr as registered (two decimals): ≤ 0 A++++, 0.01–50 A+++, 50.01–75 A++, 75.01–105 A+,
 * 105.01–160 A, 160.01–190 B, 190.01–250 C, 250.01–290 D, 290.01–335 E, 335.01–380 F, > 380 G.
 * A+++++ (seen in EP-Online for other buildings) is never derived for a dwelling.
 * @throws RangeError when `ep2` is not a finite number.
 */
export function classFromEp2(ep2: number): LabelClass {
  if (!Number.isFinite(ep2)) throw new RangeError(`EP2 must be a finite number, got ${ep2}`);
  return byUpperBound(tables.ep2UpperBounds, ep2);
}

/** Sorts label classes best first (A+++++ … G); anything that is not a class goes last, in its order. */
export function compareLabelClasses(a: string, b: string): number {
  const rank = (l: string) => (isLabelClass(l) ? LABEL_CLASSES.indexOf(l) : LABEL_CLASSES.length);
  return rank(a) - rank(b);
}

/** Old method (Energie-Index, woning). */
export function classFromEnergyIndex(ei: number): LabelClass {
  return byUpperBound(tables.energyIndexUpperBounds, ei);
}

/** The label a dwelling without a registration is taken to have, by build year (WWS fallback table). */
export function expectedLabelForBuildYear(year: number): LabelClass {
  for (const [from, label] of tables.buildYearPrior) if (year >= from) return label;
  return "G";
}

export type LabelValidity = "valid" | "expired";

export function labelValidity(validUntil: string, now: Date): LabelValidity {
  return new Date(validUntil).getTime() < now.getTime() ? "expired" : "valid";
}

/** Whole years between two ISO dates (label age). */
export function yearsBetween(fromIso: string, now: Date): number {
  const from = new Date(fromIso);
  let years = now.getUTCFullYear() - from.getUTCFullYear();
  const anniversary = new Date(Date.UTC(now.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()));
  if (now < anniversary) years -= 1;
  return Math.max(0, years);
}

/*
 * Registration times. EP-Online writes `Registratiedatum` without a zone ("2026-02-04T15:31:59.943",
 * 1 to 7 fraction digits), taken here as Dutch local time (Europe/Amsterdam); other sources give a
 * zone ("…Z", "…+01:00"), a date alone, or the Dutch day-first form ("04-02-2026 15:31"). Sorting
 * their text would put "2024-05-10T09:12" after "2024-05-10 23:00" and "10-05-2024" after both.
 */

const ISO_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const DAY_FIRST_RE = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?$/;
const DUTCH_ZONE = "Europe/Amsterdam";
let dutchClock: Intl.DateTimeFormat | undefined;

/** Minutes Dutch local time is ahead of UTC at `instant` (60 in winter, 120 in summer). */
function dutchOffsetMinutes(instant: number): number {
  dutchClock ??= new Intl.DateTimeFormat("en-GB", {
    timeZone: DUTCH_ZONE,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  const part = (parts: Intl.DateTimeFormatPart[], type: string) => Number(parts.find((p) => p.type === type)?.value);
  const parts = dutchClock.formatToParts(new Date(instant));
  const wall = Date.UTC(
    part(parts, "year"),
    part(parts, "month") - 1,
    part(parts, "day"),
    part(parts, "hour"),
    part(parts, "minute"),
    part(parts, "second"),
  );
  return Math.round((wall - Math.floor(instant / 1000) * 1000) / 60_000);
}

/** The instant of a Dutch wall-clock time given as if it were UTC (in the autumn's repeated hour, the second one; in the spring's skipped hour, an hour later). */
function fromDutchWallClock(wall: number): number {
  const first = wall - dutchOffsetMinutes(wall) * 60_000;
  return wall - dutchOffsetMinutes(first) * 60_000;
}

/**
 * Milliseconds since the epoch of a register timestamp, or null when it is not one. A time
 * without a zone is Dutch local time; a date alone is the start of that day there.
 */
export function registrationTime(text: string): number | null {
  const value = text.trim();
  let fields: Array<string | undefined>;
  let zone: string | undefined;
  const iso = ISO_TIME_RE.exec(value);
  const dayFirst = iso ? null : DAY_FIRST_RE.exec(value);
  if (iso) {
    fields = [iso[1], iso[2], iso[3], iso[4], iso[5], iso[6], iso[7]];
    zone = iso[8];
  } else if (dayFirst) {
    fields = [dayFirst[3], dayFirst[2], dayFirst[1], dayFirst[4], dayFirst[5], dayFirst[6], dayFirst[7]];
  } else return null;
  const at = (i: number) => Number(fields[i] ?? 0);
  const [year, month, day, hour, minute, second] = [at(0), at(1), at(2), at(3), at(4), at(5)];
  const millis = Number((fields[6] ?? "").padEnd(3, "0").slice(0, 3));
  if (year < 1000 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (new Date(wall).getUTCDate() !== day) return null; // 31 April and the like
  if (zone === undefined) return fromDutchWallClock(wall);
  if (zone.toUpperCase() === "Z") return wall;
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  const offset = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0);
  if (offset > 14 * 60) return null;
  return wall - sign * offset * 60_000;
}

/**
 * One canonical form for a registration time: Dutch local time with its offset and milliseconds,
 * "2024-05-10T09:12:44.120+02:00" (sorts as text within one zone offset, reads as the Dutch date).
 * Null when `text` is not a timestamp.
 */
export function canonicalRegistrationTime(text: string): string | null {
  const instant = registrationTime(text);
  if (instant === null) return null;
  const offset = dutchOffsetMinutes(instant);
  const local = new Date(instant + offset * 60_000).toISOString().slice(0, 23);
  const hh = String(Math.floor(offset / 60)).padStart(2, "0");
  const mm = String(offset % 60).padStart(2, "0");
  return `${local}+${hh}:${mm}`;
}

/** Orders label registrations newest first by their parsed time; unreadable times go last, in text order. */
export function newestRegistrationFirst(a: { registeredAt: string }, b: { registeredAt: string }): number {
  const ta = registrationTime(a.registeredAt);
  const tb = registrationTime(b.registeredAt);
  if (ta !== null && tb !== null && ta !== tb) return tb - ta;
  if (ta === null && tb !== null) return 1;
  if (tb === null && ta !== null) return -1;
  return a.registeredAt < b.registeredAt ? 1 : a.registeredAt > b.registeredAt ? -1 : 0;
}

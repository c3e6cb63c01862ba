/**
 * Interleaved measuring for `npm run bench`. vitest's own bench runs each entry to the end before
 * the next starts, so a machine that slows down half way (a shared CI box, a laptop warming up)
 * shifts the ratios; here every variant runs once per round, in a shuffled order, and each
 * round's time is compared with the baseline's time in that same round. The table gives the
 * median of those per-round ratios with their spread, so a reader can see how much to trust a
 * figure. Nothing here fails on speed: it measures and prints.
 */

export interface Variant {
  name: string;
  /** One call; what it returns is ignored (drain response bodies inside). */
  run: () => Promise<unknown>;
}

export interface Options {
  /** Measured rounds (every variant once per round). */
  rounds?: number;
  /** Unmeasured rounds first: JIT, caches, Durable Objects and connections warm up. */
  warmupRounds?: number;
  /** A variant's batch is sized so that one batch takes about this long (ms). */
  batchMs?: number;
  /** Most calls in one batch. */
  maxBatch?: number;
}

export interface Row {
  name: string;
  /** Calls per batch (chosen while warming up). */
  batch: number;
  /** Milliseconds per call, one entry per round. */
  ms: number[];
  /** This variant's time ÷ the baseline's time, one entry per round. */
  ratios: number[];
}

export interface Result {
  rows: Row[];
  rounds: number;
}

/**
 * Runs `variants` (the first is the baseline) interleaved: `warmupRounds` rounds unmeasured, then
 * `rounds` measured ones, each in its own shuffled order (the same orders on every run), so no
 * variant always comes first, last, or right after another: work one variant leaves behind (the
 * audit queue's consumer, deferred sends) lands on a different one each round. Within a round each
 * variant runs a batch of calls back to back, timed with `performance.now()` (which in workerd
 * moves in whole milliseconds; a batch lasts many of them).
 */
export async function interleaved(variants: Variant[], options: Options = {}): Promise<Result> {
  const { rounds = 15, warmupRounds = 2, batchMs = 40, maxBatch = 200 } = options;
  const batches = variants.map(() => 1);
  for (let round = 0; round < warmupRounds; round++) {
    for (const [i, variant] of variants.entries()) {
      // Size the batch from how long calls take once warm (the last warm-up round decides).
      const calls = round === 0 ? 3 : (batches[i] as number);
      const started = performance.now();
      for (let n = 0; n < calls; n++) await variant.run();
      const perCall = Math.max((performance.now() - started) / calls, 0.01);
      batches[i] = Math.min(maxBatch, Math.max(1, Math.ceil(batchMs / perCall)));
    }
  }
  const ms: number[][] = variants.map(() => []);
  const random = mulberry32(0x5eed);
  for (let round = 0; round < rounds; round++) {
    for (const i of shuffled(variants.length, random)) {
      const variant = variants[i] as Variant;
      const calls = batches[i] as number;
      const started = performance.now();
      for (let n = 0; n < calls; n++) await variant.run();
      (ms[i] as number[]).push((performance.now() - started) / calls);
    }
  }
  const base = ms[0] as number[];
  return {
    rounds,
    rows: variants.map((variant, i) => {
      const own = ms[i] as number[];
      return { name: variant.name, batch: batches[i] as number, ms: own, ratios: own.map((t, r) => t / (base[r] as number)) };
    }),
  };
}

/** A small seeded pseudo-random generator (mulberry32): the same sequence on every run. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 0…n-1 in a random order (Fisher–Yates). */
function shuffled(n: number, random: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

/** The q-quantile (0…1) of `values`, linearly interpolated. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (at - low);
}

export const median = (values: readonly number[]) => quantile(values, 0.5);

export function formatMs(value: number): string {
  if (!Number.isFinite(value)) return "–";
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function formatRatio(value: number): string {
  if (!Number.isFinite(value)) return "–";
  return value >= 10 ? `${value.toFixed(1)}×` : `${value.toFixed(2)}×`;
}

/** A fixed-width text table; a column whose cells are all numbers (or empty) is right-aligned. */
export function table(title: string, header: string[], rows: string[][], notes: string[] = []): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] ?? "").length)));
  const numeric = header.map((_, c) => c > 0 && rows.every((row) => /^([-–\d]|$)/.test(row[c] ?? "")));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c] as number) : cell.padEnd(widths[c] as number)))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "─".repeat(w)).join("  ");
  return ["", `▶ ${title}`, line(header), rule, ...rows.map(line), ...notes.map((note) => `  ${note}`), ""].join("\n");
}

/**
 * The standard table of an interleaved result: per call (median ms), and the ratio to the
 * baseline (median of the per-round ratios, interquartile range, min–max).
 */
export function ratioTable(title: string, result: Result, notes: string[] = []): string {
  const header = ["", "ms/call", "× baseline", "IQR", "min–max", "calls/round"];
  const rows = result.rows.map((row, i) => [
    `${i === 0 ? "baseline: " : ""}${row.name}`,
    formatMs(median(row.ms)),
    i === 0 ? "1" : formatRatio(median(row.ratios)),
    i === 0 ? "" : `${formatRatio(quantile(row.ratios, 0.25))}–${formatRatio(quantile(row.ratios, 0.75))}`,
    i === 0 ? "" : `${formatRatio(Math.min(...row.ratios))}–${formatRatio(Math.max(...row.ratios))}`,
    String(row.batch),
  ]);
  return table(title, header, rows, [
    `${result.rounds} interleaved rounds after warm-up; ratios are per round (this ÷ baseline, same round).`,
    ...notes,
  ]);
}

/** A row's milliseconds per call, one entry per round. */
export function msOf(result: Result, name: string): number[] {
  const found = result.rows.find((r) => r.name === name);
  if (!found) throw new Error(`no row ${name}`);
  return found.ms;
}

/** Per-round differences `a − b` (ms per call) of two rows of one result. */
export function difference(result: Result, a: string, b: string): number[] {
  const subtrahend = msOf(result, b);
  return msOf(result, a).map((t, r) => t - (subtrahend[r] as number));
}

/** Per-round ratios `a ÷ b` of two rows of one result. */
export function ratios(result: Result, a: string, b: string): number[] {
  const divisor = msOf(result, b);
  return msOf(result, a).map((t, r) => t / (divisor[r] as number));
}

/** "median (IQR q1–q3, min–max)" of per-round ratios. */
export function describeRatios(values: readonly number[]): string {
  return `${formatRatio(median(values))} (IQR ${formatRatio(quantile(values, 0.25))}–${formatRatio(quantile(values, 0.75))}, min–max ${formatRatio(Math.min(...values))}–${formatRatio(Math.max(...values))})`;
}

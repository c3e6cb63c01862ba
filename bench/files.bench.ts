import { bench, describe } from "vitest";
import { csvHeader, csvLine } from "../src/files/csv";
import { writePortfolioFiles } from "../src/files/portfolio-files";
import type { PortfolioResultRow } from "../src/files/result-row";
import { XlsxBuilder } from "../src/files/xlsx";
import { formatMs, median, quantile, table } from "./harness";
// @ts-expect-error: a plain .mjs module without types
import { writeBenchSection } from "./report.mjs";

/*
 * `npm run bench` ("bench-node" project, plain Node: V8, the engine a Worker runs on, where the
 * heap can be read): building a portfolio's result files for 50 000 rows, the CSV alone, the XLSX
 * alone, and both in one pass as the job's last step does (`writePortfolioFiles`, through its R2
 * multipart writer into a stand-in bucket that counts the bytes and keeps none, so what is
 * measured is the builder, not the storage). Peak memory is the largest growth of the JS heap
 * plus array buffers over the run's start, sampled every 500 rows and at every part; the Worker
 * limit it is held against is 128 MB per isolate. Written to docs/benchmarks.md section "files".
 */

const ROWS = 50_000;
const RUNS = 5;
const ONCE = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };

/** A plausible result row: an address, a label, a value range with its basis, a risk or two. */
function row(i: number): PortfolioResultRow {
  const failed = i % 50 === 0;
  const duplicate = i % 97 === 0;
  const mid = 250_000 + ((i * 7919) % 600_000);
  return {
    row: i,
    input: `${1000 + (i % 9000)} ${String.fromCharCode(65 + (i % 26))}${String.fromCharCode(65 + ((i >> 5) % 26))} ${1 + (i % 300)}`,
    status: failed ? "failed" : duplicate ? "duplicate" : "done",
    addressId: failed ? null : `0363200000${String(100000 + (i % 900000)).padStart(6, "0")}`,
    address: failed ? null : `Keizersgracht ${1 + (i % 300)}, 1016 GV Amsterdam`,
    energyLabel: failed ? null : (["A", "B", "C", "D", "E", "F", "G", "none", "unknown"][i % 9] ?? null),
    valueLow: failed ? null : Math.round(mid * 0.9),
    valueMid: failed ? null : mid,
    valueHigh: failed ? null : Math.round(mid * 1.1),
    valueNote: failed ? null : "quick-assess/3.0.0: €/m² basis CBS 85036NED ÷ 85035NED × 85773NED (2025-10), buurt factor KWB 2024",
    risks: i % 3 === 0 ? ["Built before 1945: check the foundation", "Rijksmonument"] : [],
    dataGaps: i % 11 === 0 ? ["EP-Online: not asked (timeout); the label is unknown"] : [],
    assessmentId: failed ? null : `as_${(i * 2654435761) % 4294967296}`,
    duplicateOf: duplicate ? i - 1 : null,
    rentClass:
      failed || duplicate ? null : ((["social", "middle", "free", "undecided", "outsideWws", "notAvailable"] as const)[i % 6] ?? null),
    rentPoints: failed || duplicate ? null : 90 + (i % 120),
    rentPointsMin: failed || duplicate ? null : 60 + (i % 120),
    rentPointsMax: failed || duplicate ? null : 150 + (i % 120),
    rentSector: failed || duplicate ? null : "middle",
    rentSectorsInRange: failed || duplicate ? [] : ["social", "middle"],
    maxRentEur: failed || duplicate ? null : 950.12,
    maxRentMinEur: failed || duplicate ? null : 700.5,
    maxRentMaxEur: failed || duplicate ? null : 1180.09,
    rentNote:
      failed || duplicate
        ? null
        : "Estimate from registers and stated defaults, not a formal points count; WOZ value estimated from the value basis",
    error: failed ? `No address ${1000 + (i % 9000)} ZZ ${i}; did you mean another number?` : null,
  };
}

/** Heap + array buffers in bytes, and its peak over a run. */
class Peak {
  readonly #start: number;
  #peak = 0;
  constructor() {
    (globalThis as { gc?: () => void }).gc?.();
    this.#start = Peak.now();
  }
  static now(): number {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  }
  sample(): void {
    this.#peak = Math.max(this.#peak, Peak.now() - this.#start);
  }
  get bytes(): number {
    this.sample();
    return this.#peak;
  }
}

/** An R2 bucket that counts what it is given and keeps nothing. */
function countingBucket(peak: Peak): R2Bucket {
  const sizeOf = (body: unknown) => (body instanceof Uint8Array ? body.length : 0);
  return {
    async put(_key: string, body: unknown) {
      peak.sample();
      return { size: sizeOf(body) };
    },
    async createMultipartUpload() {
      return {
        async uploadPart(partNumber: number, body: unknown) {
          peak.sample();
          sizeOf(body);
          return { partNumber, etag: String(partNumber) };
        },
        async complete() {
          return {};
        },
        async abort() {},
      };
    },
  } as unknown as R2Bucket;
}

interface Run {
  ms: number;
  peak: number;
  bytes: number;
}

async function measure(build: (peak: Peak) => Promise<number>): Promise<Run> {
  const peak = new Peak();
  const started = performance.now();
  const bytes = await build(peak);
  return { ms: performance.now() - started, peak: peak.bytes, bytes };
}

function* rows(peak: Peak): Iterable<PortfolioResultRow> {
  for (let i = 1; i <= ROWS; i++) {
    if (i % 500 === 0) peak.sample();
    yield row(i);
  }
}

const VARIANTS: Record<string, (peak: Peak) => Promise<number>> = {
  "CSV alone": async (peak) => {
    const encoder = new TextEncoder();
    let bytes = encoder.encode(csvHeader()).length;
    let piece = "";
    for (const r of rows(peak)) {
      piece += csvLine(r);
      if (piece.length >= 64 * 1024) {
        bytes += encoder.encode(piece).length;
        piece = "";
      }
    }
    return bytes + encoder.encode(piece).length;
  },
  "XLSX alone": async (peak) => {
    const builder = new XlsxBuilder();
    let bytes = 0;
    for (const r of rows(peak)) {
      builder.addRow(r);
      for (const chunk of builder.take()) bytes += chunk.length;
    }
    builder.finish();
    for (const chunk of builder.take()) bytes += chunk.length;
    return bytes;
  },
  "both, writePortfolioFiles (8 MiB parts)": async (peak) => {
    const result = await writePortfolioFiles(
      { FILES: countingBucket(peak) },
      { ownerKey: "bench.user", jobId: "bench-job", rows: rows(peak) },
    );
    return result.bytes.csv + result.bytes.xlsx;
  },
};

const MB = 1024 * 1024;
const mb = (bytes: number) => (bytes / MB).toFixed(1);

describe("portfolio result files, 50 000 rows", () => {
  bench(
    "CSV, XLSX and both",
    async () => {
      const results = new Map<string, Run[]>(Object.keys(VARIANTS).map((name) => [name, []]));
      // Interleaved rounds, so a busy machine slows every variant alike.
      for (let round = 0; round < RUNS; round++) {
        for (const [name, build] of Object.entries(VARIANTS)) results.get(name)?.push(await measure(build));
      }
      const header = ["", "ms (median)", "IQR ms", "min–max ms", "peak MB (median)", "max peak MB", "file MB"];
      const lines = [...results].map(([name, runs]) => {
        const ms = runs.map((r) => r.ms);
        const peaks = runs.map((r) => r.peak);
        return [
          name,
          formatMs(median(ms)),
          `${formatMs(quantile(ms, 0.25))}–${formatMs(quantile(ms, 0.75))}`,
          `${formatMs(Math.min(...ms))}–${formatMs(Math.max(...ms))}`,
          mb(median(peaks)),
          mb(Math.max(...peaks)),
          mb(runs[0]?.bytes ?? 0),
        ];
      });
      const gc = typeof (globalThis as { gc?: unknown }).gc === "function";
      const notes = [
        `${ROWS} rows, ${RUNS} interleaved rounds, Node ${process.versions.node} (V8 ${process.versions.v8}).`,
        `Peak MB: growth of heapUsed + arrayBuffers over the start of the run, sampled every 500 rows and at each R2 part${gc ? ", from a forced GC at the start" : ""}; garbage not yet collected counts too, so this is an upper bound on what is live.`,
        '"both" is one pass feeding both builders and both R2 writers, as the job\'s last step does; its file MB is CSV + XLSX.',
      ];
      console.log(table("Portfolio result files, 50 000 rows", header, lines, notes));
      const markdown = [
        "## Portfolio result files, 50 000 rows (`npm run bench`: `bench/files.bench.ts`)",
        "",
        `| Build | ms (median) | IQR ms | min–max ms | peak MB (median) | max peak MB | file MB |`,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ...lines.map((cells) => `| ${cells.join(" | ")} |`),
        "",
        ...notes.map((note) => `- ${note}`),
        "- The Worker's limit is 128 MB per isolate; the R2 writer holds at most one 8 MiB part per file.",
      ].join("\n");
      writeBenchSection("files", markdown);
    },
    ONCE,
  );
});

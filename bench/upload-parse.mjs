// Upload parse bench: how long src/uploads/parse.ts takes to read a 50 000-row CSV and XLSX, and
// the peak memory it adds, in Node (the parser is pure: the same code the Worker runs). Each run
// is a fresh child process (so one run's garbage does not count against the next): it reads the
// fixture file, records its resident memory, parses once, and reports the time and how far its
// peak resident memory (maxRSS) rose above that. Writes the "upload-parse" section of
// docs/benchmarks.md. Part of `npm run bench`; alone: `node bench/upload-parse.mjs [runs]`.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { writeBenchSection } from "./report.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ROWS = 50_000;

if (process.argv[2] === "--child") {
  const [, , , bundle, file] = process.argv;
  const { parseUpload } = await import(bundle);
  const bytes = new Uint8Array(readFileSync(file));
  globalThis.gc?.();
  const before = process.memoryUsage().rss;
  const started = performance.now();
  const parsed = parseUpload(bytes, { maxRows: ROWS, maxUnpackedBytes: 64 * 1024 * 1024 });
  const ms = performance.now() - started;
  const peak = process.resourceUsage().maxRSS * 1024;
  if (parsed.inputs.length !== ROWS) throw new Error(`expected ${ROWS} addresses, got ${parsed.inputs.length}`);
  process.stdout.write(JSON.stringify({ ms, peakMb: Math.max(0, peak - before) / (1024 * 1024), bytes: bytes.length }));
  process.exit(0);
}

const runs = Number(process.argv[2] ?? 7);
const dir = mkdtempSync(path.join(os.tmpdir(), "pandgate-upload-bench-"));
try {
  const bundle = path.join(dir, "parse.mjs");
  await build({
    entryPoints: [path.join(ROOT, "src/uploads/parse.ts")],
    bundle: true,
    format: "esm",
    platform: "node",
    outfile: bundle,
    logLevel: "error",
  });
  const fixtures = path.join(dir, "fixtures.mjs");
  await build({
    entryPoints: [path.join(ROOT, "test/uploads/fixtures.ts")],
    bundle: true,
    format: "esm",
    platform: "node",
    outfile: fixtures,
    logLevel: "error",
  });
  const { bigCsv, bigRows, buildXlsx } = await import(fixtures);
  const files = {
    CSV: path.join(dir, "stock.csv"),
    XLSX: path.join(dir, "stock.xlsx"),
  };
  writeFileSync(files.CSV, bigCsv(ROWS));
  writeFileSync(files.XLSX, buildXlsx(bigRows(ROWS)));
  const rows = [];
  for (const [kind, file] of Object.entries(files)) {
    const results = [];
    for (let i = 0; i < runs; i++) {
      const out = execFileSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--child", bundle, file], {
        encoding: "utf8",
      });
      results.push(JSON.parse(out));
    }
    const ms = results.map((r) => r.ms).sort((a, b) => a - b);
    const mb = results.map((r) => r.peakMb).sort((a, b) => a - b);
    const q = (xs, p) => xs[Math.min(xs.length - 1, Math.floor(p * (xs.length - 1) + 0.5))];
    rows.push(
      `| ${kind} | ${(results[0].bytes / (1024 * 1024)).toFixed(1)} MiB | ${q(ms, 0.5).toFixed(0)} ms (IQR ${q(ms, 0.25).toFixed(0)}–${q(ms, 0.75).toFixed(0)}, min–max ${ms[0].toFixed(0)}–${ms.at(-1).toFixed(0)}) | ${q(mb, 0.5).toFixed(0)} MB (min–max ${mb[0].toFixed(0)}–${mb.at(-1).toFixed(0)}) |`,
    );
    console.log(rows.at(-1));
  }
  writeBenchSection(
    "upload-parse",
    [
      `### Reading an uploaded spreadsheet (${ROWS.toLocaleString("en-GB")} address rows)`,
      "",
      `\`src/uploads/parse.ts\` in Node (the code the Worker runs), ${runs} runs each, each in a fresh process. Peak memory is how far the process's peak resident memory rose above what it held with the file read: the parser's own working memory. CSV: postcode;huisnummer;toevoeging plus a note column. XLSX: postcode (shared strings), house number (number cells), an inline-string letter on every fourth row, a note column.`,
      "",
      "| File | Size | Parse time (median) | Peak memory added (median) |",
      "| --- | --- | --- | --- |",
      ...rows,
    ].join("\n"),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

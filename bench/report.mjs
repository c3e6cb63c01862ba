// The one place measured figures reach the docs: `writeBenchSection(name, markdown)` puts a run's
// results into docs/benchmarks.md, between that section's own markers, and stamps them with the
// date, the commit, the machine's cores and its load average. Every other section is left as it
// is, so each producer (the workerd bench, bench/scale.mjs, scripts/build.mjs, …) replaces only
// its own figures. A section not in the file yet is appended at the end.
//
//   import { writeBenchSection } from "../bench/report.mjs";
//   writeBenchSection("scale", "| Dataset | … |\n| --- | … |\n…");
//
// PANDGATE_BENCH_DOC=<path> writes to another file (e.g. a scratch copy), PANDGATE_BENCH_DOC=off
// writes nothing. Node only (it writes a file); code in workerd reaches it through the bench
// project's BENCH_REPORT service binding (vitest.config.ts).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const BENCH_DOC = path.join(ROOT, "docs", "benchmarks.md");

const HEADER = `# Benchmark and build figures

For anyone who wants pandgate's measured figures: what a call costs, how lookups scale with the
size of the data, the bundle size and start-up time. **Every figure below is written by the
command that measured it**, between its section's markers; do not edit them by hand. Run the
command again and commit this file to update a section (\`npm run bench\` writes "mcp",
"tool-list", "completion", "registers", "live-job" and "scale", \`npm run bench:scale\` only "scale", \`npm run build\` "build", and
\`npm run build -- --startup 5\` also "startup"). Each section names when and where it was
measured: the date, the commit (\`+dirty\` when files other than Markdown had uncommitted changes),
the number of CPUs and the load average (1, 5 and 15 minutes) when it was written. A load average
above the number of CPUs means other work shared the machine: the figures are then slower and
noisier than on a quiet one, and the spread (IQR, min–max) says how far to trust each. How the
benchmarks work, and how to add a table, is in [testing.md](testing.md#benchmarks).
`;

const SECTION_NAME = /^[a-z][a-z0-9-]*$/;

/** The `<!-- bench:name -->` … `<!-- /bench:name -->` markers of one section. */
function markers(name) {
  return { start: `<!-- bench:${name} -->`, end: `<!-- /bench:${name} -->` };
}

/** Where and when: the date, the commit, CPUs and load average, as one Markdown line. */
export function runStamp(now = new Date()) {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" / ");
  const cpus = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  return `_Measured ${now.toISOString().replace(/\.\d+Z$/, "Z")} on commit \`${commit()}\`, ${cpus} CPUs, load average ${load} (${os.platform()} ${os.arch()}, Node ${process.versions.node})._`;
}

function commit() {
  try {
    const head = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)*.md"], {
      cwd: ROOT,
      encoding: "utf8",
    }).trim();
    return dirty ? `${head}+dirty` : head;
  } catch {
    return "unknown";
  }
}

/**
 * Replaces section `name` of docs/benchmarks.md with `markdown` (a heading of its own, tables,
 * notes), stamped with `runStamp()`. Returns the file written, or null when writing is off.
 */
export function writeBenchSection(name, markdown, { file = process.env.PANDGATE_BENCH_DOC || BENCH_DOC } = {}) {
  if (!SECTION_NAME.test(name)) throw new Error(`writeBenchSection: section name ${JSON.stringify(name)} must match ${SECTION_NAME}`);
  if (file === "off") return null;
  const { start, end } = markers(name);
  const block = `${start}\n${markdown.trim()}\n\n${runStamp()}\n${end}`;
  const current = existsSync(file) ? readFileSync(file, "utf8") : `${HEADER}\n`;
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next =
    from !== -1 && to > from ? `${current.slice(0, from)}${block}${current.slice(to + end.length)}` : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
  return file;
}

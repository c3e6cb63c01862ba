// Bundles the Worker exactly as a deploy would (wrangler deploy --dry-run) and reports its size:
// raw and gzip, the budget, and the largest contributors by package (from esbuild's metafile of
// this same build). `npm run build -- --startup [runs]` also measures the start-up CPU time
// (wrangler check startup, several runs, median). Both are written into their own sections of
// docs/benchmarks.md ("build", "startup"; bench/report.mjs). It also measures `tools/list` for a
// user with every role and scope (issue 19's context budget, src/mcp/tool-budget.ts) and fails
// above TOOL_LIST_BUDGET_BYTES, naming the largest tools.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { writeBenchSection } from "../bench/report.mjs";
import { buildApps } from "./build-apps.mjs";

const outdir = "dist";
const metafile = path.join(outdir, "bundle-meta.json");
/**
 * The budget for the gzipped bundle; the build fails above it. Issue 11 set 300 KiB; with issue 18's
 * spreadsheets (papaparse, saxes and fflate: about 50 KiB minified, plus src/uploads/ and
 * src/files/) the bundle is 309 KiB, so the budget was 320 KiB. Issue 20 brings the WWS engine and its tables
 * (src/domain/wws/, about 40 KiB minified with the tool and the facts: 331.4 KiB), the estimate per portfolio
 * item and the session lane for 2025-era elicitation (src/mcp/session.ts): 339.4 KiB, so the budget is 350 KiB
 * now (the Workers limit is 3 MiB gzip). Start-up time is measured beside it (`--startup`).
 */
const BUDGET_GZIP_KIB = 350;
const TOP = 12;

const args = process.argv.slice(2);
const startupAt = args.indexOf("--startup");
const startupRuns = startupAt === -1 ? 0 : Number(args[startupAt + 1]) || 7;

rmSync(outdir, { recursive: true, force: true });
// The MCP Apps are Static Assets beside the bundle (dist-apps/), not part of it: not counted here.
await buildApps({ quiet: false });
execFileSync("wrangler", ["deploy", "--dry-run", "--outdir", outdir, "--metafile", metafile], { stdio: "inherit" });
await checkZodShim();
await checkMcpShim();
const toolList = await measureToolListInNode();

// What is uploaded: the modules, not the source map (uploaded beside them), the metafile or the README.
let raw = 0;
let gzip = 0;
for (const name of readdirSync(outdir)) {
  const file = path.join(outdir, name);
  if (!statSync(file).isFile() || /\.(map|md)$/.test(name) || file === metafile) continue;
  const bytes = readFileSync(file);
  raw += bytes.length;
  gzip += gzipSync(bytes, { level: 9 }).length;
}
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

// Top contributors: each input's bytes in the minified output, summed by npm package (or, for
// our own code, by folder under src/). This is before gzip, which applies to the file as a whole.
const meta = JSON.parse(readFileSync(metafile, "utf8"));
const output = Object.values(meta.outputs).find((o) => o.entryPoint);
const byOwner = new Map();
for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
  const owner = ownerOf(input);
  byOwner.set(owner, (byOwner.get(owner) ?? 0) + bytesInOutput);
}
const total = [...byOwner.values()].reduce((a, b) => a + b, 0);
const largest = [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, TOP);
const share = (bytes) => `${((100 * bytes) / total).toFixed(1)}%`;
console.log(`\nLargest contributors (minified bytes in the bundle, from ${metafile}):`);
for (const [owner, bytes] of largest) console.log(`  ${kib(bytes).padStart(10)}  ${share(bytes).padStart(6)}  ${owner}`);

const summary = `${kib(raw)} raw, ${kib(gzip)} gzip (budget ${BUDGET_GZIP_KIB} KiB gzip; Workers limit: 3 MiB gzip on Free, 10 MiB on Paid)`;
console.log(`\nBundle: ${summary}`);
writeBenchSection(
  "build",
  [
    "## Bundle size (`npm run build`: `scripts/build.mjs`)",
    "",
    "The Worker bundled as a deploy would (`wrangler deploy --dry-run`, minified; the source map is uploaded beside it",
    "and not counted).",
    "",
    `**Bundle: ${summary}.**`,
    "",
    "Largest contributors (minified bytes in the bundle, before gzip, from esbuild's metafile of the same build):",
    "",
    "| Package or folder | Size | Share |",
    "| --- | ---: | ---: |",
    ...largest.map(([owner, bytes]) => `| \`${owner}\` | ${kib(bytes)} | ${share(bytes)} |`),
    "",
    ...toolListMarkdown(toolList),
  ].join("\n"),
);
if (startupRuns > 0) measureStartup(startupRuns);
let failed = false;
if (gzip > BUDGET_GZIP_KIB * 1024) {
  console.error(`The bundle is over its budget of ${BUDGET_GZIP_KIB} KiB gzip: see the contributors above.`);
  failed = true;
}
if (toolList.bytes > toolList.budget) {
  const biggest = toolList.tools
    .slice(0, 5)
    .map((t) => `${t.name} ${t.bytes} B (description ${t.description}, input ${t.inputSchema}, output ${t.outputSchema})`);
  console.error(
    `tools/list for a user with every role is ${toolList.bytes} bytes of JSON, over its budget of ${toolList.budget} (issue 19): shorten the largest tools' descriptions or schemas: ${biggest.join("; ")}.`,
  );
  failed = true;
}
if (failed) process.exit(1);

/**
 * tools/list for a user with every role and scope, on both protocol eras (the larger counts), as
 * src/mcp/tool-budget.ts measures it for the tests and the bench. The TypeScript is bundled for
 * Node with esbuild first; `cloudflare:workers` (imported for waitUntil by the audit trail and for
 * env by the MCP Apps' page reads, neither used while listing) is replaced by a stand-in.
 */
async function measureToolListInNode() {
  const dir = mkdtempSync(path.join(tmpdir(), "pandgate-tool-list-"));
  const outfile = path.join(dir, "tool-list.mjs");
  try {
    await build({
      stdin: {
        contents: [
          'import { catalog } from "./src/mcp/tools";',
          'import { listToolsAsSent, measureToolList } from "./src/mcp/tool-budget";',
          "export async function measure() {",
          '  const sizes = await Promise.all(["legacy", "modern"].map(async (era) => ({ era, ...measureToolList(await listToolsAsSent(catalog, era)) })));',
          "  return sizes.sort((a, b) => b.bytes - a.bytes)[0];",
          "}",
        ].join("\n"),
        resolveDir: process.cwd(),
        loader: "ts",
      },
      bundle: true,
      platform: "node",
      format: "esm",
      outfile,
      logLevel: "warning",
      plugins: [
        {
          name: "cloudflare-workers-stand-in",
          setup(b) {
            b.onResolve({ filter: /^cloudflare:workers$/ }, () => ({ path: "cloudflare:workers", namespace: "stand-in" }));
            b.onLoad({ filter: /.*/, namespace: "stand-in" }, () => ({
              contents: "export const env = {}; export function waitUntil() {}",
              loader: "js",
            }));
          },
        },
      ],
    });
    const { measure } = await import(outfile);
    const size = await measure();
    console.log(
      `\ntools/list, every role and scope (${size.era === "legacy" ? "2025-11-25" : "2026-07-28"}): ${size.bytes} bytes of JSON, ~${size.tokens} tokens (bytes ÷ 4); budget ${size.budget}`,
    );
    for (const t of size.tools) console.log(`  ${String(t.bytes).padStart(6)} B  ~${String(t.tokens).padStart(4)} tokens  ${t.name}`);
    return size;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The build section's tools/list line: the total against its budget (per tool: the "tool-list" section, `npm run bench`). */
function toolListMarkdown(size) {
  return [
    `**tools/list for a user with every role and scope: ${size.bytes} bytes of JSON, about ${size.tokens} tokens (bytes ÷ 4); budget ${size.budget} bytes (the build fails above it).** Per tool: the tools/list size section.`,
  ];
}

/** `node_modules/@scope/name/...` → `@scope/name`; `src/mcp/tools/x.ts` → `src/mcp`; else the path. */
function ownerOf(input) {
  const inPackage = input.lastIndexOf("node_modules/");
  if (inPackage !== -1) {
    const parts = input.slice(inPackage + "node_modules/".length).split("/");
    return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const parts = input.split("/");
  return parts[0] === "src" && parts.length > 2 ? `src/${parts[1]}` : parts[0] === "shims" ? "shims" : input;
}

/**
 * wrangler.toml aliases "zod" to shims/zod.mjs (zod without its locales). Fail the build if an
 * upgrade of zod made the shim export something else than "zod" does (less `locales`), or if
 * locales came back into the bundle by another path.
 */
async function checkZodShim() {
  const [real, shim] = await Promise.all([import("zod"), import("../shims/zod.mjs")]);
  const differ = (a, b) => {
    const want = Object.keys(a).filter((k) => k !== "locales");
    const have = Object.keys(b);
    return [...want.filter((k) => !have.includes(k)), ...have.filter((k) => !want.includes(k))];
  };
  const wrong = [...differ(real, shim), ...differ(real.core, shim.core).map((k) => `core.${k}`)];
  if (wrong.length > 0)
    throw new Error(`shims/zod.mjs no longer mirrors zod (${wrong.join(", ")}): update it from zod's v4/classic/external.js`);
  const { outputs } = JSON.parse(readFileSync(metafile, "utf8"));
  const inputs = Object.values(outputs).flatMap((o) => Object.entries(o.inputs ?? {}).filter(([, i]) => i.bytesInOutput > 0));
  const locales = inputs.map(([input]) => input).filter((input) => /node_modules\/zod\/.*\/locales\/(?!en\.js$)/.test(input));
  if (locales.length > 0)
    throw new Error(`zod locales are in the bundle again (${locales.length} files, e.g. ${locales[0]}): check [alias] in wrangler.toml`);
}

/**
 * wrangler.toml aliases the MCP SDK's Workers shim to shims/mcp-server-workerd.mjs (the same
 * exports, without its start-up preloadSchemas(); the agent calls it). Fail the build if an SDK
 * upgrade changed what the SDK's shim exports, or if the SDK's own shim is in the bundle again.
 */
async function checkMcpShim() {
  const sdk = "../node_modules/@modelcontextprotocol/server/dist/shimsWorkerd.mjs";
  const [real, shim] = await Promise.all([import(sdk), import("../shims/mcp-server-workerd.mjs")]);
  const want = Object.keys(real).sort().join(", ");
  const have = Object.keys(shim).sort().join(", ");
  if (want !== have) throw new Error(`shims/mcp-server-workerd.mjs exports ${have}, the SDK's Workers shim ${want}: update the shim`);
  const { outputs } = JSON.parse(readFileSync(metafile, "utf8"));
  const bundled = Object.values(outputs).some((o) => Object.keys(o.inputs ?? {}).some((input) => input.endsWith("/shimsWorkerd.mjs")));
  if (bundled) throw new Error("The MCP SDK's own Workers shim is in the bundle again: check [alias] in wrangler.toml");
}

/** Start-up CPU time ("Active" of wrangler check startup), `runs` times; prints each and the median. */
function measureStartup(runs) {
  const dir = mkdtempSync(path.join(tmpdir(), "pandgate-startup-"));
  const times = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync("wrangler", ["check", "startup", "--outfile", path.join(dir, "startup.cpuprofile")], { encoding: "utf8" });
    const active = /Active: ([\d.]+) ms/.exec(out);
    if (active) times.push(Number(active[1]));
  }
  rmSync(dir, { recursive: true, force: true });
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  const line = `Start-up CPU (wrangler check startup, ${times.length} runs): median ${median} ms; runs ${times.join(", ")} ms`;
  console.log(line);
  writeBenchSection(
    "startup",
    [
      "## Start-up CPU (`npm run build -- --startup <runs>`: `scripts/build.mjs`)",
      "",
      'The "Active" CPU time `wrangler check startup` reports for the bundle above, once per run.',
      "",
      `**${line}.**`,
    ].join("\n"),
  );
}

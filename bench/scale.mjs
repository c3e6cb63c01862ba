// Does pandgate's cost per lookup depend on how many addresses D1 holds? Loads the synthetic
// dataset at scale 1 (seed/seed.sql, 22,641 addresses) and at scale 45 (1,033,149 addresses,
// generated into .scale/) into two local D1 databases, then calls the same tools against both,
// interleaved, and prints per-lookup ratios (1M / 22k) with their spread, the load times and the
// database sizes. `npm run bench` runs it after the vitest benchmarks.
//
//   node bench/scale.mjs
//   PANDGATE_BENCH_SCALE=0 node bench/scale.mjs     only the 22k database: load, size, timings
//   PANDGATE_BENCH_SCALE=10 node bench/scale.mjs    another size for the large database (1..50)
//   PANDGATE_BENCH_ROUNDS=60 node bench/scale.mjs   more measured rounds (default 30)
//
// How: bench/scale-worker.ts, bundled with esbuild, runs in Miniflare's workerd (loopback only)
// with one D1 binding; there is one Miniflare per database, each persisted in .scale/d1/<name>/.
// The worker calls the tools' own `run` (catalog, input parsing, createServices, output check),
// so the SQL is whatever the data layer sends; OAuth, the agent and the MCP SDK are left out
// because their work does not depend on the data. Times are taken inside workerd, whose clock
// moves across I/O: each figure is the D1 round trips of a tool call plus the code between them.
//
// Cached across runs: the scale-45 SQL file (while scripts/seed.mjs is unchanged) and each loaded
// database (while it holds that file's dataset, with its content hash, and the same migrations).
// A cached database reports the load time measured when it was built.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { readD1Migrations } from "@cloudflare/vitest-plugin";
import { build } from "esbuild";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { writeBenchSection } from "./report.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CACHE = path.join(ROOT, ".scale");
const RESULTS = path.join(ROOT, "bench-results", "scale.json");

const LARGE_SCALE = readNumber("PANDGATE_BENCH_SCALE", 45, { min: 0, max: 50 });
const ROUNDS = readNumber("PANDGATE_BENCH_ROUNDS", 30, { min: 3, max: 1000 });
const WARMUP_ROUNDS = 5;
/**
 * Tool calls per request, each on another address; a request's time is their sum. workerd's clock
 * ticks in whole milliseconds, so a lookup gets as many calls (MIN_CALLS..MAX_CALLS) as fill
 * about TARGET_REQUEST_MS (set in each warm-up round, then fixed; the same on both databases).
 */
const MIN_CALLS = 10;
const MAX_CALLS = 60;
const TARGET_REQUEST_MS = 40;
/** Addresses sampled from each database, spread over its whole address table. */
const SAMPLE_SIZE = 2000;
/** SQL sent to D1 per batch while loading (one transaction each). */
const LOAD_BATCH_BYTES = 4 * 1024 * 1024;
/** The bench's own user (bench/scale-worker.ts): its saved assessments are removed before and after. */
const BENCH_USER = "bench-scale";
/** The BAG's size, roughly: about 10 million addresses (nummeraanduidingen) in the Netherlands. */
const BAG_ADDRESSES = 10_000_000;
/** D1's maximum database size on the paid plan. */
const D1_LIMIT_BYTES = 10 * 1000 ** 3;

/**
 * What is measured: the tools an MCP client calls, each with the arguments one sampled address
 * gives. Get_Property_Data by id and by postcode + number are the two address lookups;
 * Quick_Assess_Property does every read of an assessment, and then saves it.
 */
const LOOKUPS = [
  { name: "address by BAG id (Get_Property_Data)", tool: "Get_Property_Data", args: (a) => ({ addressId: a.id }) },
  { name: "address by postcode + number (Get_Property_Data)", tool: "Get_Property_Data", args: keyArgs },
  { name: "postcode listing (Get_Addresses_for_Postcode)", tool: "Get_Addresses_for_Postcode", args: (a) => ({ postcode: a.postcode }) },
  { name: "energy label (Get_Property_Energy_Label)", tool: "Get_Property_Energy_Label", args: (a) => ({ addressId: a.id }) },
  { name: "location (Analyze_Property_Location)", tool: "Analyze_Property_Location", args: (a) => ({ addressId: a.id }) },
  { name: "assessment (Quick_Assess_Property)", tool: "Quick_Assess_Property", args: (a) => ({ addressId: a.id }) },
];

function keyArgs(a) {
  return {
    postcode: a.postcode,
    houseNumber: a.house_number,
    ...(a.house_letter !== null && { houseLetter: a.house_letter }),
    ...(a.house_number_addition !== null && { houseNumberAddition: a.house_number_addition }),
  };
}

function readNumber(name, fallback, { min, max }) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    console.error(`bench/scale.mjs: ${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
}

const sha256 = (text) => createHash("sha256").update(text).digest("hex");
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const megabytes = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
const log = (line) => console.log(`[scale] ${line}`);

/** The `-- Dataset:` value a seed file's header names (the same string it writes into service_meta). */
function datasetOf(file) {
  const fd = openSync(file, "r");
  const head = Buffer.alloc(4096);
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const match = /^-- Dataset: (.+)$/m.exec(head.toString("utf8"));
  if (!match) throw new Error(`${path.relative(ROOT, file)} names no dataset in its header`);
  return match[1];
}

/** Imports a module without the ExperimentalWarning node:sqlite prints on Node 22. */
async function importQuietly(specifier) {
  const emit = process.emitWarning;
  process.emitWarning = (warning, ...rest) => {
    if (!String(warning).includes("SQLite is an experimental feature")) emit.call(process, warning, ...rest);
  };
  try {
    return await import(specifier);
  } finally {
    process.emitWarning = emit;
  }
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(command)} ${args.join(" ")} ended with ${signal ?? `exit code ${code}`}`)),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// The scale-45 SQL file, generated once and kept while the generator is unchanged.

async function largeSeedFile(scale) {
  const file = path.join(CACHE, `seed-scale${scale}.sql`);
  const manifestFile = `${file}.json`;
  const generator = sha256(
    [path.join(ROOT, "scripts", "seed.mjs"), path.join(ROOT, "src", "domain", "label-tables.json")]
      .map((f) => readFileSync(f, "utf8"))
      .join("\0"),
  );
  const manifest = readJson(manifestFile);
  if (manifest?.generator === generator && existsSync(file) && datasetOf(file) === manifest.dataset) {
    log(`using ${path.relative(ROOT, file)} (${megabytes(statSync(file).size)}, generated in ${seconds(manifest.ms)} when made)`);
    return { file, generatedMs: manifest.ms, cached: true };
  }
  mkdirSync(CACHE, { recursive: true });
  // What an interrupted generation left behind (scripts/seed.mjs's per-table parts).
  for (const name of readdirSync(CACHE)) if (name.startsWith(".seed-")) rmSync(path.join(CACHE, name), { recursive: true, force: true });
  log(`generating the scale-${scale} dataset into ${path.relative(ROOT, file)}…`);
  const started = performance.now();
  await run(process.execPath, [path.join(ROOT, "scripts", "seed.mjs"), "--scale", String(scale), "--out", file]);
  const ms = performance.now() - started;
  writeFileSync(
    manifestFile,
    `${JSON.stringify({ generator, scale, dataset: datasetOf(file), ms, bytes: statSync(file).size }, null, 2)}\n`,
  );
  return { file, generatedMs: ms, cached: false };
}

// ---------------------------------------------------------------------------------------------
// One local D1 database in its own Miniflare.

async function bundleWorker() {
  const out = await build({
    entryPoints: [path.join(ROOT, "bench", "scale-worker.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2024",
    external: ["cloudflare:*", "node:*"],
    write: false,
    logLevel: "warning",
  });
  return out.outputFiles[0].text;
}

function compatibility() {
  const toml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1];
  return {
    compatibilityDate: date ?? "2026-11-01",
    compatibilityFlags: flags ? [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1]) : ["nodejs_compat"],
  };
}

class Database {
  constructor(name, dir, script) {
    this.name = name;
    this.dir = dir;
    this.script = script;
    this.mf = null;
  }

  start() {
    this.mf = new Miniflare(
      convertV4MiniflareOptions({
        host: "127.0.0.1",
        modules: true,
        script: this.script,
        ...compatibility(),
        d1Databases: { DB: `pandgate-bench-${this.name}` },
        resourcePersistencePath: this.dir,
      }),
    );
  }

  async stop() {
    const mf = this.mf;
    this.mf = null;
    await mf?.dispose();
  }

  async call(route, body) {
    const res = await this.mf.dispatchFetch(`http://bench.local${route}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${this.name} ${route}: ${res.status} ${text.slice(0, 500)}`);
    return JSON.parse(text);
  }

  /** Bytes of the D1 files on disk (the SQLite file and its WAL). */
  fileBytes() {
    const d1 = path.join(this.dir, "d1");
    if (!existsSync(d1)) return 0;
    let total = 0;
    const walk = (dir) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (!entry.name.startsWith("metadata.")) total += statSync(full).size;
      }
    };
    walk(d1);
    return total;
  }

  /**
   * Makes sure the database holds `sqlFile`'s dataset on top of the migrations: reused when it
   * already does (with the load time measured back then), else wiped and loaded, timed.
   */
  async ensureLoaded(sqlFile, migrations) {
    const dataset = datasetOf(sqlFile);
    const migrationsHash = sha256(JSON.stringify(migrations));
    const manifestFile = path.join(this.dir, "bench.json");
    const manifest = readJson(manifestFile);
    if (manifest?.dataset === dataset && manifest.migrations === migrationsHash) {
      this.start();
      const meta = await this.call("/meta");
      if (meta.dataset === dataset) {
        log(
          `${this.name}: reusing the loaded database in ${path.relative(ROOT, this.dir)} (loaded in ${seconds(manifest.loadMs)} when built)`,
        );
        return { ...manifest, meta, reused: true };
      }
      await this.stop();
    }
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    this.start();
    log(`${this.name}: loading ${path.relative(ROOT, sqlFile)} (${megabytes(statSync(sqlFile).size)}) into a fresh local D1…`);
    const started = performance.now();
    for (const migration of migrations) await this.call("/exec", { statements: migration.queries });
    let batch = [];
    let bytes = 0;
    let statements = 0;
    const lines = createInterface({ input: createReadStream(sqlFile, { encoding: "utf8" }), crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of lines) {
      if (line === "" || line.startsWith("--")) continue;
      batch.push(line);
      bytes += line.length;
      statements += 1;
      if (bytes >= LOAD_BATCH_BYTES) {
        await this.call("/exec", { statements: batch });
        batch = [];
        bytes = 0;
      }
    }
    await this.call("/exec", { statements: batch });
    const loadMs = performance.now() - started;
    const meta = await this.call("/meta");
    if (meta.dataset !== dataset) throw new Error(`${this.name}: after loading, the database says ${meta.dataset}, not ${dataset}`);
    const built = {
      dataset,
      migrations: migrationsHash,
      loadMs,
      statements,
      sqlBytes: statSync(sqlFile).size,
      builtAt: new Date().toISOString(),
    };
    writeFileSync(manifestFile, `${JSON.stringify(built, null, 2)}\n`);
    log(`${this.name}: loaded ${statements} statements in ${seconds(loadMs)}`);
    return { ...built, meta, reused: false };
  }

  /** SAMPLE_SIZE addresses at rowids spread over the table by a fixed stride (the same every run). */
  async sample(maxRowid) {
    const rowids = new Set();
    for (let i = 0; rowids.size < Math.min(SAMPLE_SIZE, maxRowid); i++) rowids.add(1 + ((i * 2_654_435_761) % maxRowid));
    return this.call("/sample", { rowids: [...rowids] });
  }

  /**
   * Bytes per table, its indexes included, from SQLite's dbstat (node:sqlite has it, workerd's
   * SQLite has not), read from the D1 file once Miniflare is stopped.
   */
  async storage() {
    const dir = path.join(this.dir, "d1", "miniflare-D1DatabaseObject");
    const file = readdirSync(dir).find((name) => name.endsWith(".sqlite") && name !== "metadata.sqlite");
    if (!file) return null;
    const { DatabaseSync } = await importQuietly("node:sqlite");
    const db = new DatabaseSync(path.join(dir, file), { readOnly: true });
    try {
      const objects = db
        .prepare(
          `SELECT coalesce(m.tbl_name, d.name) AS tbl, m.type AS type, sum(d.pgsize) AS bytes
           FROM dbstat d LEFT JOIN sqlite_schema m ON m.name = d.name GROUP BY d.name`,
        )
        .all();
      const tables = {};
      let indexes = 0;
      let total = 0;
      for (const o of objects) {
        tables[o.tbl] = (tables[o.tbl] ?? 0) + o.bytes;
        if (o.type === "index") indexes += o.bytes;
        total += o.bytes;
      }
      // SQLite's own index for each TEXT primary key (the table itself is keyed by rowid).
      const primaryKeys = db.prepare("SELECT sum(pgsize) AS bytes FROM dbstat WHERE name LIKE 'sqlite_autoindex_%'").get().bytes;
      return { total, indexes, primaryKeys, tables };
    } finally {
      db.close();
    }
  }

  clearBenchAssessments() {
    return this.call("/exec", { statements: [`DELETE FROM assessments WHERE owner_key = '${BENCH_USER}'`] });
  }
}

// ---------------------------------------------------------------------------------------------
// Measuring.

function quantile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p25: quantile(sorted, 0.25), p75: quantile(sorted, 0.75), min: sorted[0], max: sorted.at(-1) };
}

/** One request: `count` calls of the lookup's tool, on the sample's addresses from `cursor` on. */
async function timeRequest(db, lookup, addresses, cursor, count) {
  const calls = [];
  for (let i = 0; i < count; i++) calls.push(lookup.args(addresses[(cursor + i) % addresses.length]));
  const started = performance.now();
  const answer = await db.call("/tool", { name: lookup.tool, calls });
  const wall = performance.now() - started;
  return { worker: answer.ms / count, wall: wall / count };
}

/**
 * Every round runs each lookup once on each database, back to back, the order alternating
 * between rounds; a round's ratio compares the two runs of that round.
 */
async function measure(dbs, samples) {
  const times = LOOKUPS.map(() => dbs.map(() => ({ worker: [], wall: [] })));
  const counts = LOOKUPS.map(() => MIN_CALLS);
  const cursors = LOOKUPS.map(() => 0);
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    const measured = round >= WARMUP_ROUNDS;
    for (const [l, lookup] of LOOKUPS.entries()) {
      const order = dbs.map((_, i) => i);
      if (round % 2 === 1) order.reverse();
      for (const i of order) {
        const t = await timeRequest(dbs[i], lookup, samples[i], cursors[l], counts[l]);
        if (!measured && i === 0) counts[l] = Math.max(MIN_CALLS, Math.min(MAX_CALLS, Math.ceil(TARGET_REQUEST_MS / t.wall)));
        if (measured) {
          times[l][i].worker.push(t.worker);
          times[l][i].wall.push(t.wall);
        }
      }
      cursors[l] += counts[l];
    }
  }
  return LOOKUPS.map((lookup, l) => {
    const [small, large] = times[l];
    const row = {
      lookup: lookup.name,
      tool: lookup.tool,
      callsPerRequest: counts[l],
      small: summary(small.worker),
      smallWall: summary(small.wall),
    };
    if (large) {
      row.large = summary(large.worker);
      row.largeWall = summary(large.wall);
      row.ratio = summary(large.worker.map((ms, r) => ms / small.worker[r]));
      row.wallRatio = summary(large.wall.map((ms, r) => ms / small.wall[r]));
    }
    return row;
  });
}

// ---------------------------------------------------------------------------------------------
// Report.

const fmt = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : "–");

const TABLE_NAMES = {
  addresses: "addresses",
  energy_labels: "energy labels",
  units: "units",
  unit_buildings: "unit_buildings",
  buildings: "buildings",
};

/**
 * Prints the report and writes it, as Markdown, into the "scale" section of docs/benchmarks.md
 * (bench/report.mjs).
 */
function printReport({ loads, rows, largeScale, totalMs }) {
  const lines = [];
  const out = (line) => lines.push(line);
  out("");
  out("Databases (local D1 in Miniflare; load = the migrations, then every statement of the SQL file in 4 MB batches):");
  out("");
  out("| Dataset | Addresses | SQL file | Load | D1 size | Per address |");
  out("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const load of loads) {
    const addresses = load.meta.counts.addresses;
    out(
      `| ${load.label} | ${addresses.toLocaleString("en")} | ${megabytes(load.sqlBytes)} | ${seconds(load.loadMs)}${load.reused ? " (cached)" : ""} | ` +
        `${megabytes(load.meta.sizeBytes)} | ${Math.round(load.meta.sizeBytes / addresses)} B |`,
    );
  }
  out("");
  const largest = loads.at(-1);
  const storage = largest.storage;
  if (storage) {
    const parts = Object.entries(TABLE_NAMES)
      .filter(([table]) => storage.tables[table])
      .map(([table, name]) => `${name} ${megabytes(storage.tables[table])}`);
    out(
      `Where the ${largest.label} database's pages go (tables with their indexes): ${parts.join(", ")}; ` +
        `indexes ${Math.round((100 * storage.indexes) / storage.total)} %, of which SQLite's own indexes for the TEXT primary keys ` +
        `${Math.round((100 * storage.primaryKeys) / storage.total)} % of the whole.`,
    );
  }
  const perAddress = largest.meta.sizeBytes / largest.meta.counts.addresses;
  const atBag = perAddress * BAG_ADDRESSES;
  out(
    `At ${(BAG_ADDRESSES / 1e6).toFixed(0)} M addresses (about the BAG) the same rows per address take about ${(atBag / 1e9).toFixed(1)} GB: ` +
      `${Math.round((100 * atBag) / D1_LIMIT_BYTES)} % of D1's 10 GB limit.`,
  );
  out("");
  out(
    `Per tool call, in workerd, median over ${ROUNDS} rounds (${rows.map((r) => r.callsPerRequest).join("/")} calls per request, after ${WARMUP_ROUNDS} warm-up rounds):`,
  );
  out("");
  if (rows[0]?.ratio !== undefined) {
    const label = `${(largest.meta.counts.addresses / 1e6).toFixed(2)} M`;
    out(`| Lookup | 22 k: ms | ${label}: ms | Ratio ${label} / 22 k: median | IQR | min–max | Wall clock: median (IQR) |`);
    out("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const r of rows) {
      out(
        `| ${r.lookup} | ${fmt(r.small.median)} | ${fmt(r.large.median)} | ${fmt(r.ratio.median)} | ${fmt(r.ratio.p25)}–${fmt(r.ratio.p75)} | ` +
          `${fmt(r.ratio.min)}–${fmt(r.ratio.max)} | ${fmt(r.wallRatio.median)} (${fmt(r.wallRatio.p25)}–${fmt(r.wallRatio.p75)}) |`,
      );
    }
  } else {
    out("| Lookup | 22 k: ms | IQR | Wall clock: ms |");
    out("| --- | ---: | ---: | ---: |");
    for (const r of rows)
      out(`| ${r.lookup} | ${fmt(r.small.median)} | ${fmt(r.small.p25)}–${fmt(r.small.p75)} | ${fmt(r.smallWall.median)} |`);
    out(`(PANDGATE_BENCH_SCALE=${largeScale}: the large database was skipped.)`);
  }
  for (const line of lines) console.log(line);
  const heading = [
    "## Lookups at 22 k and 1 M addresses (`npm run bench:scale`: `bench/scale.mjs`)",
    "",
    "The synthetic dataset at scale 1 and at a large scale, each in its own local D1 in Miniflare, and the tools' own",
    "`run` called against both, interleaved. What it does is described in [testing.md](testing.md#benchmarks).",
    `Whole run, generation and loading included: ${seconds(totalMs)}.`,
  ];
  const written = writeBenchSection("scale", [...heading, ...lines].join("\n"));
  console.log(
    `\n[scale] done in ${seconds(totalMs)}; figures in ${path.relative(ROOT, RESULTS)}${written ? ` and ${path.relative(ROOT, written)}` : ""}`,
  );
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = performance.now();
  const migrations = await readD1Migrations(path.join(ROOT, "migrations"));
  const script = await bundleWorker();
  const dbs = [];
  const stopAll = async () => {
    for (const db of dbs) await db.stop().catch(() => {});
  };
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, () => {
      stopAll().finally(() => process.exit(130));
    });
  }
  try {
    const sources = [{ label: "scale 1 (seed/seed.sql)", name: "scale1", file: path.join(ROOT, "seed", "seed.sql") }];
    if (LARGE_SCALE > 0) {
      const large = await largeSeedFile(LARGE_SCALE);
      sources.push({
        label: `scale ${LARGE_SCALE} (.scale/)`,
        name: `scale${LARGE_SCALE}`,
        file: large.file,
        generatedMs: large.generatedMs,
      });
    }
    const loads = [];
    for (const source of sources) {
      const db = new Database(source.name, path.join(CACHE, "d1", source.name), script);
      dbs.push(db);
      const load = await db.ensureLoaded(source.file, migrations);
      loads.push({ ...load, label: source.label, generatedMs: source.generatedMs ?? null });
    }
    const samples = [];
    for (const [i, db] of dbs.entries()) {
      await db.clearBenchAssessments();
      samples.push(await db.sample(loads[i].meta.counts.maxRowid));
    }
    log(`measuring ${LOOKUPS.length} lookups × ${dbs.length} database(s), ${WARMUP_ROUNDS} + ${ROUNDS} rounds…`);
    const rows = await measure(dbs, samples);
    for (const db of dbs) await db.clearBenchAssessments();
    await stopAll();
    for (const [i, db] of dbs.entries()) {
      loads[i].fileBytes = db.fileBytes();
      loads[i].storage = await db.storage();
    }
    const totalMs = performance.now() - started;
    mkdirSync(path.dirname(RESULTS), { recursive: true });
    writeFileSync(
      RESULTS,
      `${JSON.stringify({ at: new Date().toISOString(), rounds: ROUNDS, warmupRounds: WARMUP_ROUNDS, loads, rows, totalMs }, null, 2)}\n`,
    );
    printReport({ loads, rows, largeScale: LARGE_SCALE, totalMs });
  } finally {
    await stopAll();
  }
}

await main();

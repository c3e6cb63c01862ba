import { readFileSync } from "node:fs";
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { writeBenchSection } from "./bench/report.mjs";
import { buildApps } from "./scripts/build-apps.mjs";

/** Public origin the Worker is configured with in tests (https, so `__Host-` cookies work). */
export const TEST_PUBLIC_URL = "https://mcp.example.com";

/**
 * The Worker's settings in the workerd tests: multi-tenant Entra sign-in (answered by the mock
 * in test/helpers/entra.ts, in Entra's wire format), two allowed tenants, the operator API and
 * delegated Blockbrain-style user tokens.
 */
export const TEST_SETTINGS = {
  PUBLIC_URL: TEST_PUBLIC_URL,
  IDP_KIND: "entra",
  IDP_TENANT: "organizations",
  IDP_CLIENT_ID: "6731de76-14a6-49ae-97bc-6eba6914391e",
  IDP_CLIENT_SECRET: "test-upstream-client-secret",
  ALLOWED_TENANT_IDS: "3f1c2a6e-8b4d-4e21-9a57-0c6d2e8f4b11,7a9e4b20-5c3f-4d8a-b1e6-2f0d9c7a3e55",
  COOKIE_SECRET: "test-cookie-secret-0123456789abcdef0123456789",
  OPERATOR_SECRET: "test-operator-secret-0123456789abcdef01234567",
  EXTERNAL_TOKEN_ISSUER: "https://auth.blockbrain.test",
  EXTERNAL_TOKEN_JWKS_URL: "https://auth.blockbrain.test/oauth/v2/keys",
  EXTERNAL_TOKEN_AUDIENCE: "pandgate-project",
};

/*
 * WHICH PROJECT A TEST FILE RUNS IN. `vitest run` (and so `npm test`) runs all five projects;
 * `vitest run --project <name>` runs one. The lists below are the only place that decides.
 *
 * Every workerd test file gets a fresh workerd with its own storage, and a file that imports
 * `cloudflare:test` or `cloudflare:workers`' `exports` loads the whole Worker into it (a few
 * seconds each). Loading the synthetic dataset (seed/seed.sql, ~9 MB) adds more. So each file
 * runs in the cheapest project that still gives it what it uses:
 *
 * - "workerd" — THE DEFAULT: a test file listed nowhere below runs here. The Worker, the D1
 *   migrations and the synthetic dataset (test/setup-seed.ts). Always correct, only slower.
 *   A file that calls a property tool (Get_Addresses_for_Postcode, Get_Property_*,
 *   Quick_Assess_Property, Assess_Portfolio, ...) or reads the data tables (addresses, units,
 *   buildings, energy_labels, neighbourhoods, districts, municipalities) must stay here.
 * - "workerd-no-seed" (NO_SEED): the Worker and the migrations (test/setup.ts), empty data
 *   tables. For files that go through the Worker or D1 but read no seed rows.
 * - "workerd-modules" (WORKERD_MODULES): the Workers runtime with MSW only (test/setup-bare.ts):
 *   the Worker is not loaded and no migrations run. For files that import neither
 *   `cloudflare:test` nor `cloudflare:workers`, testing modules directly (the register adapters).
 * - "node" (NODE): plain Node with MSW (test/setup-bare.ts). Only for pure modules: the file and
 *   everything it imports must need no `cloudflare:*` module, binding or Workers-only API.
 * - "workerd-live" (LIVE): the Worker in live mode (LIVE_SETTINGS: DATA_SOURCE=live and the
 *   EP-Online key the stand-ins in test/helpers/registers.ts accept) with the migrations and no
 *   seed (test/setup.ts). For files that go through the Worker against the register stand-ins,
 *   as a deployment in live mode does. Only the files listed run here; it is never a default.
 *
 * When in doubt, list a new file nowhere. A file in too light a project usually fails (no such
 * table, `cloudflare:` modules not found, no rows where the test expects some), but a test that
 * expects "not found" would pass on empty tables: read the file before listing it.
 */
const NO_SEED = [
  "test/audit-trail.test.ts",
  "test/audit-outbox.test.ts",
  "test/audit-mcp.test.ts",
  "test/audit-oauth.test.ts",
  "test/audit-operator.test.ts",
  "test/auth.test.ts",
  "test/cimd.test.ts",
  "test/clients.test.ts",
  "test/consent.test.ts",
  "test/external-token.test.ts",
  "test/http.test.ts",
  "test/live-registers-matrix.test.ts",
  "test/live-rounds.test.ts",
  "test/mcp-input.test.ts",
  "test/mcp.test.ts",
  "test/origin.test.ts",
  "test/rate-limit.test.ts",
  "test/refresh.test.ts",
  "test/signin-unavailable.test.ts",
  "test/signin.test.ts",
  "test/tenant-clients.test.ts",
  "test/upstream-refresh.test.ts",
  "test/bad-input.test.ts",
  "test/fuzz.test.ts",
  "test/portfolio-files.test.ts",
  "test/uploads/upload.test.ts",
  "test/tool-budget.test.ts",
];
const WORKERD_MODULES = [
  "test/data/live/bag.test.ts",
  "test/data/live/budget.test.ts",
  "test/data/live/brk.test.ts",
  "test/data/live/rce-monuments.test.ts",
  "test/data/live/cbs.test.ts",
  "test/data/live/ep-online.test.ts",
  "test/data/live/http.test.ts",
  "test/data/live/locatieserver.test.ts",
];
const NODE = [
  "test/domain/**/*.test.ts",
  "test/config.test.ts",
  "test/encoding.test.ts",
  "test/upstream.test.ts",
  "test/entra-manifest.test.ts",
  "test/uploads/parse.test.ts",
  "test/tool-output-schemas.test.ts",
];
/** The Worker in live mode: its data source is read from its bindings, so it needs its own project. */
const LIVE = [
  "test/golden/live.test.ts",
  "test/completion-live.test.ts",
  "test/portfolio-rent-live.test.ts",
  "test/rent-points-live.test.ts",
];
/** The live-mode settings of "workerd-live"; the key is the one test/helpers/registers.ts's EP-Online stand-in accepts. */
export const LIVE_SETTINGS = { DATA_SOURCE: "live", EP_ONLINE_API_KEY: "test-ep-online-key-3e8a1f60" };
const ALL_TESTS = ["test/**/*.test.ts", "test/**/*.test.tsx"];
/** The end-to-end tests, run by their own config (vitest.e2e.config.ts). */
const E2E = ["test/e2e/**"];
/**
 * `npm run bench` (bench/*.bench.ts) runs in the "bench" project only: the "workerd" project's
 * Worker, migrations and seed, plus the bare Worker the bench compares against (BENCH_BARE, a
 * service binding to bench/bare-worker.js). It has no test files, so `vitest run` never starts it.
 */
const NO_BENCHMARKS = { include: [] };
/**
 * BENCH_REPORT: `POST http://bench-report/<section>` with a Markdown part adds it to that section
 * of docs/benchmarks.md, which is rewritten with every part this run has sent so far
 * (bench/report.mjs). It runs here in Node, because code in workerd cannot write files.
 */
const benchParts = new Map<string, string[]>();
async function benchReport(request: Request): Promise<Response> {
  const section = new URL(request.url).pathname.slice(1);
  const parts = benchParts.get(section) ?? [];
  parts.push(await request.text());
  benchParts.set(section, parts);
  try {
    writeBenchSection(section, parts.join("\n\n"));
    return new Response(null, { status: 204 });
  } catch (error) {
    return new Response(String(error), { status: 400 });
  }
}
/** Benchmarks that start `wrangler dev` themselves and talk HTTP on loopback: project "bench-http", in Node. */
const HTTP_BENCHMARKS = ["bench/overhead.bench.ts", "bench/portfolio.bench.ts"];
/** Benchmarks of pure modules in plain Node, where the heap can be read (peak memory): project "bench-node". */
const NODE_BENCHMARKS = ["bench/files.bench.ts"];
/** Benchmarks of the Worker in live mode (LIVE_SETTINGS) against the register stand-ins: project "bench-live". */
const LIVE_BENCHMARKS = ["bench/live-job.bench.ts"];
const BENCH_WORKERS = {
  workers: [{ name: "bench-bare", modules: true, scriptPath: "./bench/bare-worker.js", compatibilityDate: "2026-11-01" }],
  serviceBindings: { BENCH_BARE: "bench-bare", BENCH_REPORT: benchReport },
};

/**
 * The synthetic dataset (seed/seed.sql, from scripts/seed.mjs) as its statements: the generator
 * writes exactly one statement per line, so every line that is not a comment is one statement.
 */
function readSeedStatements(): string[] {
  const sql = readFileSync(path.join(import.meta.dirname, "seed", "seed.sql"), "utf8");
  return sql.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("--"));
}

/**
 * How long a test may wait, in every project. The suite must pass on a busy machine (a shared
 * 2-core CI runner or laptop, load average 8-10; `npm run test:stress` checks it), where work
 * that takes 1-2 s on an idle machine takes 5-10 s. So a test waits for events (or polls against
 * a deadline), and these limits only stop a hang:
 * - testTimeout 60 s: the slowest tests are CPU-bound, not waiting (the seed reloaded over itself
 *   in test/data/seed.test.ts, 9 MB of SQL; the rate-limit tests' 120-240 requests), 2-7 s at
 *   load 7 here; 60 s leaves several times that for load 10, and a hang still ends in a minute.
 *   A test that must wait longer (a rate-limit window, a portfolio job) names its own timeout.
 * - hookTimeout 120 s: a beforeAll that signs users in or fills tables does several tests' work.
 * - expect.poll 30 s: Vitest's default (1 s) is a fixed short wait; a poll returns as soon as it
 *   passes, so the deadline costs nothing when all is well. `vi.waitFor` takes the same figure,
 *   passed where it is called (it has no setting here).
 */
export const WAITS = { testTimeout: 60_000, hookTimeout: 120_000, expect: { poll: { timeout: 30_000 } } };

export default defineConfig(async () => {
  // The MCP Apps (dist-apps/, the Worker's static assets in wrangler.toml) before workerd reads them.
  await buildApps();
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  /** The Worker from wrangler.toml in workerd, with the test settings and test-only bindings. */
  const workerd = (bindings: Record<string, unknown>, extra: Partial<typeof BENCH_WORKERS> = {}) =>
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: { bindings: { TEST_MIGRATIONS: migrations, ...bindings, ...TEST_SETTINGS }, ...extra },
    });
  let seed: string[] | undefined;
  const seedStatements = () => {
    seed ??= readSeedStatements();
    return seed;
  };
  return {
    test: {
      // Vitest's default is one worker fewer than the CPUs (1 on a 2-core machine). A workerd
      // file spends much of its time waiting on module loads over RPC, so use every CPU.
      maxWorkers: "100%",
      teardownTimeout: 60_000,
      // The Worker logs one JSON line per request; keep warnings and errors, drop routine info.
      onConsoleLog: (line: string) => !line.startsWith('{"level":"info"'),
      projects: [
        {
          plugins: [workerd({ TEST_SEED: seedStatements() })],
          test: {
            name: "workerd",
            ...WAITS,
            include: ALL_TESTS,
            exclude: [...E2E, ...NO_SEED, ...WORKERD_MODULES, ...NODE, ...LIVE],
            setupFiles: ["./test/setup-seed.ts"],
            benchmark: NO_BENCHMARKS,
          },
        },
        {
          plugins: [workerd({ TEST_SEED: seedStatements() }, BENCH_WORKERS)],
          test: {
            name: "bench",
            ...WAITS,
            include: [],
            setupFiles: ["./test/setup-seed.ts"],
            benchmark: { include: ["bench/**/*.bench.ts"], exclude: [...HTTP_BENCHMARKS, ...NODE_BENCHMARKS, ...LIVE_BENCHMARKS] },
          },
        },
        {
          // A live portfolio job end to end: the "workerd-live" Worker (migrations, no seed) with BENCH_REPORT.
          plugins: [workerd(LIVE_SETTINGS, BENCH_WORKERS)],
          test: {
            name: "bench-live",
            ...WAITS,
            include: [],
            setupFiles: ["./test/setup.ts"],
            benchmark: { include: [...LIVE_BENCHMARKS] },
          },
        },
        {
          // The HTTP benchmark (pandgate and a bare Worker under wrangler dev, driven from Node).
          test: { name: "bench-http", include: [], environment: "node", benchmark: { include: [...HTTP_BENCHMARKS] } },
        },
        {
          // Builders of pure modules (portfolio result files), with the heap readable after a forced GC.
          test: {
            name: "bench-node",
            include: [],
            environment: "node",
            execArgv: ["--expose-gc"],
            benchmark: { include: [...NODE_BENCHMARKS] },
          },
        },
        {
          plugins: [workerd({})],
          test: { name: "workerd-no-seed", ...WAITS, include: NO_SEED, setupFiles: ["./test/setup.ts"], benchmark: NO_BENCHMARKS },
        },
        {
          plugins: [workerd(LIVE_SETTINGS)],
          test: { name: "workerd-live", ...WAITS, include: LIVE, setupFiles: ["./test/setup.ts"], benchmark: NO_BENCHMARKS },
        },
        {
          plugins: [workerd({})],
          test: {
            name: "workerd-modules",
            ...WAITS,
            include: WORKERD_MODULES,
            setupFiles: ["./test/setup-bare.ts"],
            benchmark: NO_BENCHMARKS,
          },
        },
        {
          test: {
            name: "node",
            ...WAITS,
            include: NODE,
            environment: "node",
            // Tests that build the MCP server in Node to list its tools (test/tool-output-schemas.test.ts).
            alias: { "cloudflare:workers": path.join(import.meta.dirname, "test/helpers/cloudflare-workers-stand-in.ts") },
            setupFiles: ["./test/setup-bare.ts"],
            benchmark: NO_BENCHMARKS,
          },
        },
      ],
    },
  };
});

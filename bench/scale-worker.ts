/**
 * The Worker `bench/scale.mjs` runs in Miniflare (workerd) against one local D1 database: the
 * synthetic dataset at scale 1 (22,641 addresses) or at scale 45 (1,033,149). It calls pandgate's
 * own tools, exactly as the MCP server does after the SDK has checked the arguments (catalog
 * entry, `tool.input` parsing, `tool.run` with the real services from `createServices`, the
 * result checked against `tool.output`), so it sends whatever SQL the data layer sends today.
 * OAuth, the gateway, the user's agent and the MCP SDK are left out: they do the same work
 * whatever the size of the dataset, and would only add noise to the comparison.
 *
 * Not part of the Worker that is deployed; bundled by bench/scale.mjs.
 */
import type { Config } from "../src/config";
import { createServices } from "../src/data/services";
import type { PortfolioJobs } from "../src/jobs/portfolio";
import { CallerSchema } from "../src/mcp/caller";
import type { ToolContext } from "../src/mcp/catalog";
import { catalog } from "../src/mcp/tools";

interface BenchEnv {
  DB: D1Database;
}

/** The bench's own user: its saved assessments are deleted before and after a run. */
const BENCH_USER = "bench-scale";

const caller = CallerSchema.parse({
  identity: { userKey: BENCH_USER, tenantId: "bench-tenant", roles: [], idp: "oidc" },
  scopes: ["mcp:read", "mcp:write"],
  clientId: "bench",
  requestId: "bench-scale",
});

/** None of the tools benchmarked starts a portfolio job; touching the jobs would be a bench error. */
const noJobs = new Proxy(
  {},
  {
    get() {
      throw new Error("the scale bench runs no portfolio jobs");
    },
  },
) as PortfolioJobs;

/** The synthetic dataset in D1 (DATA_SOURCE's default); `createServices` reads nothing else of the configuration for it. */
const config = { dataSource: "synthetic" } as Config;

function context(env: BenchEnv, rpcId: number): ToolContext {
  return {
    caller,
    services: createServices(config, env as unknown as Env),
    progress: { enabled: false, report: async () => {} },
    signal: new AbortController().signal,
    protocolVersion: "2025-11-25",
    rpcId,
    jobs: noJobs,
  };
}

type Json = Record<string, unknown>;

/** Runs `tool` once per argument object, one after the other; the time is workerd's, across the D1 round trips. */
async function runTool(env: BenchEnv, name: string, calls: Json[]): Promise<Response> {
  const tool = catalog.get(name);
  if (!tool) return Response.json({ error: `no tool ${name}` }, { status: 400 });
  const started = performance.now();
  let rpcId = 0;
  for (const args of calls) {
    const result = await tool.run(tool.input.parse(args), context(env, ++rpcId));
    tool.output.parse(result);
  }
  return Response.json({ ms: performance.now() - started, calls: calls.length });
}

/** Statements (one per element) as one batch: one D1 transaction. */
async function exec(env: BenchEnv, statements: string[]): Promise<Response> {
  const started = performance.now();
  const results = statements.length ? await env.DB.batch(statements.map((sql) => env.DB.prepare(sql))) : [];
  return Response.json({ ms: performance.now() - started, sizeAfter: results.at(-1)?.meta.size_after ?? null });
}

/** What is loaded: the dataset name, row counts, and D1's own figure for the database size. */
async function meta(env: BenchEnv): Promise<Response> {
  const tables = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'service_meta'").first();
  if (!tables) return Response.json({ dataset: null });
  const [dataset, counts] = await env.DB.batch<Json>([
    env.DB.prepare("SELECT value FROM service_meta WHERE key = 'dataset'"),
    env.DB.prepare(
      `SELECT (SELECT count(*) FROM addresses) AS addresses, (SELECT count(*) FROM units) AS units,
              (SELECT count(*) FROM buildings) AS buildings, (SELECT count(*) FROM energy_labels) AS labels,
              (SELECT count(*) FROM neighbourhoods) AS neighbourhoods, (SELECT max(rowid) FROM addresses) AS maxRowid`,
    ),
  ]);
  return Response.json({
    dataset: dataset?.results[0]?.value ?? null,
    counts: counts?.results[0] ?? null,
    sizeBytes: counts?.meta.size_after ?? null,
  });
}

/** Bytes per table and index, where workerd's SQLite has the dbstat table (null where it has not). */
async function sizes(env: BenchEnv): Promise<Response> {
  try {
    const { results } = await env.DB.prepare(
      "SELECT name, sum(pgsize) AS bytes FROM dbstat WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' GROUP BY name ORDER BY bytes DESC",
    ).all<Json>();
    return Response.json(results);
  } catch {
    return Response.json(null);
  }
}

/** The addresses at the given rowids (a spread-out sample, the same one every run). */
async function sample(env: BenchEnv, rowids: number[]): Promise<Response> {
  const { results } = await env.DB.prepare(
    `SELECT id, postcode, house_number, house_letter, house_number_addition FROM addresses
     WHERE rowid IN (SELECT value FROM json_each(?1)) ORDER BY rowid`,
  )
    .bind(JSON.stringify(rowids))
    .all<Json>();
  return Response.json(results);
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const body = request.method === "POST" ? ((await request.json()) as Json) : {};
    switch (url.pathname) {
      case "/tool":
        return runTool(env, String(body.name), body.calls as Json[]);
      case "/exec":
        return exec(env, body.statements as string[]);
      case "/meta":
        return meta(env);
      case "/sizes":
        return sizes(env);
      case "/sample":
        return sample(env, body.rowids as number[]);
      default:
        return new Response("not found", { status: 404 });
    }
  },
} satisfies ExportedHandler<BenchEnv>;

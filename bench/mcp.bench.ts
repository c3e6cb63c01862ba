import { createExecutionContext, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { Agent, getAgentByName } from "agents";
import { createMcpHandler } from "agents/mcp/server";
import { bench, describe } from "vitest";
import { completeEvent } from "../src/audit/events";
import { AuditOutbox } from "../src/audit/outbox";
import { createPropertySource, createServices } from "../src/data/services";
import worker from "../src/index";
import { runJobBatch } from "../src/jobs/engine";
import { PortfolioJobs } from "../src/jobs/portfolio";
import { PandgateAgent } from "../src/mcp/agent";
import { type Caller, type ToolCallRecord, toolCallEvent } from "../src/mcp/caller";
import type { ToolContext } from "../src/mcp/catalog";
import { buildMcpServer, type Era } from "../src/mcp/server";
import { catalog } from "../src/mcp/tools";
import { countRoundTrips, type RoundTrips } from "../test/helpers/d1-count";
import { readMessages } from "../test/helpers/mcp";
import { mcpServerFromScratch } from "../test/helpers/mcp-server-from-scratch";
import { config, MCP_URL, mintToken, newIdentity } from "../test/helpers/oauth";
import {
  describeRatios,
  difference,
  formatMs,
  formatRatio,
  interleaved,
  median,
  msOf,
  quantile,
  type Result,
  ratios,
  ratioTable,
  table,
  type Variant,
} from "./harness";

/*
 * `npm run bench`: what one MCP request costs, measured in workerd (the "bench" project in
 * vitest.config.ts: the real Worker, its Durable Object, D1, KV, queue and the synthetic seed, plus
 * a bare Worker to compare with). Every comparison is interleaved within this one run and given as
 * a ratio to a baseline measured in the same rounds, with its spread (./harness.ts). Each section
 * prints its own table; vitest's summary after them only says how long each section took.
 * Everything is loopback or in-process, and nothing fails on speed.
 */

const LEGACY = { "mcp-protocol-version": "2025-11-25" } as const;
const MODERN_VERSION = "2026-07-28";
const HOST = new URL(config.mcpResource).host;
const BARE = (env as unknown as { BENCH_BARE: Fetcher }).BENCH_BARE;
/** Writes this bench's tables into docs/benchmarks.md (vitest.config.ts, bench/report.mjs). */
const REPORT = (env as unknown as { BENCH_REPORT: Fetcher }).BENCH_REPORT;
const REPORT_SECTION = "mcp";
const ONCE = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };

interface User {
  token: string;
  caller: Caller;
}

/**
 * Signed-in users with real tokens. Calls rotate over them so no one user reaches the /mcp rate
 * limit (MCP_LIMITER, 240 a minute per user) while the bench runs; each has its own agent.
 */
async function signIn(count: number, scopes: string[], roles: string[] = []): Promise<User[]> {
  const users: User[] = [];
  for (let i = 0; i < count; i++) {
    const identity = newIdentity({ roles });
    const { accessToken, clientId } = await mintToken(identity, scopes);
    users.push({ token: accessToken, caller: { identity, scopes, clientId, requestId: "bench" } });
  }
  return users;
}

function cycle<T>(items: readonly T[]): () => T {
  let i = 0;
  return () => items[i++ % items.length] as T;
}

function rpc(method: string, params?: Record<string, unknown>): string {
  return JSON.stringify({ jsonrpc: "2.0", id: 1, method, ...(params && { params }) });
}

/** A 2026-07-28 request: the revision in the `_meta` envelope and the headers. */
function modern(method: string, params: Record<string, unknown> = {}): { body: string; headers: Record<string, string> } {
  const _meta = { "io.modelcontextprotocol/protocolVersion": MODERN_VERSION, "io.modelcontextprotocol/clientCapabilities": {} };
  return {
    body: rpc(method, { ...params, _meta }),
    headers: { "mcp-protocol-version": MODERN_VERSION, "mcp-method": method },
  };
}

function init(token: string | null, body: string, headers: Record<string, string> = LEGACY): RequestInit {
  return {
    method: "POST",
    headers: {
      accept: "application/json, text/event-stream",
      "content-type": "application/json",
      ...(token !== null && { authorization: `Bearer ${token}` }),
      ...headers,
    },
    body,
  };
}

/** Reads the whole answer; a status other than `expected` stops the bench with a clear message. */
async function drain(res: Response, expected: number, what: string): Promise<void> {
  await res.arrayBuffer();
  if (res.status !== expected) throw new Error(`${what}: expected HTTP ${expected}, got ${res.status} (the bench measures nothing wrong)`);
}

/** The request the gateway forwards to the agent (no Authorization, the public host). */
function agentRequest(body: string, headers: Record<string, string> = LEGACY): Request {
  return new Request(config.mcpResource, {
    method: "POST",
    headers: { host: HOST, "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body,
  });
}

const NO_JOBS = undefined as unknown as ToolContext["jobs"];

/**
 * What the agent runs for a request, without the Durable Object: the SDK v2 handler with a server
 * built for this caller, real services (D1) and the audit record built (not sent). `fromScratch` builds the
 * server the way it was built before it was planned per kind of caller (tools/list only).
 */
async function inProcess(user: User, body: string, headers: Record<string, string> = LEGACY, fromScratch = false): Promise<Response> {
  const caller = { ...user.caller, requestId: crypto.randomUUID() };
  const services = createServices(config, env);
  // The audit event is built and checked as the agent does, but not stored: the agent writes it to
  // its own storage (section g measures that), which this isolate has not got.
  const record = (call: ToolCallRecord) => {
    completeEvent(toolCallEvent(caller, call));
  };
  const factory = ({ era }: { era: Era }) =>
    fromScratch ? mcpServerFromScratch(catalog, caller, era) : buildMcpServer({ catalog, caller, services, jobs: NO_JOBS, record, era });
  const handler = createMcpHandler(factory, { route: "/mcp", allowedHostnames: [HOST], allowedOriginHostnames: "*", corsOptions: false });
  return handler.fetch(agentRequest(body, headers), { parsedBody: JSON.parse(body) });
}

/** A tool's `run` alone, in this isolate, with real services: the tool's own work (D1 included). */
async function runTool(user: User, name: string, args: Record<string, unknown>): Promise<unknown> {
  const tool = catalog.get(name);
  if (!tool) throw new Error(`${name} is not in the catalog`);
  return tool.run(tool.input.parse(args), {
    caller: { ...user.caller, requestId: crypto.randomUUID() },
    services: createServices(config, env),
    progress: { enabled: false, report: async () => {} },
    signal: new AbortController().signal,
    protocolVersion: LEGACY["mcp-protocol-version"],
    rpcId: 1,
    jobs: NO_JOBS,
  });
}

/**
 * Prints a table and adds it to this bench's section of docs/benchmarks.md (through the
 * BENCH_REPORT service binding, which runs bench/report.mjs's writeBenchSection in Node).
 */
async function print(text: string): Promise<void> {
  console.log(text);
  await reportPart(`\`\`\`text\n${text.replace(/^\n+|\n+$/g, "")}\n\`\`\``);
}

/** Adds a Markdown part to this file's section of docs/benchmarks.md ("mcp"). */
async function reportPart(markdown: string): Promise<void> {
  const answer = await REPORT.fetch(`http://bench-report/${REPORT_SECTION}`, { method: "POST", body: markdown });
  if (!answer.ok) console.warn(`docs/benchmarks.md was not written: ${answer.status} ${await answer.text()}`);
}

const { results: sample } = await env.DB.prepare("SELECT id FROM addresses WHERE is_synthetic = 1 ORDER BY id LIMIT 500").all<{
  id: string;
}>();
const addressId = sample[0]?.id;
if (!addressId) throw new Error("the synthetic seed is not loaded (no addresses)");

const readers = await signIn(40, ["mcp:read"]);
const nextReader = cycle(readers);
const firstReader = readers[0] as User;

const serverInfo = rpc("tools/call", { name: "Get_Server_Info", arguments: {} });
const propertyData = rpc("tools/call", { name: "Get_Property_Data", arguments: { addressId } });

/** One authenticated POST to /mcp through the Worker's own entry, answered `expected`. */
function viaWorker(what: string, body: string, expected = 200, headers: Record<string, string> = LEGACY, token?: string | null) {
  return async () => {
    const user = nextReader();
    await drain(await exports.default.fetch(MCP_URL, init(token === undefined ? user.token : token, body, headers)), expected, what);
  };
}

/** serveMcp called on the user's agent from here: the Durable Object hop and everything after it. */
function viaAgent(what: string, body: string, headers: Record<string, string> = LEGACY) {
  return async () => {
    const user = nextReader();
    const stub = env.MCP_AGENT.getByName(user.caller.identity.userKey);
    const caller = { ...user.caller, requestId: crypto.randomUUID() };
    await drain(await stub.serveMcp(agentRequest(body, headers), JSON.parse(body), caller), 200, what);
  };
}

/** The bare Worker answers `name`'s request with the bytes the real Worker answered it with. */
async function primeBare(name: string, body: string): Promise<() => Promise<void>> {
  const real = await exports.default.fetch(MCP_URL, init(firstReader.token, body));
  const text = await real.text();
  if (real.status !== 200 || !text.includes('"result"'))
    throw new Error(`priming the bare Worker: ${name} answered ${real.status}: ${text.slice(0, 200)}`);
  const primed = await BARE.fetch(`https://bare.example/prime/${name}`, {
    method: "POST",
    headers: { "content-type": real.headers.get("content-type") ?? "application/json" },
    body: text,
  });
  await drain(primed, 204, "priming the bare Worker");
  return async () => {
    const user = nextReader();
    await drain(await BARE.fetch(`https://bare.example/${name}`, init(user.token, body)), 200, `bare Worker ${name}`);
  };
}

/* ─── a. per-request overhead against a bare Worker, by stage ─────────────────────────────── */

/** The Worker's fetch called directly: no binding hop, no test-harness entry wrapper. */
function direct(what: string, body: string) {
  return async () => {
    const request = new Request(MCP_URL, init(nextReader().token, body)) as Request<unknown, IncomingRequestCfProperties>;
    await drain(await worker.fetch(request, env, createExecutionContext()), 200, what);
  };
}

const STAGES = {
  bare: "bare Worker (service binding → minimal fetch handler), Get_Server_Info's bytes",
  bareData: "bare Worker, Get_Property_Data's bytes",
  entry: "our Worker's entry answers at once: Origin policy 403 (exports.default)",
  provider: "+ OAuth provider: no token, 401 (exports.default)",
  token: "+ token lookup (KV), rate limit, gateway checks: 400 at the body",
  whole: "tools/call Get_Server_Info through the Worker (exports.default)",
  direct: "  the same, worker.fetch called directly (no binding hop, no test wrapper)",
  agent: "  serveMcp on the agent, called from here (DO hop + agent + SDK + tool)",
  sdk: "  SDK handler + server + tool in this isolate (no DO)",
  tool: "  Get_Server_Info.run alone",
  wholeData: "tools/call Get_Property_Data through the Worker (exports.default)",
  directData: "  the same, worker.fetch called directly",
  agentData: "  serveMcp on the agent (Get_Property_Data)",
  sdkData: "  SDK handler in this isolate (Get_Property_Data)",
  toolData: "  Get_Property_Data.run alone (its D1 reads)",
  kv: "for reference: one KV read (the provider reads the token's record)",
  limiter: "for reference: one rate-limit check (MCP_LIMITER)",
  rpc: "for reference: one Durable Object RPC doing almost nothing (cancelJobsForRequest)",
};

interface Path {
  bare: string;
  whole: string;
  direct: string;
  agent: string;
  sdk: string;
  tool: string;
}

/**
 * A tool call's time, stage by stage, from per-round differences of the rows (each stage's median
 * and interquartile range over the rounds; the stages add up to the whole path).
 */
function breakdown(result: Result, path: Path): string[][] {
  const whole = msOf(result, path.whole);
  const checks = difference(result, STAGES.token, STAGES.entry);
  const aside = (label: string, name: string): [string, number[]] => [`  of which ${label} (measured alone)`, msOf(result, name)];
  const stages: Array<[string, number[], boolean?]> = [
    ["dispatching a request to a Worker (the bare Worker: binding hop + minimal handler)", msOf(result, path.bare)],
    [
      "test harness: exports.default's entry wrapper, the answer streamed back through the binding",
      difference(result, path.whole, path.direct).map((d, r) => d - (msOf(result, path.bare)[r] as number)),
    ],
    ["OAuth provider, token lookup (KV), per-user rate limit, gateway checks, body read and parse", checks],
    [...aside("a KV read", STAGES.kv), true],
    [...aside("a rate-limit check", STAGES.limiter), true],
    [
      "gateway: Caller and forwarded Request, relaying the answer, log line",
      difference(result, path.direct, path.agent).map((d, r) => d - (checks[r] as number)),
    ],
    ["Durable Object hop + the agent's own steps (Caller parse, services, task check)", difference(result, path.agent, path.sdk)],
    [...aside("a Durable Object RPC", STAGES.rpc), true],
    ["SDK handler: McpServer, transport, validation, SSE, audit record", difference(result, path.sdk, path.tool)],
    ["the tool's own work (for Get_Property_Data: its D1 reads)", msOf(result, path.tool)],
  ];
  const share = (values: number[]) => `${((median(values) / median(whole)) * 100).toFixed(0)} %`;
  const row = (label: string, values: number[], part = false) => [
    label,
    formatMs(median(values)),
    `${formatMs(quantile(values, 0.25))}–${formatMs(quantile(values, 0.75))}`,
    part ? "" : share(values),
  ];
  return [...stages.map(([label, values, part]) => row(label, values, part)), row("whole path (exports.default)", whole)];
}

await reportPart(
  [
    "## Per call, in workerd (`npm run bench`: `bench/mcp.bench.ts`)",
    "",
    "The real Worker, its Durable Object, D1, KV, the queue and the synthetic dataset in workerd, each comparison",
    "interleaved within this run (`bench/harness.ts`): per-call medians, and ratios to the table's baseline as the",
    "median of the per-round ratios with their interquartile range and min–max. The tables as the bench prints them:",
  ].join("\n"),
);

const KV_PROBE = "bench:probe";
let probes = 0;

describe("a. per-request overhead: an authenticated tool call vs a bare Worker", () => {
  bench(
    "a. overhead by stage (interleaved; tables above)",
    async () => {
      await env.OAUTH_KV.put(KV_PROBE, JSON.stringify({ bench: true, padding: "x".repeat(300) }));
      const bare = await primeBare("server-info", serverInfo);
      const bareData = await primeBare("property-data", propertyData);
      const result = await interleaved(
        [
          { name: STAGES.bare, run: bare },
          { name: STAGES.bareData, run: bareData },
          { name: STAGES.entry, run: viaWorker("Origin refusal", serverInfo, 403, { ...LEGACY, origin: "https://evil.example" }, null) },
          { name: STAGES.provider, run: viaWorker("no token", serverInfo, 401, LEGACY, null) },
          { name: STAGES.token, run: viaWorker("refused at the body", "{not json", 400) },
          { name: STAGES.whole, run: viaWorker("Get_Server_Info", serverInfo) },
          { name: STAGES.direct, run: direct("Get_Server_Info, direct", serverInfo) },
          { name: STAGES.agent, run: viaAgent("serveMcp Get_Server_Info", serverInfo) },
          { name: STAGES.sdk, run: async () => drain(await inProcess(nextReader(), serverInfo), 200, "in-process Get_Server_Info") },
          { name: STAGES.tool, run: () => runTool(nextReader(), "Get_Server_Info", {}) },
          { name: STAGES.wholeData, run: viaWorker("Get_Property_Data", propertyData) },
          { name: STAGES.directData, run: direct("Get_Property_Data, direct", propertyData) },
          { name: STAGES.agentData, run: viaAgent("serveMcp Get_Property_Data", propertyData) },
          {
            name: STAGES.sdkData,
            run: async () => drain(await inProcess(nextReader(), propertyData), 200, "in-process Get_Property_Data"),
          },
          { name: STAGES.toolData, run: () => runTool(nextReader(), "Get_Property_Data", { addressId }) },
          { name: STAGES.kv, run: () => env.OAUTH_KV.get(KV_PROBE) },
          { name: STAGES.limiter, run: () => env.MCP_LIMITER.limit({ key: `bench-probe-${(probes++ % 500).toString()}` }) },
          {
            name: STAGES.rpc,
            run: () => env.MCP_AGENT.getByName(nextReader().caller.identity.userKey).cancelJobsForRequest("bench-none"),
          },
        ],
        { rounds: 20, warmupRounds: 2, batchMs: 80 },
      );
      await print(ratioTable("a. One request, stage by stage (× the bare Worker answering the same bytes)", result));
      const throughput = (label: string, base: string, whole: string) => {
        const perRound = ratios(result, base, whole);
        return [
          label,
          formatRatio(median(perRound)),
          `${formatRatio(quantile(perRound, 0.25))}–${formatRatio(quantile(perRound, 0.75))}`,
          `${formatRatio(Math.min(...perRound))}–${formatRatio(Math.max(...perRound))}`,
        ];
      };
      await print(
        table(
          "a. Throughput of an authenticated tool call as a fraction of a bare Worker's (target ≥ 0.4×)",
          ["", "median", "IQR", "min–max"],
          [
            throughput("Get_Server_Info (no D1) ÷ bare Worker, both over a binding", STAGES.bare, STAGES.whole),
            throughput("Get_Property_Data (D1 reads) ÷ bare Worker, both over a binding", STAGES.bareData, STAGES.wholeData),
            throughput("Get_Server_Info ÷ our entry answering at once (same hop and test wrapper)", STAGES.entry, STAGES.whole),
            throughput("Get_Server_Info called directly ÷ bare Worker over a binding", STAGES.bare, STAGES.direct),
          ],
          [
            "Per round: the baseline's time per call ÷ the tool call's time per call (one request at a time).",
            "exports.default adds the test plugin's entry wrapper to every request; the third row has it on both sides.",
          ],
        ),
      );
      const header = ["stage", "ms/call", "IQR", "share"];
      const paths: Array<[string, Path]> = [
        [
          "Get_Server_Info",
          { bare: STAGES.bare, whole: STAGES.whole, direct: STAGES.direct, agent: STAGES.agent, sdk: STAGES.sdk, tool: STAGES.tool },
        ],
        [
          "Get_Property_Data",
          {
            bare: STAGES.bareData,
            whole: STAGES.wholeData,
            direct: STAGES.directData,
            agent: STAGES.agentData,
            sdk: STAGES.sdkData,
            tool: STAGES.toolData,
          },
        ],
      ];
      for (const [tool, path] of paths) {
        await print(
          table(
            `a. Where a tools/call ${tool} spends its time (per-round differences of the rows above)`,
            header,
            breakdown(result, path),
            [
              "A difference of two noisy rows can come out below zero: read such a stage as ≈ 0. The “of which” rows",
              "are that operation measured alone in this run, for scale; they are not part of the sum.",
            ],
          ),
        );
      }
    },
    ONCE,
  );
});

/* ─── b. tools/list against a read tool call ──────────────────────────────────────────────── */

const LIST_READ = "tools/list, read-only grant, 2025-11-25";
const DATA_CALL = "tools/call Get_Property_Data through the Worker (a read call with D1)";
const PLANNED = "in this isolate: tools/list, planned (now)";
const FROM_SCRATCH = "in this isolate: tools/list, schemas converted per request (before)";

describe("b. tools/list vs a read tool call", () => {
  bench(
    "b. tools/list vs tools/call (interleaved; table above)",
    async () => {
      const everyone = await signIn(8, ["mcp:read", "mcp:write"], ["Admin"]);
      const nextAdmin = cycle(everyone);
      const list = rpc("tools/list");
      const modernList = modern("tools/list");
      const adminList: Variant["run"] = async () =>
        drain(await exports.default.fetch(MCP_URL, init(nextAdmin().token, list)), 200, "tools/list, every tool");
      const result = await interleaved(
        [
          { name: "tools/call Get_Server_Info through the Worker (a read call)", run: viaWorker("Get_Server_Info", serverInfo) },
          { name: LIST_READ, run: viaWorker("tools/list", list) },
          { name: "tools/list, read and write, Admin (every tool), 2025-11-25", run: adminList },
          { name: "tools/list, read-only grant, 2026-07-28", run: viaWorker("tools/list 2026", modernList.body, 200, modernList.headers) },
          { name: DATA_CALL, run: viaWorker("Get_Property_Data", propertyData) },
          {
            name: "in this isolate: tools/call Get_Server_Info (SDK handler, no DO)",
            run: async () => drain(await inProcess(nextReader(), serverInfo), 200, "in-process call"),
          },
          {
            name: PLANNED,
            run: async () => drain(await inProcess(nextReader(), list), 200, "in-process tools/list"),
          },
          {
            name: FROM_SCRATCH,
            run: async () => drain(await inProcess(nextReader(), list, LEGACY, true), 200, "in-process tools/list from scratch"),
          },
        ],
        { rounds: 25, warmupRounds: 2, batchMs: 120 },
      );
      await print(
        ratioTable("b. tools/list against a read tool call (× tools/call Get_Server_Info)", result, [
          "tools/list must cost no more than a read call. The in-isolate rows compare with each other: planned vs from scratch.",
          `in this isolate, tools/list planned ÷ from scratch, per round: ${describeRatios(ratios(result, PLANNED, FROM_SCRATCH))}`,
          `tools/list (read-only, 2025) ÷ tools/call Get_Property_Data, per round: ${describeRatios(ratios(result, LIST_READ, DATA_CALL))}`,
        ]),
      );
    },
    ONCE,
  );
});

/* ─── c. D1 round trips per tool ──────────────────────────────────────────────────────────── */

/** A tool's `run` with services whose D1 binding counts round trips (test/helpers/d1-count.ts). */
async function countedRun(name: string, args: Record<string, unknown>, caller: Caller): Promise<{ trips: RoundTrips; output: unknown }> {
  const tool = catalog.get(name);
  if (!tool) throw new Error(`${name} is not in the catalog`);
  const counted = countRoundTrips(env.DB);
  const output = await tool.run(tool.input.parse(args), {
    caller: { ...caller, requestId: crypto.randomUUID() },
    services: createServices(config, { ...env, DB: counted.db }),
    progress: { enabled: false, report: async () => {} },
    signal: new AbortController().signal,
    protocolVersion: LEGACY["mcp-protocol-version"],
    rpcId: 1,
    jobs: NO_JOBS,
  });
  return { trips: counted.trips, output };
}

function kinds(trips: RoundTrips): string {
  const counts = new Map<string, number>();
  for (const trip of trips.log) {
    const label = trip.kind === "batch" ? `batch of ${trip.statements.length}` : trip.kind;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts].map(([label, n]) => (n > 1 ? `${n}× ${label}` : label)).join(", ");
}

describe("c. D1 round trips per tool", () => {
  bench(
    "c. D1 round trips (table above)",
    async () => {
      const place = await env.DB.prepare(
        "SELECT id, postcode, house_number FROM addresses WHERE is_synthetic = 1 AND house_letter IS NULL AND house_number_addition IS NULL ORDER BY id LIMIT 1",
      ).first<{ id: string; postcode: string; house_number: number }>();
      if (!place) throw new Error("the synthetic seed has no plain address");
      const user: Caller = { identity: newIdentity(), scopes: ["mcp:read", "mcp:write"], clientId: "bench", requestId: "bench" };
      const admin: Caller = { ...user, identity: newIdentity({ roles: ["Admin"] }) };
      const rows: string[][] = [];
      const count = async (name: string, args: Record<string, unknown>, shown: string, caller = user) => {
        const { trips, output } = await countedRun(name, args, caller);
        rows.push([name, shown, String(trips.count), kinds(trips)]);
        return output;
      };
      await count("Get_Server_Info", {}, "none");
      await count("Get_Addresses_for_Postcode", { postcode: place.postcode }, "postcode");
      await count("Get_Property_Data", { addressId: place.id }, "addressId");
      await count("Get_Property_Data", { postcode: place.postcode, houseNumber: place.house_number }, "postcode + houseNumber");
      await count("Get_Property_Energy_Label", { addressId: place.id }, "addressId");
      await count("Analyze_Property_Location", { addressId: place.id }, "addressId");
      const assessed = (await count("Quick_Assess_Property", { addressId: place.id }, "addressId (saves it)")) as { assessmentId: string };
      await count("Get_Assessed_Properties", {}, "first page");
      await count("Get_Property_Assessments", { addressId: place.id }, "addressId");
      await count("Delete_Property_Assessment", { assessmentId: assessed.assessmentId }, "its own assessment");
      await count("Get_Tenant_Assessments", {}, "Admin, first page", admin);
      await count("Get_Audit_Log", {}, "Admin, first page", admin);

      // A portfolio job's batches, as its workflow's steps run them: count a 50-address job in batches of 25.
      const counted = countRoundTrips(env.DB);
      const addresses = sample.slice(0, 50).map((r) => ({ addressId: r.id }));
      const stub = env.MCP_AGENT.getByName(`bench-trips-${crypto.randomUUID()}`);
      const batchTrips = await runInDurableObject(stub, async (_instance, state) => {
        const sql = (strings: TemplateStringsArray, ...values: SqlStorageValue[]) =>
          state.storage.sql.exec(strings.join("?"), ...values).toArray();
        const host = { sql: sql as never, db: env.DB, start: async () => {}, record: () => {}, watch: async () => {} };
        const jobs = new PortfolioJobs(host, { maxConcurrent: 2, maxPerTenant: 10, maxAddresses: 50_000, batchSize: 25 });
        const job = await jobs.create(user.identity, addresses, null);
        counted.trips.reset();
        const deps = { db: counted.db, data: createPropertySource(config, counted.db), now: () => new Date() };
        for (let index = 0; index * 25 < addresses.length; index++) await runJobBatch(deps, job.id, index, 25);
        return { count: counted.trips.count, kinds: kinds(counted.trips) };
      });
      rows.push(["Assess_Portfolio (the workflow's batches)", `${addresses.length} addresses`, String(batchTrips.count), batchTrips.kinds]);
      rows.push(["Get_Portfolio_Status, Cancel_Portfolio", "", "1", "the agent's index, then D1 (failures; the cancel)"]);
      await print(
        table(
          "c. D1 round trips per tool call (counted around the D1 binding; a batch is one trip)",
          ["tool", "arguments", "trips", "what"],
          rows,
          ["Each tool's run() in this isolate with real services over a counting D1 wrapper (test/helpers/d1-count.ts)."],
        ),
      );
    },
    ONCE,
  );
});

/* ─── d. one quick assessment vs a 500-address portfolio job ──────────────────────────────── */

interface PortfolioSummary {
  total: number;
  done: number;
  failed: number;
  durationMs: number | null;
}

describe("d. Quick_Assess_Property vs a 500-address Assess_Portfolio job", () => {
  bench(
    "d. portfolio job time (rounds alternate; table above)",
    async () => {
      const writers = await signIn(2, ["mcp:read", "mcp:write"]);
      const nextWriter = cycle(writers);
      const quick = rpc("tools/call", { name: "Quick_Assess_Property", arguments: { addressId } });
      const portfolio = JSON.stringify({
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: {
          name: "Assess_Portfolio",
          arguments: { addresses: sample.map((r) => ({ addressId: r.id })) },
          _meta: { progressToken: "bench" },
        },
      });
      const rounds = 4; // the first is a warm-up
      const quickMs: number[] = [];
      const jobMs: number[] = [];
      const wallMs: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const calls = 5;
        let started = performance.now();
        for (let n = 0; n < calls; n++) {
          await drain(await exports.default.fetch(MCP_URL, init(nextWriter().token, quick)), 200, "Quick_Assess_Property");
        }
        const perQuick = (performance.now() - started) / calls;
        started = performance.now();
        const res = await exports.default.fetch(MCP_URL, init(nextWriter().token, portfolio));
        const messages = await readMessages(res);
        const wall = performance.now() - started;
        const final = messages.find((m) => m.id === 2) as { result?: { structuredContent?: { summary?: PortfolioSummary } } } | undefined;
        const summary = final?.result?.structuredContent?.summary;
        if (!summary || summary.done + summary.failed !== summary.total) {
          throw new Error(`Assess_Portfolio did not end with a summary: ${JSON.stringify(final).slice(0, 300)}`);
        }
        if (round === 0) continue;
        quickMs.push(perQuick);
        jobMs.push(summary.durationMs ?? Number.NaN);
        wallMs.push(wall);
      }
      const row = (label: string, values: number[]) => [
        label,
        formatMs(median(values)),
        `${formatMs(Math.min(...values))}–${formatMs(Math.max(...values))}`,
        formatRatio(median(values.map((v, r) => v / (quickMs[r] as number)))),
      ];
      await print(
        table(
          "d. A 500-address portfolio job against one Quick_Assess_Property (target: job ≤ 1 s locally)",
          ["", "ms (median)", "min–max", "× one quick assessment"],
          [
            row("baseline: one Quick_Assess_Property through the Worker", quickMs),
            row("job time: created → finished (the summary's durationMs)", jobMs),
            row("the streamed tools/call, request → summary received", wallMs),
          ],
          [
            `${rounds - 1} rounds after one warm-up, each: 5 quick assessments, then one job of ${sample.length} addresses; ratios per round.`,
            "The streamed call also waits for the tool's polling of the job (JOB_POLL_MS) and relays progress.",
          ],
        ),
      );
    },
    ONCE,
  );
});

/* ─── e. getByName vs agents' getAgentByName ──────────────────────────────────────────────── */

describe("e. reaching the user's agent: getByName vs getAgentByName", () => {
  bench(
    "e. getByName vs getAgentByName (interleaved; table above)",
    async () => {
      if (!(PandgateAgent.prototype instanceof Agent)) {
        await print(
          table(
            "e. getByName vs agents' getAgentByName",
            [""],
            [
              ["Dropped: PandgateAgent no longer extends agents' Agent, so getAgentByName (which calls its"],
              ["initialisation RPC, __unsafe_ensureInitialized) does not apply; the gateway's getByName is the only way."],
            ],
          ),
        );
        return;
      }
      const list = rpc("tools/list");
      const namespace = env.MCP_AGENT as unknown as DurableObjectNamespace<Agent<Env>>;
      const result = await interleaved(
        [
          { name: "getByName + serveMcp (one RPC, what the gateway does)", run: viaAgent("getByName serveMcp", list) },
          {
            name: "getAgentByName + serveMcp (initialisation RPC first)",
            run: async () => {
              const user = nextReader();
              const stub = (await getAgentByName(namespace, user.caller.identity.userKey)) as unknown as DurableObjectStub<PandgateAgent>;
              const caller = { ...user.caller, requestId: crypto.randomUUID() };
              await drain(await stub.serveMcp(agentRequest(list), JSON.parse(list), caller), 200, "getAgentByName serveMcp");
            },
          },
        ],
        { rounds: 20, warmupRounds: 2, batchMs: 40 },
      );
      await print(ratioTable("e. Reaching the user's agent (tools/list, called from here; × getByName)", result));
    },
    ONCE,
  );
});

/* ─── g. recording a tool call's audit event: before (queue.send) and now (the agent's outbox) ─ */

describe("g. recording a tool call's audit event", () => {
  bench(
    "g. audit recording (interleaved; table above)",
    async () => {
      const user = firstReader;
      const input = toolCallEvent(user.caller, { tool: "Get_Property_Data", outcome: "success", durationMs: 3, addressId });
      const stub = env.MCP_AGENT.getByName(`bench-audit-${crypto.randomUUID()}`);
      // Inside one agent, so no row pays for a Durable Object hop: only the recording is timed.
      const rows = await runInDurableObject(stub, async (_agent, state) => {
        const outbox = new AuditOutbox(state.storage.sql);
        const result = await interleaved(
          [
            {
              name: "before: AUDIT_QUEUE.send of the event (it ran under waitUntil, after the answer)",
              run: async () => {
                const made = completeEvent(input);
                if ("event" in made) await env.AUDIT_QUEUE.send(made.event, { contentType: "json" });
              },
            },
            {
              name: "now: the event written to the agent's SQLite outbox, committed (storage.sync)",
              run: async () => {
                outbox.add(input);
                await state.storage.sync();
              },
            },
            { name: "for scale: storage.sync with nothing written", run: () => state.storage.sync() },
          ],
          { rounds: 15, warmupRounds: 2, batchMs: 60, maxBatch: 100 },
        );
        // The outbox is left for this agent's alarm to forward, as it would be.
        return result;
      });
      print(
        ratioTable("g. Recording one tools/call's audit event, inside the agent (× the queue send it replaced)", rows, [
          "The outbox is what the answer now waits for (its output gate holds the answer until the write is committed);",
          "the queue send did not delay the answer but cost a send per call, and lost the event if the process died first.",
          "The outbox is forwarded to D1 by the alarm in batches of up to 100, about a second after the first event.",
        ]),
      );
    },
    ONCE,
  );
});

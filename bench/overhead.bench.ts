/// <reference types="node" />
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { bench, describe } from "vitest";
import { ANNA, freePort, ROOT, type Stack, signInForToken, startStack } from "../test/e2e/stack";
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
  table,
  type Variant,
} from "./harness";
// @ts-expect-error: a plain .mjs module without types
import { writeBenchSection } from "./report.mjs";

/*
 * `npm run bench` (or only this: `npm run bench:overhead`): what an authenticated read call costs
 * against a bare Worker behind the same HTTP path. Both run under `wrangler dev` on loopback, each
 * on a free port: pandgate (its real OAuth flow gives the token, through the dev IdP) and
 * bench/bare-worker.js, which reads and parses the JSON-RPC request and answers with the bytes
 * pandgate answered the same request with. Requests come from this Node process over HTTP with
 * keep-alive, the same client for both. Every comparison is interleaved (./harness.ts: shuffled
 * rounds after warm-up, ratios per round, median and IQR over rounds). Both servers are stopped
 * at the end, also when a step fails. Nothing fails on speed.
 *
 * pandgate runs from wrangler.bench.toml, a copy of wrangler.toml whose MCP_LIMITER allows far
 * more than the bench sends: the bench's one user makes thousands of calls a minute, and the
 * check is still made on every call, at the same cost.
 */

const ONCE = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };
const LEGACY = { "mcp-protocol-version": "2025-11-25" };
/** Calls each of the c=16 loops makes per measured unit (so a unit is 16 × this many calls). */
const PER_LOOP = 4;
const CONCURRENCY = 16;
const RESULTS = path.join(ROOT, "bench-results", "overhead.json");

interface LocalStack {
  startWorker(options: Record<string, unknown>): Promise<{ url: string; stop(): Promise<void> }>;
}

/** wrangler.toml with MCP_LIMITER's limit raised out of the bench's reach, as wrangler.bench.toml. */
async function benchConfig(): Promise<string> {
  const toml = await readFile(path.join(ROOT, "wrangler.toml"), "utf8");
  const raised = toml.replace(/(name = "MCP_LIMITER"[\s\S]*?simple = \{ limit = )\d+/, "$1100000000");
  if (raised === toml) throw new Error("wrangler.toml has no MCP_LIMITER block with a simple limit to raise");
  const file = path.join(ROOT, "wrangler.bench.toml");
  await writeFile(file, `# Written by bench/overhead.bench.ts from wrangler.toml (MCP_LIMITER raised); not committed.\n${raised}`);
  return file;
}

function post(url: string, body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { accept: "application/json, text/event-stream", "content-type": "application/json", ...headers },
    body,
  });
}

/** One request, its body read; any other status than `expected` stops the bench. */
function caller(what: string, url: string, body: string, headers: Record<string, string>, expected: number): () => Promise<void> {
  return async () => {
    const res = await post(url, body, headers);
    await res.arrayBuffer();
    if (res.status !== expected)
      throw new Error(`${what}: expected HTTP ${expected}, got ${res.status} (the bench measures nothing wrong)`);
  };
}

/** `run` CONCURRENCY times at once, each PER_LOOP times in a row: one unit of the c=16 rows. */
function concurrently(run: () => Promise<void>): () => Promise<void> {
  return async () => {
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = 0; i < PER_LOOP; i++) await run();
      }),
    );
  };
}

const STAGES = {
  bare: "bare Worker: POST /mcp, parse, answer Get_Property_Data's bytes",
  entry: "pandgate: Origin refused at the entry (403)",
  provider: "pandgate: OAuth provider, no token (401)",
  checks: "pandgate: token (KV) + rate limit + gateway checks, refused at the body (400)",
  info: "pandgate: tools/call Get_Server_Info (served in the Worker; D1: its audit insert only)",
  data: "pandgate: tools/call Get_Property_Data (seeded address, D1 reads)",
  agent: "pandgate: tools/call Get_Assessed_Properties (served by the user's agent)",
};

function stageRows(result: Result): string[][] {
  const whole = msOf(result, STAGES.data);
  const stages: Array<[string, number[]]> = [
    ["HTTP on loopback, wrangler dev's proxy, workerd, a minimal handler (the bare Worker)", msOf(result, STAGES.bare)],
    ["our entry: routing, the Origin policy (403 − bare)", difference(result, STAGES.entry, STAGES.bare)],
    ["the OAuth provider, up to looking for a token (401 − 403)", difference(result, STAGES.provider, STAGES.entry)],
    ["token lookup in KV, per-user rate limit, gateway checks, body read (400 − 401)", difference(result, STAGES.checks, STAGES.provider)],
    [
      "JSON parse, SDK handler in the Worker (no Durable Object hop), audit insert in D1 (Get_Server_Info − 400)",
      difference(result, STAGES.info, STAGES.checks),
    ],
    ["the tool's D1 read and its larger answer (Get_Property_Data − Get_Server_Info)", difference(result, STAGES.data, STAGES.info)],
  ];
  const row = (label: string, values: number[], share = true) => [
    label,
    formatMs(median(values)),
    `${formatMs(quantile(values, 0.25))}–${formatMs(quantile(values, 0.75))}`,
    share ? `${((median(values) / median(whole)) * 100).toFixed(0)} %` : "",
  ];
  return [
    ...stages.map(([label, values]) => row(label, values)),
    row("whole: tools/call Get_Property_Data", whole, false),
    row(
      "beside it: a read the user's agent serves (Get_Assessed_Properties − Get_Server_Info): Durable Object hop, bookmark, outbox write, its D1 read",
      difference(result, STAGES.agent, STAGES.info),
      false,
    ),
  ];
}

function throughputRow(label: string, result: Result, base: string, variant: string): string[] {
  const perRound = ratios(result, base, variant);
  return [
    label,
    formatRatio(median(perRound)),
    `${formatRatio(quantile(perRound, 0.25))}–${formatRatio(quantile(perRound, 0.75))}`,
    `${formatRatio(Math.min(...perRound))}–${formatRatio(Math.max(...perRound))}`,
  ];
}

describe("f. per-call overhead over HTTP: pandgate vs a bare Worker, both under wrangler dev", () => {
  bench(
    "f. overhead over HTTP (interleaved; tables above)",
    async () => {
      const href = pathToFileURL(path.join(ROOT, "scripts", "local-stack.mjs")).href;
      const { startWorker } = (await import(href)) as LocalStack;
      const barePersist = await mkdtemp(path.join(tmpdir(), "pandgate-bench-bare-"));
      let stack: Stack | undefined;
      let bareWorker: { url: string; stop(): Promise<void> } | undefined;
      try {
        stack = await startStack({ config: await benchConfig() });
        bareWorker = await startWorker({
          port: await freePort(),
          config: path.join("bench", "bare-wrangler.toml"),
          persistTo: barePersist,
          quiet: true,
          d1: false,
        });
        const { accessToken } = await signInForToken(stack, ANNA);
        const auth = { ...LEGACY, authorization: `Bearer ${accessToken}` };
        const lookup = JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "tools/call",
          params: { name: "Get_Property_Data", arguments: { postcode: "3817AC", houseNumber: 1 } },
        });
        const first = await post(stack.mcpUrl, lookup, auth);
        const firstText = await first.text();
        const addressId = /"id":"(\d{16})"/.exec(firstText)?.[1];
        if (first.status !== 200 || !addressId) throw new Error(`Get_Property_Data answered ${first.status}: ${firstText.slice(0, 300)}`);
        const data = JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "tools/call",
          params: { name: "Get_Property_Data", arguments: { addressId } },
        });
        const info = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "Get_Server_Info", arguments: {} } });
        const assessed = JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "tools/call",
          params: { name: "Get_Assessed_Properties", arguments: {} },
        });
        // The bare Worker answers /mcp with exactly what pandgate answered this call with.
        const real = await post(stack.mcpUrl, data, auth);
        const realText = await real.text();
        if (real.status !== 200 || !realText.includes('"result"')) throw new Error(`priming: ${real.status} ${realText.slice(0, 300)}`);
        const primed = await fetch(`${bareWorker.url}/prime/mcp`, {
          method: "POST",
          headers: { "content-type": real.headers.get("content-type") ?? "application/json" },
          body: realText,
        });
        await primed.arrayBuffer();
        if (primed.status !== 204) throw new Error(`priming the bare Worker answered ${primed.status}`);

        const bareCall = caller("bare Worker", `${bareWorker.url}/mcp`, data, auth, 200);
        const dataCall = caller("Get_Property_Data", stack.mcpUrl, data, auth, 200);
        const c1: Variant[] = [
          { name: STAGES.bare, run: bareCall },
          { name: STAGES.entry, run: caller("Origin refusal", stack.mcpUrl, data, { ...auth, origin: "https://evil.example" }, 403) },
          { name: STAGES.provider, run: caller("no token", stack.mcpUrl, data, LEGACY, 401) },
          { name: STAGES.checks, run: caller("refused at the body", stack.mcpUrl, "{not json", auth, 400) },
          { name: STAGES.info, run: caller("Get_Server_Info", stack.mcpUrl, info, auth, 200) },
          { name: STAGES.data, run: dataCall },
          { name: STAGES.agent, run: caller("Get_Assessed_Properties", stack.mcpUrl, assessed, auth, 200) },
        ];
        const one = await interleaved(c1, { rounds: 15, warmupRounds: 2, batchMs: 250 });
        const sixteen = await interleaved(
          [
            { name: STAGES.bare, run: concurrently(bareCall) },
            { name: STAGES.data, run: concurrently(dataCall) },
          ],
          { rounds: 15, warmupRounds: 2, batchMs: 400 },
        );
        const perCall16 = (name: string) => msOf(sixteen, name).map((ms) => ms / (CONCURRENCY * PER_LOOP));
        const throughput = table(
          "f. Throughput of an authenticated read call (Get_Property_Data) as a fraction of a bare Worker's, over HTTP (target ≥ 0.4× at c=1)",
          ["", "median", "IQR", "min–max"],
          [
            throughputRow("c=1: one request at a time", one, STAGES.bare, STAGES.data),
            throughputRow(`c=${CONCURRENCY}: ${CONCURRENCY} requests in flight`, sixteen, STAGES.bare, STAGES.data),
          ],
          [
            "Per round: the bare Worker's time for its calls ÷ pandgate's time for the same number of calls (= throughput ratio).",
            `c=1, ms per call: bare ${formatMs(median(msOf(one, STAGES.bare)))}, pandgate ${formatMs(median(msOf(one, STAGES.data)))}.`,
            `c=${CONCURRENCY}, wall ms per call (1 ÷ throughput): bare ${formatMs(median(perCall16(STAGES.bare)))}, pandgate ${formatMs(median(perCall16(STAGES.data)))}.`,
            `pandgate per call ÷ bare per call at c=1: ${describeRatios(ratios(one, STAGES.data, STAGES.bare))}.`,
          ],
        );
        const stages = table(
          "f. Where an authenticated read call's milliseconds go, over HTTP at c=1 (per-round differences of the rows)",
          ["stage", "ms/call", "IQR", "share"],
          stageRows(one),
          [
            "Each stage is the difference of two requests that stop at successive points of the same path, measured in",
            "the same rounds (15, interleaved). A difference of two noisy rows can come out below zero: read it as ≈ 0.",
            "Under wrangler dev a console.log line is also printed by wrangler's own process, which shares the CPUs.",
            "tools/list and the stateless read-only tools (Get_Property_Data among them) are answered in the Worker itself;",
            "every other call still goes to the user's agent, as the last row shows (src/mcp/gateway.ts, servedInWorker).",
          ],
        );
        console.log(throughput);
        console.log(stages);
        writeBenchSection(
          "overhead",
          `## Per-call overhead over HTTP (bench/overhead.bench.ts)\n\n\`\`\`text\n${throughput}\n\n${stages}\n\`\`\``,
        );
        await mkdir(path.dirname(RESULTS), { recursive: true });
        await writeFile(
          RESULTS,
          `${JSON.stringify(
            {
              at: new Date().toISOString(),
              c1: one.rows.map((r) => ({ name: r.name, ms: r.ms, ratios: r.ratios })),
              c16: sixteen.rows.map((r) => ({ name: r.name, unitMs: r.ms, ratios: r.ratios })),
            },
            null,
            1,
          )}\n`,
        ).catch(() => {});
      } finally {
        await bareWorker?.stop();
        await stack?.stop();
        await rm(barePersist, { recursive: true, force: true });
      }
    },
    ONCE,
  );
});

import { env, exports } from "cloudflare:workers";
import { bench, describe } from "vitest";
import { config, MCP_URL, mintToken, newIdentity } from "../test/helpers/oauth";
import { describeRatios, interleaved, ratios, ratioTable, type Variant } from "./harness";

/*
 * Whether completion (`completion/complete`, issue 19 point 2) is fast enough to type against:
 * each request through the real Worker (`exports.default.fetch`: OAuth check, the user's Durable
 * Object agent, the MCP server, the synthetic dataset's FTS5 address search in D1), interleaved
 * with a `ping` on the same path (the baseline: everything but the work) and a `tools/call
 * Search_Addresses` of the same typed text (the search a completion runs, with its text answer).
 * The "bench" project of vitest.config.ts; it writes its own section of docs/benchmarks.md
 * ("completion"), so it can be run alone:
 * `npx vitest bench --run --project bench bench/completion.bench.ts`. Nothing fails on speed.
 */

const REPORT = (env as unknown as { BENCH_REPORT: Fetcher }).BENCH_REPORT;
const ONCE = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };
const LEGACY = { "mcp-protocol-version": "2025-11-25" } as const;
const MODERN_VERSION = "2026-07-28";

interface Row {
  id: string;
  street: string;
  house_number: number;
  postcode: string;
}

const address = await env.DB.prepare(
  `SELECT id, street, house_number, postcode FROM addresses
   WHERE is_synthetic = 1 AND postcode IS NOT NULL AND length(street) >= 8 AND house_letter IS NULL AND house_number_addition IS NULL
   ORDER BY id LIMIT 1`,
).first<Row>();
if (!address) throw new Error("the synthetic seed is not loaded (no addresses)");
/** What a person has typed so far: the first six letters of the street and the house number. */
const TYPED = `${address.street.slice(0, 6)} ${address.house_number}`;
const PC4 = address.postcode.slice(0, 4);

/** Users rotated per call, so none reaches the /mcp rate limit (240 a minute per user). */
const users: string[] = [];
for (let i = 0; i < 30; i++) users.push((await mintToken(newIdentity(), ["mcp:read"])).accessToken);
let turn = 0;
const nextToken = () => users[turn++ % users.length] as string;

function body(method: string, params?: Record<string, unknown>): string {
  return JSON.stringify({ jsonrpc: "2.0", id: 1, method, ...(params && { params }) });
}

const modernMeta = { "io.modelcontextprotocol/protocolVersion": MODERN_VERSION, "io.modelcontextprotocol/clientCapabilities": {} };

async function post(text: string, headers: Record<string, string>): Promise<unknown> {
  const res = await exports.default.fetch(MCP_URL, {
    method: "POST",
    headers: {
      accept: "application/json, text/event-stream",
      "content-type": "application/json",
      authorization: `Bearer ${nextToken()}`,
      ...headers,
    },
    body: text,
  });
  const raw = await res.text();
  if (res.status !== 200) throw new Error(`expected HTTP 200, got ${res.status}: ${raw.slice(0, 300)}`);
  // An SSE answer carries the message on its data line; a JSON answer is the message.
  const json = raw.trimStart().startsWith("{") ? raw : (/^data: (.*)$/m.exec(raw)?.[1] ?? "");
  const message = JSON.parse(json) as { result?: unknown; error?: unknown };
  if (message.error !== undefined) throw new Error(`JSON-RPC error: ${JSON.stringify(message.error)}`);
  return message.result;
}

const complete = (ref: Record<string, unknown>, name: string, value: string) =>
  body("completion/complete", { ref, argument: { name, value } });
const dueDiligence = { type: "ref/prompt", name: "property_due_diligence" };

const PING = "ping";
const SEARCH = `tools/call Search_Addresses "${TYPED}"`;
const ADDRESS = `completion/complete address "${TYPED}" (prompt argument)`;
const variants: Array<Variant & { check: (result: unknown) => boolean }> = [
  { name: PING, request: body("ping"), headers: LEGACY },
  { name: SEARCH, request: body("tools/call", { name: "Search_Addresses", arguments: { query: TYPED } }), headers: LEGACY },
  { name: ADDRESS, request: complete(dueDiligence, "address", TYPED), headers: LEGACY },
  {
    name: `completion/complete address "${TYPED}", 2026-07-28`,
    request: body("completion/complete", { ref: dueDiligence, argument: { name: "address", value: TYPED }, _meta: modernMeta }),
    headers: { "mcp-protocol-version": MODERN_VERSION, "mcp-method": "completion/complete" },
  },
  {
    name: `completion/complete postcode "${PC4}"`,
    request: complete({ type: "ref/prompt", name: "sustainability_scan" }, "postcode", PC4),
    headers: LEGACY,
  },
  {
    name: `completion/complete addressId "${TYPED}" (property template)`,
    request: complete({ type: "ref/resource", uri: "pandgate://properties/{addressId}" }, "addressId", TYPED),
    headers: LEGACY,
  },
].map(({ name, request, headers }) => ({
  name,
  run: () => post(request, headers),
  // A completion that completes nothing would measure nothing: each must offer values.
  check: (result: unknown) =>
    !name.startsWith("completion/") || ((result as { completion?: { values?: unknown[] } }).completion?.values?.length ?? 0) > 0,
}));

describe("completion/complete against ping and Search_Addresses, through the Worker", () => {
  bench(
    "completion/complete (interleaved; table above)",
    async () => {
      for (const v of variants) {
        if (!v.check(await v.run())) throw new Error(`${v.name} completed nothing: the bench would measure nothing`);
      }
      const result = await interleaved(variants, { rounds: 25, warmupRounds: 2, batchMs: 120 });
      const text = ratioTable("completion/complete through the Worker (× ping on the same path)", result, [
        `Typed text from the synthetic dataset (${config.dataSource}): the first six letters of a street and a house number; the postcode's four digits.`,
        `completion/complete address ÷ tools/call Search_Addresses of the same text, per round: ${describeRatios(ratios(result, ADDRESS, SEARCH))}`,
      ]);
      console.log(text);
      const markdown = [
        "## Completion, in workerd (`npm run bench`: `bench/completion.bench.ts`)",
        "",
        "`completion/complete` for what a person has typed so far, each request through the real Worker (token check, the user's agent, the MCP server, the FTS5 address search in D1), interleaved with a `ping` on the same path and with `tools/call Search_Addresses` of the same text. In-process loopback: no network between client and Worker.",
        "",
        `\`\`\`text\n${text.replace(/^\n+|\n+$/g, "")}\n\`\`\``,
      ].join("\n");
      const answer = await REPORT.fetch("http://bench-report/completion", { method: "POST", body: markdown });
      if (!answer.ok) console.warn(`docs/benchmarks.md was not written: ${answer.status} ${await answer.text()}`);
    },
    ONCE,
  );
});

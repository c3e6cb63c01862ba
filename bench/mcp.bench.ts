import { env, exports } from "cloudflare:workers";
import { getAgentByName } from "agents";
import { bench, describe } from "vitest";
import type { Caller } from "../src/mcp/caller";
import { postMcp } from "../test/helpers/mcp";
import { BASE, MCP_URL, mintToken, newIdentity } from "../test/helpers/oauth";

/**
 * Each group's first entry is its baseline; vitest's summary gives every other entry as a
 * ratio against the fastest in the same run. Timers inside workerd advance only across I/O, so
 * compare ratios, not absolute milliseconds.
 */
const legacy = { "mcp-protocol-version": "2025-11-25" };
const identity = newIdentity();
const { accessToken, clientId } = await mintToken(identity, ["mcp:read"]);
const toolsList = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
const serverInfo = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "Get_Server_Info", arguments: {} } });

async function drain(res: Response): Promise<void> {
  await res.arrayBuffer();
}

describe("one MCP request through the Worker", () => {
  bench("baseline: unauthenticated 401 from the provider", async () => drain(await postMcp(null, toolsList, legacy)));
  bench("token validated, refused at the gateway (no agent hop)", async () => drain(await postMcp(accessToken, "{not json", legacy)));
  bench("tools/list through the user's agent", async () => drain(await postMcp(accessToken, toolsList, legacy)));
  bench("tools/call Get_Server_Info through the user's agent", async () => drain(await postMcp(accessToken, serverInfo, legacy)));
  bench("GET /health (a D1 and a KV read)", async () => drain(await exports.default.fetch(`${BASE}/health`)));
});

const caller: Caller = { identity, scopes: ["mcp:read"], clientId, requestId: "bench" };
function agentRequest(): Request {
  return new Request(MCP_URL, {
    method: "POST",
    headers: { host: new URL(MCP_URL).host, "content-type": "application/json", accept: "application/json, text/event-stream", ...legacy },
    body: toolsList,
  });
}

describe("reaching the user's agent (tools/list, called directly)", () => {
  bench("baseline: getByName + serveMcp (one RPC, what the gateway does)", async () => {
    await drain(await env.MCP_AGENT.getByName(identity.userKey).serveMcp(agentRequest(), JSON.parse(toolsList), caller));
  });
  bench("getAgentByName + serveMcp (initialisation RPC first)", async () => {
    const stub = await getAgentByName(env.MCP_AGENT, identity.userKey);
    await drain(await stub.serveMcp(agentRequest(), JSON.parse(toolsList), caller));
  });
});

const writer = newIdentity();
const writerToken = (await mintToken(writer, ["mcp:read", "mcp:write"])).accessToken;
const { results: portfolio } = await env.DB.prepare("SELECT id FROM addresses WHERE is_synthetic = 1 ORDER BY id LIMIT 500").all<{
  id: string;
}>();
const oneAssessment = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "tools/call",
  params: { name: "Quick_Assess_Property", arguments: { addressId: portfolio[0]?.id } },
});
const wholePortfolio = JSON.stringify({
  jsonrpc: "2.0",
  id: 2,
  method: "tools/call",
  params: {
    name: "Assess_Portfolio",
    arguments: { addresses: portfolio.map((r) => ({ addressId: r.id })) },
    _meta: { progressToken: "bench" },
  },
});

describe("portfolio job of 500 addresses (until its summary)", () => {
  const once = { iterations: 3, warmupIterations: 0, time: 0, warmupTime: 0 };
  bench("baseline: one Quick_Assess_Property", async () => drain(await postMcp(writerToken, oneAssessment, legacy)), once);
  bench(
    "Assess_Portfolio, 500 addresses, streamed to the end",
    async () => drain(await postMcp(writerToken, wholePortfolio, legacy)),
    once,
  );
});

import { exports } from "cloudflare:workers";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { createMcpHandler } from "agents/mcp/server";
import type { Services } from "../../src/data/services";
import type { PortfolioJobs } from "../../src/jobs/portfolio";
import type { Caller } from "../../src/mcp/caller";
import { buildMcpServer } from "../../src/mcp/server";
import { catalog } from "../../src/mcp/tools";
import { MCP_URL, newIdentity } from "./oauth";

export type Era = "2025-11-25" | "2026-07-28";

/** The protocol-version header a 2025-11-25 client sends on every request after initialize. */
export const LEGACY_HEADERS = { "mcp-protocol-version": "2025-11-25" };

/** Raw POST to /mcp through the real Worker entry. */
export function postMcp(token: string | null, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return exports.default.fetch(MCP_URL, {
    method: "POST",
    headers: {
      accept: "application/json, text/event-stream",
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** A client's HTTP traffic: requests started, and those whose response has not arrived yet. */
export interface Traffic {
  started: number;
  inFlight: number;
}

/**
 * The official MCP SDK client, speaking to the Worker in this isolate over its fetch entry.
 * `traffic`, when given, counts its requests (the client sends some on its own, e.g. the GET
 * stream it opens after `notifications/initialized`).
 */
export async function connectClient(
  token: string,
  era: Era = "2025-11-25",
  headers: Record<string, string> = {},
  traffic?: Traffic,
): Promise<Client> {
  const client = new Client(
    { name: "pandgate-tests", version: "1.0.0" },
    era === "2026-07-28" ? { versionNegotiation: { mode: { pin: "2026-07-28" } } } : {},
  );
  const transport = new StreamableHTTPClientTransport(new URL(MCP_URL), {
    fetch: async (url, init) => {
      if (traffic) {
        traffic.started++;
        traffic.inFlight++;
      }
      try {
        return await exports.default.fetch(new Request(url, init));
      } finally {
        if (traffic) traffic.inFlight--;
      }
    },
    requestInit: { headers: { ...headers, authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

/** Parses the JSON-RPC messages out of an SSE or JSON response body. */
export async function readMessages(res: Response): Promise<Array<Record<string, unknown>>> {
  const text = await res.text();
  if ((res.headers.get("content-type") ?? "").includes("text/event-stream")) {
    return text
      .split("\n")
      .filter((line) => line.startsWith("data: "))
      .map((line) => JSON.parse(line.slice(6)) as Record<string, unknown>);
  }
  return text ? [JSON.parse(text) as Record<string, unknown>] : [];
}

/** The `structuredContent` of a tools/call result message, if it has one. */
export function structuredOf(message: Record<string, unknown> | undefined): unknown {
  const result = message?.result as { structuredContent?: unknown } | undefined;
  return result?.structuredContent;
}

/** A JSON-RPC request posted raw to /mcp as a 2025-11-25 client; the messages it was answered with. */
export async function rpcMessages(
  token: string,
  method: string,
  params: Record<string, unknown>,
  id: number = Math.floor(Math.random() * 1e9),
): Promise<Array<Record<string, unknown>>> {
  return readMessages(await postMcp(token, { jsonrpc: "2.0", id, method, params }, LEGACY_HEADERS));
}

/**
 * An MCP client connected, in this isolate, to the server the agent builds, over the agents SDK's
 * handler, with `services` of the caller's choosing (live sources with stand-ins, counting D1):
 * the tool path without the Worker's entry, the agent or a token. Jobs are not available.
 */
export async function connectInProcess(services: Services, clientName: string): Promise<Client> {
  const caller: Caller = {
    identity: newIdentity(),
    scopes: ["mcp:read", "mcp:write"],
    clientId: clientName,
    requestId: crypto.randomUUID(),
  };
  const handler = createMcpHandler(
    ({ era }) => buildMcpServer({ catalog, caller, services, jobs: {} as PortfolioJobs, record: () => {}, era }),
    { route: "/mcp", allowedOriginHostnames: "*", corsOptions: false },
  );
  const client = new Client({ name: clientName, version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL("https://mcp.example.com/mcp"), {
      fetch: (url, init) => handler.fetch(new Request(url, init)),
    }),
  );
  return client;
}

/// <reference types="node" />
// Calculate_Rent_Points asks a client that can be asked (issue 20), against the Worker under
// `wrangler dev`: the v1 MCP TypeScript SDK client (what most shipping clients embed) on
// 2025-11-25, which gets a session and answers an elicitation/create pushed on the call's stream,
// and the v2 client pinned to 2026-07-28, which fulfils the input-required result and retries.
// Each registers an elicitation handler as a client application does.
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from "@modelcontextprotocol/client";
import { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as TransportV1 } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ASSESS_ARGS } from "./clients";
import { ANNA, fetchRpc, type Stack, signInForToken, startStack } from "./stack";

let stack: Stack;
let token: string;

beforeAll(async () => {
  stack = await startStack();
  token = (await signInForToken(stack, ANNA, "mcp:read", "pandgate e2e elicitation")).accessToken;
});

afterAll(async () => {
  await stack?.stop();
});

const ANSWER = { wozValue: 287_000, roomAreaM2: 61, otherAreaM2: 5 };

interface Out {
  rubrieken: Array<{ rubriek: string; origins: string[] }>;
  narrowingInputs: string[];
  pointsRange: { min: number; max: number } | null;
}
const origins = (out: Out, rubriek: string) => out.rubrieken.find((r) => r.rubriek === rubriek)?.origins ?? [];
const text = (content: unknown) => (content as Array<{ text?: string }>).map((c) => c.text ?? "").join("\n");

describe("Calculate_Rent_Points elicitation with real MCP clients under wrangler dev", () => {
  it("v1 SDK client, 2025-11-25: a session, elicitation/create on the call's stream, the answer counted", async () => {
    const asked: string[][] = [];
    const client = new ClientV1({ name: "pandgate-e2e-elicit-v1", version: "1.0.0" }, { capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      const schema = (request.params as { requestedSchema?: { properties?: Record<string, unknown> } }).requestedSchema;
      asked.push(Object.keys(schema?.properties ?? {}).sort());
      return { action: "accept", content: ANSWER };
    });
    const transport = new TransportV1(new URL(stack.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
    await client.connect(transport);
    expect(transport.sessionId).toMatch(/^pandgate-s1-/);
    const wide = (await (async () => {
      // The same call from a client that cannot be asked: the ranges, at once.
      const plain = new ClientV1({ name: "pandgate-e2e-plain", version: "1.0.0" });
      const plainTransport = new TransportV1(new URL(stack.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
      await plain.connect(plainTransport);
      expect(plainTransport.sessionId).toBeUndefined();
      const result = await plain.callTool({ name: "Calculate_Rent_Points", arguments: ASSESS_ARGS });
      await plain.close();
      return result.structuredContent;
    })()) as unknown as Out;
    const result = await client.callTool({ name: "Calculate_Rent_Points", arguments: ASSESS_ARGS });
    expect(asked).toEqual([["otherAreaM2", "roomAreaM2", "wozValue"]]);
    const out = result.structuredContent as unknown as Out;
    expect(origins(out, "wozWaarde")).toContain("your input");
    expect((out.pointsRange?.max ?? 0) - (out.pointsRange?.min ?? 0)).toBeLessThan(
      (wide.pointsRange?.max ?? 0) - (wide.pointsRange?.min ?? 0),
    );
    expect(text(result.content)).toMatch(/Counted with what you gave when asked/);
    // Ending the session: DELETE with its id, then the id is unknown.
    const ended = transport.sessionId as string;
    await transport.terminateSession();
    const after = await fetchRpc(stack, token, 9, "tools/list", {}, { "mcp-session-id": ended });
    expect(after.status).toBe(404);
    await client.close();
  });

  it("v2 SDK client, 2026-07-28: the input-required result fulfilled by its handler and retried", async () => {
    const asked: string[] = [];
    const client = new ClientV2(
      { name: "pandgate-e2e-elicit-v2", version: "1.0.0" },
      { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: "2026-07-28" } } },
    );
    client.setRequestHandler("elicitation/create", async (request) => {
      asked.push((request.params as { message: string }).message);
      return { action: "decline" };
    });
    await client.connect(new TransportV2(new URL(stack.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    const result = await client.callTool({ name: "Calculate_Rent_Points", arguments: ASSESS_ARGS });
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatch(/^Of the [\d.]+ points of the range .* decides [\d.]+/);
    expect(result.isError).toBeFalsy();
    expect((result.structuredContent as unknown as Out).narrowingInputs.length).toBeGreaterThan(0);
    expect(text(result.content)).toMatch(/You declined to give the inputs that would narrow the range/);
    await client.close();
  });
});

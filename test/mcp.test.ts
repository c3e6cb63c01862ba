import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { PandgateAgent } from "../src/mcp/agent";
import { connectClient, type Era, postMcp, readMessages, structuredOf } from "./helpers/mcp";
import { mintToken, newIdentity } from "./helpers/oauth";
import { installProbeTools } from "./helpers/probe-tools";

beforeAll(() => installProbeTools());

interface ServerInfo {
  server: { name: string; version: string };
  user: { userKey: string; tenantId: string; roles: string[]; identityProvider: string };
  clientId: string;
  scopes: string[];
  protocolVersion: string;
}

describe.each<Era>(["2025-11-25", "2026-07-28"])("MCP protocol %s through the per-user agent", (era) => {
  it("lists the tools and calls Get_Server_Info with the signed-in identity", async () => {
    const identity = newIdentity({ roles: ["Reader"], displayName: "Anna de Vries" });
    const { accessToken, clientId } = await mintToken(identity, ["mcp:read"]);
    const client = await connectClient(accessToken, era);
    expect(client.getServerVersion()?.name).toBe("pandgate");

    const { tools } = await client.listTools();
    const info = tools.find((t) => t.name === "Get_Server_Info");
    expect(info?.outputSchema).toBeDefined();
    expect(info?.annotations?.readOnlyHint).toBe(true);

    const result = await client.callTool({ name: "Get_Server_Info", arguments: {} });
    expect(result.isError).toBeFalsy();
    const data = result.structuredContent as unknown as ServerInfo;
    expect(data.server.name).toBe("pandgate");
    expect(data.user).toEqual({
      userKey: identity.userKey,
      tenantId: identity.tenantId,
      displayName: "Anna de Vries",
      roles: ["Reader"],
      identityProvider: "oidc",
    });
    expect(data.clientId).toBe(clientId);
    expect(data.scopes).toEqual(["mcp:read"]);
    expect(data.protocolVersion).toBe(era);
    const text = (result.content as Array<{ type: string; text: string }>)[0]?.text ?? "";
    expect(text).toContain("Anna de Vries");
    await client.close();
  });

  it("streams progress notifications in order before the result", async () => {
    const { accessToken } = await mintToken(newIdentity(), ["mcp:read"]);
    const client = await connectClient(accessToken, era);
    const seen: Array<{ progress: number; total?: number; message?: string }> = [];
    const result = await client.callTool(
      { name: "Test_Progress_Probe", arguments: { steps: 4 } },
      { onprogress: (p) => seen.push({ progress: p.progress, total: p.total, message: p.message }) },
    );
    expect(result.structuredContent).toEqual({ steps: 4, reported: true });
    expect(seen).toEqual([1, 2, 3, 4].map((i) => ({ progress: i, total: 4, message: `step ${i} of 4` })));
    await client.close();
  });
});

describe("progress on the wire", () => {
  it("sends notifications/progress frames with the client's token, then the result, on one SSE stream", async () => {
    const { accessToken } = await mintToken(newIdentity(), ["mcp:read"]);
    const res = await postMcp(
      accessToken,
      {
        jsonrpc: "2.0",
        id: 42,
        method: "tools/call",
        params: { name: "Test_Progress_Probe", arguments: { steps: 3 }, _meta: { progressToken: "tok-1" } },
      },
      { "mcp-protocol-version": "2025-11-25" },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const messages = await readMessages(res);
    expect(messages.map((m) => m.method ?? `result:${m.id}`)).toEqual([
      "notifications/progress",
      "notifications/progress",
      "notifications/progress",
      "result:42",
    ]);
    expect(messages.slice(0, 3).map((m) => m.params)).toEqual(
      [1, 2, 3].map((i) => ({ progressToken: "tok-1", progress: i, total: 3, message: `step ${i} of 3` })),
    );
  });

  it("sends no progress without a progress token", async () => {
    const { accessToken } = await mintToken(newIdentity(), ["mcp:read"]);
    const res = await postMcp(
      accessToken,
      { jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "Test_Progress_Probe", arguments: { steps: 3 } } },
      { "mcp-protocol-version": "2025-11-25" },
    );
    const messages = await readMessages(res);
    expect(messages).toHaveLength(1);
    expect(structuredOf(messages[0])).toEqual({ steps: 3, reported: false });
  });
});

describe("one agent per user", () => {
  it("serves two users from two distinct agent instances named by their user keys", async () => {
    const alice = newIdentity();
    const bob = newIdentity();
    const before = new Set((await listDurableObjectIds(env.MCP_AGENT)).map((id) => id.toString()));
    for (const identity of [alice, bob]) {
      const client = await connectClient((await mintToken(identity, ["mcp:read"])).accessToken);
      const info = (await client.callTool({ name: "Get_Server_Info", arguments: {} })).structuredContent as unknown as ServerInfo;
      expect(info.user.userKey).toBe(identity.userKey);
      await client.close();
    }
    const created = (await listDurableObjectIds(env.MCP_AGENT)).filter((id) => !before.has(id.toString()));
    expect(created).toHaveLength(2);

    const names = await Promise.all(
      [alice, bob].map((identity) =>
        runInDurableObject(env.MCP_AGENT.getByName(identity.userKey), (instance: PandgateAgent) => instance.name),
      ),
    );
    expect(names).toEqual([alice.userKey, bob.userKey]);
    expect(created.map((id) => id.toString()).sort()).toEqual(
      [alice, bob].map((identity) => env.MCP_AGENT.idFromName(identity.userKey).toString()).sort(),
    );
  });
});

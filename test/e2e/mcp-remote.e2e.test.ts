/// <reference types="node" />
// mcp-remote 0.15.1 (the stdio proxy Claude Desktop users run) against the Worker under
// `wrangler dev`: it is spawned exactly as a desktop client would, speaks MCP over its
// stdin/stdout (driven here by the v1 SDK's StdioClientTransport), signs in by "opening a
// browser" (a stand-in that hands the URL to this test, which walks consent and the dev IdP's
// login and then requests mcp-remote's own loopback callback), and steps up mid-session.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { JSONRPCMessage, Progress } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  ASSESS_ARGS,
  BrowserStandIn,
  completeSignIn,
  expectAssessmentProgress,
  expectAuthorizationRequest,
  SEED_ADDRESS,
  scopeList,
  workerRequests,
} from "./clients";
import { ANNA, ROOT, type Stack, startStack } from "./stack";

const MCP_REMOTE = path.join(ROOT, "node_modules", ".bin", "mcp-remote");

interface Proxy {
  client: Client;
  /** Every message mcp-remote wrote on stdout after the connect, in order. */
  messages: JSONRPCMessage[];
  /** What mcp-remote printed on stderr so far. */
  stderr(): string;
  close(): Promise<void>;
}

/**
 * Spawns `mcp-remote <mcpUrl>` (its `#!/usr/bin/env node` finds the project's Node 22 first on
 * PATH) with its config in `configDir`, and connects an MCP client to its stdio. The connect
 * runs through `browser.run`, so a sign-in it starts is completed by the browser's handler.
 */
async function startProxy(stack: Stack, browser: BrowserStandIn, configDir: string): Promise<Proxy> {
  const transport = new StdioClientTransport({
    command: MCP_REMOTE,
    args: [stack.mcpUrl],
    env: browser.env({ MCP_REMOTE_CONFIG_DIR: configDir }),
    cwd: ROOT,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const client = new Client({ name: "pandgate-e2e-claude-desktop-stand-in", version: "1.0.0" });
  try {
    await browser.run(client.connect(transport));
  } catch (error) {
    await client.close().catch(() => {});
    throw new Error(`connecting through mcp-remote failed: ${String(error)}\nmcp-remote stderr:\n${stderr}`);
  }
  // Record at the transport, before the SDK's Protocol: see assessWithProgress.
  const messages: JSONRPCMessage[] = [];
  const deliver = transport.onmessage;
  transport.onmessage = (message: JSONRPCMessage) => {
    messages.push(message);
    deliver?.(message);
  };

  return { client, messages, stderr: () => stderr, close: () => client.close() };
}

/**
 * Quick_Assess_Property through the proxy with a progress token; returns its result and the
 * progress notifications mcp-remote relayed for that request before the result, as written on its
 * stdout.
 *
 * They are read at the transport rather than from `onprogress` because the v1 SDK's Protocol runs
 * notification handlers in a microtask but handles a response synchronously: when the last
 * progress notifications and the result arrive in one stdout chunk, the response removes the
 * progress handler first and those notifications are dropped ("unknown token" on `onerror`). That
 * is a client-side race, not something mcp-remote or the Worker does wrong.
 */
async function assessWithProgress(proxy: Proxy, browser: BrowserStandIn): Promise<{ assessmentId: string; progress: Progress[] }> {
  const from = proxy.messages.length;
  const seen: Progress[] = [];
  const response = await browser.run(
    proxy.client.callTool({ name: "Quick_Assess_Property", arguments: ASSESS_ARGS }, undefined, { onprogress: (p) => seen.push(p) }),
  );
  expect(response.isError, JSON.stringify(response.content)).toBeFalsy();
  const { assessmentId } = response.structuredContent as { assessmentId: string };
  const relayed = proxy.messages.slice(from);
  const answer = relayed.findIndex(
    (m) =>
      "result" in m && (m.result as { structuredContent?: { assessmentId?: string } }).structuredContent?.assessmentId === assessmentId,
  );
  expect(answer).toBeGreaterThanOrEqual(0);
  const requestId = (relayed[answer] as { id: number | string }).id;
  const progress = relayed
    .slice(0, answer)
    .filter((m) => "method" in m && m.method === "notifications/progress")
    .map((m) => (m as unknown as { params: Progress & { progressToken: string | number } }).params)
    .filter((p) => p.progressToken === requestId);
  // Nothing for this request after its result.
  expect(relayed.slice(answer + 1).filter((m) => "method" in m && m.method === "notifications/progress")).toEqual([]);
  // What onprogress did see is a prefix of what was relayed.
  expect(seen.map((p) => p.progress)).toEqual(progress.slice(0, seen.length).map((p) => p.progress));
  return { assessmentId, progress };
}

/** mcp-remote's stored OAuth tokens (`<configDir>/mcp-remote-v1/<hash>_tokens.json`). */
async function storedTokens(configDir: string): Promise<{ scope?: string; refresh_token?: string; access_token: string }> {
  const dir = path.join(configDir, "mcp-remote-v1");
  const files = (await readdir(dir)).filter((f) => f.endsWith("_tokens.json"));
  expect(files, `token files in ${dir}`).toHaveLength(1);
  return JSON.parse(await readFile(path.join(dir, files[0] as string), "utf8"));
}

describe("mcp-remote 0.15.1 over stdio", () => {
  let stack: Stack;
  let browser: BrowserStandIn;
  let configDir: string;

  beforeAll(async () => {
    stack = await startStack();
    browser = await BrowserStandIn.start();
    configDir = await browser.scratch("mcp-auth");
  });

  afterAll(async () => {
    await browser?.stop();
    await stack?.stop();
  });

  it("signs in through the browser, lists tools, reads, steps up to mcp:write mid-session and relays progress", async () => {
    const signIns: Array<Awaited<ReturnType<typeof completeSignIn>>> = [];
    // First consent: everything but mcp:write (offline_access included, so mcp-remote holds a
    // refresh token). Any later consent (the step-up) approves mcp:write too.
    browser.onOpen(async (url, index) => {
      signIns.push(await completeSignIn(url, ANNA, index === 0 ? ["offline_access"] : ["mcp:write", "offline_access"]));
    });

    const proxy = await startProxy(stack, browser, configDir);
    try {
      expect(browser.opened).toHaveLength(1);
      const first = browser.opened[0] as URL;
      // The challenge's scopes, plus offline_access, which mcp-remote adds for its refresh token.
      expectAuthorizationRequest(first, stack, ["mcp:read", "mcp:write", "offline_access"]);
      // mcp-remote's own loopback callback (port derived from a hash of the server URL).
      expect(signIns[0]?.redirectUri).toMatch(/^http:\/\/(localhost|127\.0\.0\.1):\d+\/oauth\/callback$/);
      expect(scopeList((await storedTokens(configDir)).scope)).toEqual(["mcp:read", "offline_access"]);
      expect(proxy.client.getServerVersion()?.name).toBeTruthy();

      const { tools } = await proxy.client.listTools();
      expect(tools.map((t) => t.name)).toEqual(
        expect.arrayContaining(["Get_Addresses_for_Postcode", "Get_Property_Energy_Label", "Quick_Assess_Property"]),
      );

      const addresses = await proxy.client.callTool({ name: "Get_Addresses_for_Postcode", arguments: { postcode: SEED_ADDRESS.postcode } });
      expect(addresses.isError, JSON.stringify(addresses.content)).toBeFalsy();
      expect((addresses.structuredContent as { addresses: Array<{ houseNumber: number; street: string }> }).addresses).toContainEqual(
        expect.objectContaining({ houseNumber: SEED_ADDRESS.houseNumber, street: SEED_ADDRESS.street }),
      );
      const label = await proxy.client.callTool({ name: "Get_Property_Energy_Label", arguments: ASSESS_ARGS });
      expect((label.structuredContent as { current: { energyClass: string } | null }).current?.energyClass).toBe(SEED_ADDRESS.energyClass);
      expect(browser.opened).toHaveLength(1);

      // The write tool: the Worker answers 403 insufficient_scope; mcp-remote re-authorizes for
      // the wider scope (not a refresh, although it holds a refresh token), the browser opens
      // again, and the call is retried and streams its progress through the proxy.
      const mark = stack.logs().length;
      const { assessmentId, progress } = await assessWithProgress(proxy, browser);
      expect(assessmentId).toMatch(/^[0-9a-f-]{36}$/);
      await vi.waitFor(() => expect(workerRequests(stack.logs(), mark).at(-1)).toBe("POST /mcp 200"), { timeout: 30_000 });
      // 403, then a new authorization (not a refresh: mcp-remote holds a refresh token, but a
      // refresh cannot widen the grant), then the retried call. (Metadata reads left out.)
      const logged = workerRequests(stack.logs(), mark).filter((r) => !r.includes("/.well-known/"));
      // wrangler may print the earlier read calls' lines after the mark was taken: skip those.
      const stepUpAt = logged.indexOf("POST /mcp 403");
      expect(
        logged.slice(0, Math.max(stepUpAt, 0)).every((r) => r === "POST /mcp 200"),
        logged.join("\n"),
      ).toBe(true);
      const requests = logged.slice(stepUpAt);
      expect(requests, logged.join("\n")).toEqual([
        "POST /mcp 403",
        "GET /authorize 200",
        "POST /authorize 302",
        "GET /oauth/callback 302",
        "POST /oauth/token 200",
        "POST /mcp 200",
      ]);

      expect(browser.opened).toHaveLength(2);
      const stepUp = browser.opened[1] as URL;
      expect(scopeList(stepUp.searchParams.get("scope"))).toEqual(expect.arrayContaining(["mcp:read", "mcp:write"]));
      // Same registered client, same callback.
      expect(stepUp.searchParams.get("client_id")).toBe(first.searchParams.get("client_id"));
      expect(signIns[1]?.redirectUri).toBe(signIns[0]?.redirectUri);
      expect(scopeList((await storedTokens(configDir)).scope)).toEqual(["mcp:read", "mcp:write", "offline_access"]);

      expectAssessmentProgress(progress, assessmentId);
    } catch (error) {
      throw new Error(`${String(error)}\nmcp-remote stderr:\n${proxy.stderr()}`);
    } finally {
      await proxy.close();
    }
  });

  it("a restarted mcp-remote reuses its stored tokens: no browser, the write tool works at once", async () => {
    browser.onOpen(undefined);
    const opened = browser.opened.length;
    const proxy = await startProxy(stack, browser, configDir);
    try {
      const { assessmentId, progress } = await assessWithProgress(proxy, browser);
      expectAssessmentProgress(progress, assessmentId);
      expect(browser.opened).toHaveLength(opened);
    } catch (error) {
      throw new Error(`${String(error)}\nmcp-remote stderr:\n${proxy.stderr()}`);
    } finally {
      await proxy.close();
    }
  });
});

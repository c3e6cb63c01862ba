/// <reference types="node" />
// The official MCP conformance suite (@modelcontextprotocol/conformance, every server scenario)
// against pandgate's /mcp, signed in the way a client signs in.
//
// The suite has no option for a token, so a loopback reverse proxy in front of the Worker adds
// `Authorization: Bearer …` to /mcp requests and passes everything else through untouched, Host
// and Origin included (the dns-rebinding-protection scenario depends on them). The proxy's origin
// is the Worker's PUBLIC_URL: the OAuth provider checks a token's audience against the request's
// own URL, so the Host the suite sends must be the public host, as it is behind a real proxy.
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { Agent, createServer, request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ANNA,
  authorizationRequest,
  freePort,
  listenOnLoopback,
  NODE,
  ROOT,
  redeemCode,
  registerPublicClient,
  type Stack,
  signIn,
  startStack,
} from "./stack";

// Two versions are installed (0.1.16, and 0.2.0-alpha.12 as conformance-next); both name their bin
// `conformance`, so each is run by its own entry point, never through node_modules/.bin.
const CONFORMANCE = path.join(ROOT, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js");
const BASELINE = path.join(import.meta.dirname, "conformance-expected-failures.yml");

/** Scenarios that apply to pandgate and must pass: ran, at least one check passed, nothing failed. */
const MUST_PASS = ["server-initialize", "ping", "tools-list", "dns-rebinding-protection"];

type Reason = "capability" | "fixture" | "stateless";

interface Check {
  id: string;
  status: "SUCCESS" | "FAILURE" | "WARNING" | "SKIPPED" | "INFO";
  errorMessage?: string;
  details?: Record<string, unknown>;
}

/**
 * What a failing or warning check of a baselined scenario may look like, per reason (the tag in the
 * baseline file). Anything else (a 401, a 500, a timeout) is a real fault, baselined or not.
 */
const EXPECTED_FAULT: Record<Reason, (check: Check) => boolean> = {
  capability: (c) => c.status === "FAILURE" && /MCP error -32601: Method not found/.test(c.errorMessage ?? ""),
  fixture: (c) => c.status === "FAILURE" && /Tool '?\w+'? not found/.test(c.errorMessage ?? ""),
  stateless: (c) =>
    c.status === "WARNING" &&
    ["server-sse-multiple-streams-session", "server-sse-polling-session", "server-sse-priming-event", "server-sse-retry-field"].includes(
      c.id,
    ),
};

/** The `server:` entries of the baseline file with the reason tag of each entry's comment. */
async function readBaseline(): Promise<Map<string, { reason: string; comment: string }>> {
  const text = await readFile(BASELINE, "utf8");
  const entries = new Map<string, { reason: string; comment: string }>();
  let inServer = false;
  for (const line of text.split("\n")) {
    if (/^\S/.test(line) && !line.startsWith("#")) inServer = line.trim() === "server:";
    const entry = /^\s+-\s+(\S+)(?:\s+#\s*(.*))?$/.exec(line);
    if (!inServer || !entry?.[1]) continue;
    const comment = entry[2]?.trim() ?? "";
    entries.set(entry[1], { reason: /^(\w+):/.exec(comment)?.[1] ?? "", comment });
  }
  return entries;
}

interface AuthProxy {
  origin: string;
  setToken(token: string): void;
  /** Every /mcp request the proxy passed on: the Host and Origin it forwarded, and the answer. */
  seen: { method: string; host?: string; origin?: string; status: number }[];
  close(): Promise<void>;
}

/**
 * A reverse proxy on 127.0.0.1 in front of the Worker at `targetPort`: headers, bodies and streamed
 * answers pass through unchanged; requests to /mcp also get the bearer token.
 */
async function startAuthProxy(targetPort: number): Promise<AuthProxy> {
  let token: string | undefined;
  const seen: AuthProxy["seen"] = [];
  const agent = new Agent({ keepAlive: false });
  const server = createServer((req, res) => {
    const headers = { ...req.headers };
    const pathname = new URL(req.url ?? "/", "http://proxy.invalid").pathname;
    const isMcp = pathname === "/mcp" || pathname.startsWith("/mcp/");
    if (isMcp && token) headers.authorization = `Bearer ${token}`;
    const upstream = httpRequest({ host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, headers, agent }, (answer) => {
      if (isMcp)
        seen.push({ method: req.method ?? "", host: req.headers.host, origin: req.headers.origin, status: answer.statusCode ?? 0 });
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", (error) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`proxy: ${error.message}`);
    });
    // A client that stops reading (the suite cancels SSE readers) ends the upstream request too.
    res.on("close", () => upstream.destroy());
    req.pipe(upstream);
  });
  const port = await listenOnLoopback(server);
  return {
    origin: `http://127.0.0.1:${port}`,
    setToken: (value) => {
      token = value;
    },
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Discovery, registration of a public client, PKCE sign-in as Anna with mcp:write, code redemption. */
async function signInAsClient(stack: Stack): Promise<{ accessToken: string; scope: string }> {
  const prm = (await (await fetch(`${stack.url}/.well-known/oauth-protected-resource/mcp`)).json()) as { resource: string };
  expect(prm.resource).toBe(stack.mcpUrl);
  const as = (await (await fetch(`${stack.url}/.well-known/oauth-authorization-server`)).json()) as {
    authorization_endpoint: string;
    token_endpoint: string;
  };
  const redirectUri = `http://127.0.0.1:${await freePort()}/callback`;
  const client = await registerPublicClient(stack.url, { client_name: "MCP conformance suite", redirect_uris: [redirectUri] });
  const request = authorizationRequest(as.authorization_endpoint, {
    clientId: client.client_id,
    redirectUri,
    scope: "mcp:read mcp:write",
    resource: prm.resource,
  });
  const { clientRedirect } = await signIn(request.url, ANNA, { scopes: ["mcp:write"] });
  expect(clientRedirect.searchParams.get("state")).toBe(request.state);
  const code = clientRedirect.searchParams.get("code");
  if (!code) throw new Error(`no code in ${clientRedirect}`);
  const { status, body: tokens } = await redeemCode(as.token_endpoint, request, code);
  if (status !== 200 || !tokens.access_token) throw new Error(`the token endpoint answered ${status}: ${JSON.stringify(tokens)}`);
  return { accessToken: tokens.access_token, scope: tokens.scope ?? "" };
}

/** Runs the conformance CLI with the project's Node 22; resolves with its exit code and output. */
function conformance(args: string[], timeoutMs = 200_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [CONFORMANCE, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The checks of each scenario from `<dir>/server-<scenario>-<timestamp>/checks.json`. */
async function readResults(dir: string): Promise<Map<string, Check[]>> {
  const results = new Map<string, Check[]>();
  for (const entry of await readdir(dir)) {
    const scenario = /^server-(.+)-\d{4}-\d\d-\d\dT[\d-]+Z$/.exec(entry)?.[1];
    if (!scenario) continue;
    if (results.has(scenario)) throw new Error(`two results for ${scenario}`);
    results.set(scenario, JSON.parse(await readFile(path.join(dir, entry, "checks.json"), "utf8")) as Check[]);
  }
  return results;
}

const isFault = (check: Check) => check.status === "FAILURE" || check.status === "WARNING";

describe("MCP conformance suite, server scenarios, against /mcp", () => {
  let proxy: AuthProxy;
  let stack: Stack;
  let outputDir: string;
  let scenarios: string[];
  let run: { code: number | null; output: string };
  let results: Map<string, Check[]>;
  let baseline: Map<string, { reason: string; comment: string }>;

  beforeAll(async () => {
    const workerPort = await freePort();
    proxy = await startAuthProxy(workerPort);
    stack = await startStack({ port: workerPort, publicUrl: proxy.origin });
    const { accessToken, scope } = await signInAsClient(stack);
    expect(scope.split(" ")).toEqual(expect.arrayContaining(["mcp:read", "mcp:write"]));
    proxy.setToken(accessToken);

    outputDir = await mkdtemp(path.join(tmpdir(), "pandgate-conformance-"));
    const listed = await conformance(["list", "--server"]);
    scenarios = [...listed.output.matchAll(/^\s+- (\S+) \[/gm)].map((m) => m[1] as string);
    run = await conformance(["server", "--url", stack.mcpUrl, "--suite", "all", "--expected-failures", BASELINE, "-o", outputDir]);
    results = await readResults(outputDir);
    baseline = await readBaseline();
  });

  afterAll(async () => {
    await stack?.stop();
    await proxy?.close();
    if (outputDir) await rm(outputDir, { recursive: true, force: true });
  });

  it("runs every server scenario; only baselined scenarios fail, and every baselined one still fails", () => {
    const summary = run.output.slice(Math.max(0, run.output.indexOf("=== SUMMARY ===")));
    expect(scenarios.length).toBeGreaterThanOrEqual(30);
    expect([...results.keys()].sort()).toEqual([...scenarios].sort());
    const unexpected = [...results].filter(([name, checks]) => checks.some(isFault) && !baseline.has(name)).map(([name]) => name);
    expect(unexpected, summary).toEqual([]);
    const stale = [...baseline.keys()].filter((name) => !results.get(name)?.some(isFault));
    expect(stale, "baselined scenarios that no longer fail (or do not exist): remove them").toEqual([]);
    expect(run.code, summary).toBe(0);
    expect(summary).toContain("Baseline check passed");
  });

  it("every baseline entry gives its reason, and its scenario fails only for that reason", () => {
    const reasons = Object.keys(EXPECTED_FAULT);
    for (const [name, { reason, comment }] of baseline) {
      expect(reasons, `${name}: "${comment}" must start with one of ${reasons.join(", ")}`).toContain(reason);
      expect(comment.length, `${name} needs a reason after its tag`).toBeGreaterThan(reason.length + 10);
      const faults = (results.get(name) ?? []).filter(isFault);
      const other = faults.filter((check) => !EXPECTED_FAULT[reason as Reason](check));
      expect(other, `${name} (${reason}) failed otherwise`).toEqual([]);
    }
  });

  it("the scenarios that apply pass: initialize, ping, tools/list, DNS rebinding protection", () => {
    for (const name of MUST_PASS) {
      const checks = results.get(name) ?? [];
      expect(checks.filter(isFault), name).toEqual([]);
      expect(
        checks.some((check) => check.status === "SUCCESS"),
        `${name} passed a check`,
      ).toBe(true);
      expect(baseline.has(name)).toBe(false);
    }
    // The suite saw pandgate's real catalog, write tools included (the token has mcp:write).
    const tools = results.get("tools-list")?.[0]?.details?.tools as string[];
    expect(tools).toEqual(expect.arrayContaining(["Get_Server_Info", "Quick_Assess_Property", "Delete_Property_Assessment"]));
    // The foreign Host and Origin reached the Worker unchanged, and the Worker refused them.
    const rejected = results.get("dns-rebinding-protection")?.find((c) => c.id === "localhost-host-rebinding-rejected");
    expect(rejected?.details?.statusCode).toBe(403);
    expect(proxy.seen).toContainEqual({ method: "POST", host: "evil.example.com", origin: "http://evil.example.com", status: 403 });
    expect(proxy.seen).toContainEqual({ method: "POST", host: new URL(proxy.origin).host, origin: proxy.origin, status: 200 });
  });

  it("stateless streams: concurrent POSTs each get their own answer (what server-sse-multiple-streams checks after its session step)", async () => {
    const answers = await Promise.all(
      [1, 2, 3].map(async (id) => {
        const res = await fetch(stack.mcpUrl, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "text/event-stream, application/json",
            "mcp-protocol-version": "2025-11-25",
          },
          body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/list", params: {} }),
        });
        const text = await res.text();
        // An SSE answer carries the response as one `data:` line of its own event.
        const bodies = res.headers.get("content-type")?.includes("text/event-stream")
          ? text
              .split("\n")
              .filter((line) => line.startsWith("data:"))
              .map((line) => line.slice(5).trim())
          : [text];
        const messages = bodies.map((body) => JSON.parse(body) as { id?: number; result?: { tools: unknown[] } });
        return { id, status: res.status, message: messages.find((m) => m.id === id) };
      }),
    );
    for (const { id, status, message } of answers) {
      expect(status).toBe(200);
      expect(message?.result?.tools.length, `answer to request ${id}`).toBeGreaterThan(0);
    }
  });
});

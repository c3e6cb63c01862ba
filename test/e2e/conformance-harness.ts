/// <reference types="node" />
// What both conformance runs (0.1.16 and the newest suite, test/e2e/conformance.e2e.test.ts) share:
// a loopback proxy that adds the bearer token, the sign-in of the suite as an OAuth client, the
// CLI runner and the reader of the per-scenario results.
//
// The suite has no option for a token, so a loopback reverse proxy in front of the Worker adds
// `Authorization: Bearer …` to /mcp requests and passes everything else through untouched, Host
// and Origin included (the dns-rebinding-protection scenario depends on them). The proxy's origin
// is the Worker's PUBLIC_URL: the OAuth provider checks a token's audience against the request's
// own URL, so the Host the suite sends must be the public host, as it is behind a real proxy.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { Agent, createServer, request as httpRequest } from "node:http";
import path from "node:path";
import { expect } from "vitest";
import { ANNA, listenOnLoopback, NODE, ROOT, type Stack, signInForToken } from "./stack";

// Two versions are installed (0.1.16, and 0.2.0-alpha.12 as conformance-next); both name their bin
// `conformance`, so each is run by its own entry point, never through node_modules/.bin.
export const CONFORMANCE = {
  current: path.join(ROOT, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js"),
  next: path.join(ROOT, "node_modules", "@modelcontextprotocol", "conformance-next", "dist", "index.js"),
} as const;

export interface Check {
  id: string;
  status: "SUCCESS" | "FAILURE" | "WARNING" | "SKIPPED" | "INFO";
  errorMessage?: string;
  details?: Record<string, unknown>;
}

/** What both runners count as a failure of a scenario (a WARNING fails it too). */
export const isFault = (check: Check) => check.status === "FAILURE" || check.status === "WARNING";

export interface AuthProxy {
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
export async function startAuthProxy(targetPort: number): Promise<AuthProxy> {
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

/** Discovery (the resource the suite will be sent to), then a public client's PKCE sign-in as Anna with mcp:write. */
export async function signInAsClient(stack: Stack): Promise<{ accessToken: string; scope: string }> {
  const prm = (await (await fetch(`${stack.url}/.well-known/oauth-protected-resource/mcp`)).json()) as { resource: string };
  expect(prm.resource).toBe(stack.mcpUrl);
  const { accessToken, scope } = await signInForToken(stack, ANNA, "mcp:read mcp:write", "MCP conformance suite");
  return { accessToken, scope };
}

export interface ConformanceRun {
  code: number | null;
  output: string;
}

/** Runs a conformance CLI (its entry point) with the project's Node 22; resolves with its exit code and output. */
export function runConformance(entry: string, args: string[], timeoutMs = 200_000): Promise<ConformanceRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [entry, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
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

/** The part of a run's output from its summary on (what to show when the run's verdict is wrong). */
export function summaryOf(run: ConformanceRun): string {
  return run.output.slice(Math.max(0, run.output.indexOf("=== SUMMARY ===")));
}

/** The scenario names a `list --server` printed (`  - name [versions]`). */
export function listedScenarios(output: string): string[] {
  return [...output.matchAll(/^\s+- (\S+) \[/gm)].map((m) => m[1] as string);
}

/** The checks of each scenario from `<dir>/server-<scenario>-<timestamp>/checks.json`. */
export async function readResults(dir: string): Promise<Map<string, Check[]>> {
  const results = new Map<string, Check[]>();
  for (const entry of await readdir(dir)) {
    const scenario = /^server-(.+)-\d{4}-\d\d-\d\dT[\d-]+Z$/.exec(entry)?.[1];
    if (!scenario) continue;
    if (results.has(scenario)) throw new Error(`two results for ${scenario}`);
    const file = path.join(dir, entry, "checks.json");
    // The CLI makes the folder first; a scenario that threw leaves it without checks.json.
    const checks = existsSync(file)
      ? (JSON.parse(await readFile(file, "utf8")) as Check[])
      : [
          {
            id: "no-checks-saved",
            status: "FAILURE" as const,
            errorMessage: `the scenario saved no checks (it threw; see the run's output)`,
          },
        ];
    results.set(scenario, checks);
  }
  return results;
}

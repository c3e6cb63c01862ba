/// <reference types="node" />
// Helpers for driving real, off-the-shelf MCP clients (mcp-remote, MCP Inspector) end to end: a
// browser stand-in they "open" the authorization URL with, which hands the URL to the test so the
// test can walk the sign-in pages, and a way to run a client's command line with a clean,
// throw-away home.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { listenOnLoopback, NODE, type Stack, signIn } from "./stack";

/** An address in the synthetic seed (seed/seed.sql) with a registered energy label. */
export const SEED_ADDRESS = { postcode: "3817AC", houseNumber: 1, street: "Polluxstraat", place: "Amersfoort", energyClass: "C" } as const;
/** {@link SEED_ADDRESS} as an address tool's arguments. */
export const ASSESS_ARGS = { postcode: SEED_ADDRESS.postcode, houseNumber: SEED_ADDRESS.houseNumber };

/** Environment variables that would make `xdg-open` look for a desktop session instead of `$BROWSER`. */
const DESKTOP_VARIABLES = [
  "DISPLAY",
  "WAYLAND_DISPLAY",
  "XDG_CURRENT_DESKTOP",
  "XDG_SESSION_DESKTOP",
  "DESKTOP_SESSION",
  "KDE_FULL_SESSION",
  "GNOME_DESKTOP_SESSION_ID",
  "MATE_DESKTOP_SESSION_ID",
  "WSL_DISTRO_NAME",
];

/** What the test does with a URL a client opened: usually {@link completeSignIn}. */
export type OpenHandler = (url: URL, index: number) => Promise<void>;

/**
 * A browser stand-in. `start()` writes small executables named `xdg-open`, `open`, `gio`,
 * `x-www-browser`, `sensible-browser` and `browser` into a temporary directory; each POSTs the URL
 * it was given to a loopback HTTP server in the test process and exits 0. Put {@link binDir}
 * first on a client's `PATH` and point `BROWSER` at it ({@link env} does both): the `open` package
 * (used by mcp-remote and the Inspector) runs its bundled `xdg-open`, which with no desktop session
 * runs `$BROWSER <url>`; clients that run `xdg-open` themselves find the stub on `PATH`.
 *
 * Every URL is recorded in {@link opened} and passed to the handler set with {@link onOpen}. A
 * handler failure is kept and makes {@link run} reject at once, instead of leaving the client
 * waiting for a callback that never comes.
 */
export class BrowserStandIn {
  readonly opened: URL[] = [];
  /** For each URL in {@link opened}, the name of the stub that was run (`browser` is `$BROWSER`). */
  readonly openedVia: string[] = [];
  readonly #server: Server;
  readonly #dir: string;
  readonly #sink: string;
  #handler: OpenHandler | undefined;
  readonly #pending = new Set<Promise<void>>();
  #failure: unknown;
  readonly #failureListeners = new Set<(error: unknown) => void>();

  private constructor(server: Server, dir: string, sink: string) {
    this.#server = server;
    this.#dir = dir;
    this.#sink = sink;
  }

  static async start(): Promise<BrowserStandIn> {
    const dir = await mkdtemp(path.join(tmpdir(), "pandgate-browser-"));
    let standIn: BrowserStandIn | undefined;
    const server = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (body += chunk));
      req.on("end", () => {
        const target = new URL(req.url ?? "/", "http://127.0.0.1");
        if (req.method !== "POST" || target.pathname !== "/opened") {
          res.writeHead(404).end();
          return;
        }
        let url: URL;
        try {
          url = new URL(body.trim());
        } catch {
          res.writeHead(400).end("not a URL");
          return;
        }
        res.writeHead(204).end();
        if (standIn) standIn.#received(url, target.searchParams.get("via") ?? "?");
      });
    });
    const port = await listenOnLoopback(server);
    standIn = new BrowserStandIn(server, dir, `http://127.0.0.1:${port}/opened`);
    await standIn.#writeStubs();
    return standIn;
  }

  /** The directory with the stub executables. */
  get binDir(): string {
    return path.join(this.#dir, "bin");
  }

  /** A scratch directory that {@link stop} removes (for a client's HOME or config dir). */
  async scratch(name: string): Promise<string> {
    const dir = path.join(this.#dir, name);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /**
   * An environment for a client process: the stand-in and the project's Node 22 first on `PATH`,
   * `BROWSER` set to the stand-in, no desktop session variables, plus `extra`.
   */
  env(extra: Record<string, string> = {}): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined && !DESKTOP_VARIABLES.includes(key)) env[key] = value;
    }
    env.PATH = [this.binDir, path.dirname(NODE), process.env.PATH ?? ""].join(path.delimiter);
    env.BROWSER = path.join(this.binDir, "browser");
    return { ...env, ...extra };
  }

  /** Sets what happens to each URL a client opens from now on. */
  onOpen(handler: OpenHandler | undefined): void {
    this.#handler = handler;
  }

  /**
   * Awaits `operation` (something a client does that may open the browser), rejecting early if
   * handling an opened URL fails; then waits for handlers still running.
   */
  async run<T>(operation: Promise<T>): Promise<T> {
    let listener: ((error: unknown) => void) | undefined;
    const failed = new Promise<never>((_, reject) => {
      listener = reject;
      if (this.#failure !== undefined) reject(this.#failure);
      else this.#failureListeners.add(reject);
    });
    failed.catch(() => {});
    try {
      const result = await Promise.race([operation, failed]);
      await this.settled();
      return result;
    } finally {
      if (listener) this.#failureListeners.delete(listener);
    }
  }

  /** Resolves when no handler is running; rejects with the first handler failure. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    if (this.#failure !== undefined) throw this.#failure;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
    await rm(this.#dir, { recursive: true, force: true }).catch(() => {});
  }

  #received(url: URL, via: string): void {
    const index = this.opened.push(url) - 1;
    this.openedVia.push(via);
    const handler = this.#handler;
    if (!handler) {
      this.#fail(new Error(`a client opened ${url.href} but the test expected no browser`));
      return;
    }
    const task = handler(url, index).catch((error: unknown) => this.#fail(error));
    this.#pending.add(task);
    void task.finally(() => this.#pending.delete(task));
  }

  #fail(error: unknown): void {
    this.#failure ??= error;
    for (const listener of this.#failureListeners) listener(error);
  }

  async #writeStubs(): Promise<void> {
    await mkdir(this.binDir, { recursive: true });
    // `xdg-open URL`, `open URL`, `gio open URL`, `$BROWSER URL`: the URL is the last argument.
    const post = [
      "const url = process.argv.at(-1);",
      "fetch(process.env.PANDGATE_BROWSER_SINK, { method: 'POST', body: url })",
      "  .then((res) => process.exit(res.ok ? 0 : 1), () => process.exit(1));",
    ].join(" ");
    for (const name of ["browser", "xdg-open", "open", "gio", "x-www-browser", "sensible-browser", "www-browser"]) {
      const script = [
        "#!/bin/sh",
        "# Browser stand-in for pandgate's end-to-end tests: hands the URL to the test process.",
        `PANDGATE_BROWSER_SINK='${this.#sink}?via=${name}' exec '${NODE}' -e "${post}" -- "$@"`,
        "",
      ].join("\n");
      const file = path.join(this.binDir, name);
      await writeFile(file, script);
      await chmod(file, 0o755);
    }
  }
}

/**
 * Plays the user's browser for an authorization URL a client opened: consent (approving
 * `scopes`; mcp:read is always granted), the dev IdP's login as `user`, then the client's own
 * redirect URI, which is requested like a browser would. Returns the scopes the client asked for
 * and the client's answer to its callback.
 */
export async function completeSignIn(
  authorizeUrl: URL,
  user: { username: string; password: string },
  scopes: string[],
): Promise<{ requestedScope: string | null; redirectUri: string | null; callbackStatus: number }> {
  const { clientRedirect } = await signIn(authorizeUrl, user, { scopes });
  if (!clientRedirect.searchParams.get("code")) throw new Error(`no code in the redirect to the client: ${clientRedirect.href}`);
  const res = await fetch(clientRedirect, { redirect: "manual" });
  await res.body?.cancel();
  if (res.status >= 400) throw new Error(`the client's callback ${clientRedirect.origin}${clientRedirect.pathname} answered ${res.status}`);
  return {
    requestedScope: authorizeUrl.searchParams.get("scope"),
    redirectUri: authorizeUrl.searchParams.get("redirect_uri"),
    callbackStatus: res.status,
  };
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node <script> ...args` with the project's Node 22 (stdin empty), resolving with its exit
 * code and output; never rejects on a non-zero exit, only when it cannot start or overruns
 * `timeoutMs` (then it is killed; by default 120 s, a hang guard that a loaded machine never reaches).
 */
export function runNode(
  script: string,
  args: string[],
  options: { env: Record<string, string>; cwd?: string; timeoutMs?: number },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [script, ...args], { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => (stdout += chunk));
    child.stderr.on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${path.basename(script)} ${args.join(" ")} did not finish in ${options.timeoutMs} ms\n${stderr}\n${stdout}`));
    }, options.timeoutMs ?? 120_000);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const ANSI_SGR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/**
 * The requests `wrangler dev` logged (`[wrangler:info] POST /mcp 403 Forbidden (6ms)`) in its
 * output after `offset` characters, as `METHOD /path STATUS` (query strings dropped). Lets a test
 * see what a client it does not control sent, e.g. that a 403 came before a re-authorization.
 */
export function workerRequests(logs: string, offset = 0): string[] {
  const text = logs.slice(offset).replace(ANSI_SGR, "");
  return [...text.matchAll(/\[wrangler:info\] ([A-Z]+) (\S+) (\d{3})\b/g)].map(
    ([, method, target = "", status]) => `${method} ${target.split("?")[0]} ${status}`,
  );
}

/** A space-separated scope string (a `scope` parameter or token field) as a sorted list. */
export function scopeList(value: string | null | undefined): string[] {
  return (value ?? "").split(" ").filter(Boolean).sort();
}

/**
 * What a client's authorization request must carry, whichever client made it: pandgate's
 * /authorize, the MCP resource as its resource indicator, a PKCE S256 challenge and, given
 * `scopes`, exactly those scopes (in any order).
 */
export function expectAuthorizationRequest(url: URL, stack: Pick<Stack, "url" | "mcpUrl">, scopes?: string[]): void {
  expect(`${url.origin}${url.pathname}`).toBe(`${stack.url}/authorize`);
  expect(url.searchParams.get("resource")).toBe(stack.mcpUrl);
  expect(url.searchParams.get("code_challenge_method")).toBe("S256");
  if (scopes) expect(scopeList(url.searchParams.get("scope"))).toEqual([...scopes].sort());
}

/** Quick_Assess_Property's progress as a client received it: 0..5 of 5, increasing without repeats, ending with the saved id. */
export function expectAssessmentProgress(
  progress: Array<{ progress: number; total?: number; message?: string }>,
  assessmentId: string,
): void {
  expect(progress.length).toBeGreaterThanOrEqual(3);
  expect(progress.every((p) => p.total === 5)).toBe(true);
  const values = progress.map((p) => p.progress);
  expect(values).toEqual([...values].sort((a, b) => a - b));
  expect(new Set(values).size).toBe(values.length);
  expect(progress.at(-1)).toMatchObject({ progress: 5, message: `Saved as ${assessmentId}` });
}

/**
 * An interactive OAuth client's state, everything in memory, shaped for either MCP SDK's
 * `OAuthClientProvider` (v1 and v2 name their record types differently; the methods are the same).
 * `redirectToAuthorization` only records the URL: the test plays the browser.
 */
export class MemoryOAuthState<ClientInfo, Tokens, Discovery> {
  readonly authorizationUrls: URL[] = [];
  readonly registrations: ClientInfo[] = [];
  readonly savedTokens: Tokens[] = [];
  readonly #state = randomUUID();
  #client: ClientInfo | undefined;
  #tokens: Tokens | undefined;
  #verifier: string | undefined;
  #discovery: Discovery | undefined;

  constructor(
    readonly callbackUrl: string,
    readonly clientName: string,
  ) {}

  get redirectUrl(): string {
    return this.callbackUrl;
  }

  get clientMetadata() {
    // No `scope`: the SDK takes it from the server's challenge and metadata.
    return {
      client_name: this.clientName,
      redirect_uris: [this.callbackUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }

  state(): string {
    return this.#state;
  }

  clientInformation(): ClientInfo | undefined {
    return this.#client;
  }

  saveClientInformation(info: ClientInfo): void {
    this.registrations.push(info);
    this.#client = info;
  }

  tokens(): Tokens | undefined {
    return this.#tokens;
  }

  saveTokens(tokens: Tokens): void {
    this.savedTokens.push(tokens);
    this.#tokens = tokens;
  }

  redirectToAuthorization(url: URL): void {
    this.authorizationUrls.push(url);
  }

  saveCodeVerifier(verifier: string): void {
    this.#verifier = verifier;
  }

  codeVerifier(): string {
    if (!this.#verifier) throw new Error("no code verifier saved");
    return this.#verifier;
  }

  saveDiscoveryState(state: Discovery): void {
    this.#discovery = state;
  }

  discoveryState(): Discovery | undefined {
    return this.#discovery;
  }

  invalidateCredentials(scope: "all" | "client" | "tokens" | "verifier" | "discovery"): void {
    if (scope === "all" || scope === "tokens") this.#tokens = undefined;
    if (scope === "all" || scope === "client") this.#client = undefined;
    if (scope === "all" || scope === "verifier") this.#verifier = undefined;
    if (scope === "all" || scope === "discovery") this.#discovery = undefined;
  }

  /** The last authorization URL the SDK asked the user to open. */
  get lastAuthorizationUrl(): URL {
    const url = this.authorizationUrls.at(-1);
    if (!url) throw new Error("the SDK never asked to open an authorization URL");
    return url;
  }
}

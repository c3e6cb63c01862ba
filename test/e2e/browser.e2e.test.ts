/// <reference types="node" />
// Sign-in in a real browser: headless Chromium (driven by playwright-core) clicks through
// pandgate's consent page and the dev IdP's login page, and lands on a client's loopback redirect.
import { spawn } from "node:child_process";
import { accessSync, constants, createWriteStream, existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import path from "node:path";
import { type Browser, type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ANNA,
  authorizationRequest,
  CONTOSO,
  listenOnLoopback,
  ROOT,
  redeemCode,
  registerPublicClient,
  type Stack,
  startStack,
} from "./stack";

const RESULTS = path.join(ROOT, "test-results");
const INSTALL_TIMEOUT_MS = 8 * 60_000;

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findChromium(): string | undefined {
  const candidates = ["/usr/bin/chromium"];
  for (const dir of (process.env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    candidates.push(path.join(dir, "chromium"), path.join(dir, "chromium-browser"));
  }
  return candidates.find(executable);
}

/** Runs a command with its output appended to `log`; resolves with its exit code (or -1 on timeout). */
function runLogged(command: string, args: string[], log: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const out = createWriteStream(log, { flags: "a" });
    out.write(`\n$ ${command} ${args.join(" ")}\n`);
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    const finish = (code: number) => {
      clearTimeout(timer);
      out.end(() => resolve(code));
    };
    child.once("error", () => finish(-1));
    child.once("exit", (code) => finish(code ?? -1));
  });
}

/** Chromium's path, installing it with apt-get when that is possible; otherwise why not. */
async function chromiumOrReason(): Promise<{ path: string } | { reason: string }> {
  const found = findChromium();
  if (found) return { path: found };
  if (process.platform !== "linux" || process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) {
    return {
      reason: "Chromium is not installed (looked for /usr/bin/chromium and chromium on PATH) and cannot be installed with apt-get here",
    };
  }
  await mkdir(RESULTS, { recursive: true });
  const log = path.join(RESULTS, "chromium-install.log");
  console.log(`Installing Chromium with apt-get (output in ${path.relative(ROOT, log)}) …`);
  const deadline = Date.now() + INSTALL_TIMEOUT_MS;
  const updated = await runLogged("apt-get", ["update"], log, INSTALL_TIMEOUT_MS);
  const installed =
    updated === 0 ? await runLogged("apt-get", ["install", "-y", "chromium"], log, Math.max(deadline - Date.now(), 1)) : updated;
  const after = findChromium();
  if (after) return { path: after };
  return { reason: `Chromium could not be installed (apt-get exited with ${installed}; see ${path.relative(ROOT, log)})` };
}

/** `promise`, or a rejection with `message()` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The client's redirect URI: a loopback server that records each query and answers "done". */
async function startRedirectServer(): Promise<{ url: string; received: Promise<URLSearchParams>; close(): Promise<void> }> {
  let deliver: (query: URLSearchParams) => void = () => {};
  const received = new Promise<URLSearchParams>((resolve) => {
    deliver = resolve;
  });
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== "/callback") {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end("done");
    deliver(url.searchParams);
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}/callback`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe("sign-in in a real browser (headless Chromium)", () => {
  let chromiumPath: string | undefined;
  let skipReason: string | undefined;
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let redirect: Awaited<ReturnType<typeof startRedirectServer>> | undefined;

  beforeAll(async () => {
    const chromiumFound = await chromiumOrReason();
    if ("reason" in chromiumFound) {
      skipReason = chromiumFound.reason;
      return;
    }
    chromiumPath = chromiumFound.path;
    stack = await startStack({ issuerTenant: CONTOSO, allowedTenantIds: [CONTOSO] });
    redirect = await startRedirectServer();
    // launch() (not launchPersistentContext) starts from a fresh, temporary profile every time.
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    context = await browser.newContext();
  }, INSTALL_TIMEOUT_MS + 120_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close().catch(() => {});
    await redirect?.close();
    await stack?.stop();
  });

  it("consent page, IdP login as Anna, code at the client's loopback redirect", async (ctx) => {
    if (skipReason || !stack || !context || !redirect) {
      console.warn(`Skipping the browser test: ${skipReason ?? "the browser did not start"}`);
      ctx.skip(skipReason);
      return;
    }
    console.log(`Browser test uses ${chromiumPath} (${browser?.version()})`);
    await mkdir(RESULTS, { recursive: true });
    const clientName = "pandgate e2e (browser)";
    const client = await registerPublicClient(stack.url, { client_name: clientName, redirect_uris: [redirect.url] });
    const redirectHost = new URL(redirect.url).host;

    const request = authorizationRequest(`${stack.url}/authorize`, {
      clientId: client.client_id,
      redirectUri: redirect.url,
      scope: "mcp:read",
      resource: stack.mcpUrl,
    });

    const page = await context.newPage();
    const consent = await page.goto(request.url.href);
    expect(consent?.status()).toBe(200);
    await page.screenshot({ path: path.join(RESULTS, "consent.png"), fullPage: true });
    const consentText = (await page.locator("body").textContent()) ?? "";
    expect(consentText).toContain(clientName);
    expect(consentText).toContain(redirectHost.split(":")[0] as string);
    const cookies = await context.cookies(stack.url);
    expect(cookies.some((c) => c.name.startsWith("__Host-"))).toBe(true);

    // Allow → the dev IdP's login page.
    const idpOrigin = stack.idp.origin;
    await Promise.all([
      page.waitForURL((url) => url.origin === idpOrigin && url.pathname.includes("/interaction/")),
      page.locator('button[name="decision"][value="approve"]').click(),
    ]);
    expect(await page.locator("#login-form").count()).toBe(1);
    await page.screenshot({ path: path.join(RESULTS, "login.png"), fullPage: true });
    expect(await page.locator("h1").textContent()).toContain("Sign in to Contoso");

    await page.fill("#username", ANNA.username);
    await page.fill("#password", ANNA.password);
    await page.locator('#login-form button[type="submit"]').click();

    const query = await within(redirect.received, 20_000, () => `no redirect reached the client; the page is at ${page.url()}`);
    expect(query.get("code")).toBeTruthy();
    expect(query.get("state")).toBe(request.state);
    expect(query.get("iss")).toBe(stack.url);
    await page.waitForURL((url) => url.href.startsWith(redirect?.url ?? "-"));
    expect(await page.locator("body").textContent()).toContain("done");

    // The code the browser delivered is good at the token endpoint.
    const { status, body: tokens } = await redeemCode(`${stack.url}/oauth/token`, request, query.get("code") as string);
    expect(status, JSON.stringify(tokens)).toBe(200);
    expect(tokens.access_token).toBeTruthy();
  });
});

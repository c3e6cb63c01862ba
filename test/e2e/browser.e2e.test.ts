/// <reference types="node" />
// Sign-in in a real browser: headless Chromium (driven by playwright-core) clicks through
// pandgate's consent page and the dev IdP's login page, and lands on a client's loopback redirect.
// The landing and consent pages are checked for accessibility with axe-core, and the landing
// page with JavaScript off.
import { mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import path from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seriousAxeViolations } from "./axe";
import { chromiumForTests } from "./chromium";
import {
  ANNA,
  authorizationRequest,
  CONTOSO,
  freePort,
  listenOnLoopback,
  ROOT,
  redeemCode,
  registerPublicClient,
  type Stack,
  startStack,
} from "./stack";

const RESULTS = path.join(ROOT, "test-results");
/** The organisation the Worker under test names in its pages' header (ORG_NAME). */
const ORG_NAME = "Contoso Vastgoed";
/** The PUBLIC_URL of the second Worker: a deployment's public https origin (never contacted). */
const PUBLIC_HTTPS = "https://pandgate.contoso.example";

/** The widths WCAG 1.4.10 reflow is checked at: 320 CSS px (the criterion) and a common phone's 390. */
const NARROW_WIDTHS = [320, 390] as const;

interface SnippetBox {
  text: string;
  scrollWidth: number;
  clientWidth: number;
  overflowX: string;
  left: number;
  right: number;
}

/**
 * At each narrow width: the page does not scroll sideways, and every snippet (`pre`) lies inside
 * the viewport with its whole text either in view (it wraps) or reachable by scrolling its own box.
 * A full-page screenshot `${name}-${width}.png` is kept for each width.
 */
async function expectReflow(page: Page, name: string): Promise<void> {
  for (const width of NARROW_WIDTHS) {
    await page.setViewportSize({ width, height: 800 });
    const sizes = (await page.evaluate(
      "({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth })",
    )) as { scrollWidth: number; clientWidth: number };
    expect(sizes.clientWidth, `${name} at ${width}px`).toBe(width);
    expect(sizes.scrollWidth, `${name} at ${width}px scrolls sideways`).toBeLessThanOrEqual(sizes.clientWidth);
    const snippets = (await page.evaluate(`[...document.querySelectorAll("pre")].map((pre) => {
      const box = pre.getBoundingClientRect();
      return { text: pre.textContent, scrollWidth: pre.scrollWidth, clientWidth: pre.clientWidth, overflowX: getComputedStyle(pre).overflowX, left: box.left, right: box.right };
    })`)) as SnippetBox[];
    for (const snippet of snippets) {
      const what = `${name} at ${width}px, snippet ${JSON.stringify(snippet.text.slice(0, 60))}`;
      expect(snippet.left, what).toBeGreaterThanOrEqual(0);
      expect(snippet.right, what).toBeLessThanOrEqual(width);
      const inView = snippet.scrollWidth <= snippet.clientWidth;
      expect(inView || snippet.overflowX === "auto" || snippet.overflowX === "scroll", `${what}: cut off`).toBe(true);
    }
    await page.screenshot({ path: path.join(RESULTS, `${name}-${width}.png`), fullPage: true });
  }
}

/**
 * Selects each snippet as a person would (its whole contents), copies with the keyboard, and
 * returns what reached the clipboard beside the snippet's text.
 */
async function copiedSnippets(page: Page): Promise<Array<{ shown: string; copied: string }>> {
  const count = await page.locator("pre").count();
  const result: Array<{ shown: string; copied: string }> = [];
  for (let i = 0; i < count; i++) {
    const pre = page.locator("pre").nth(i);
    await pre.focus();
    await pre.evaluate((element) => {
      const selection = element.ownerDocument.getSelection();
      selection?.removeAllRanges();
      selection?.selectAllChildren(element);
    });
    await page.keyboard.press("Control+C");
    result.push({ shown: (await pre.textContent()) ?? "", copied: (await page.evaluate("navigator.clipboard.readText()")) as string });
  }
  return result;
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
  /** A Worker configured with a public https PUBLIC_URL, reached by the browser on its loopback port. */
  let publicStack: { stack: Stack; localUrl: string } | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let redirect: Awaited<ReturnType<typeof startRedirectServer>> | undefined;

  beforeAll(async () => {
    const chromiumFound = chromiumForTests();
    if ("reason" in chromiumFound) {
      skipReason = chromiumFound.reason;
      return;
    }
    chromiumPath = chromiumFound.path;
    stack = await startStack({ issuerTenant: CONTOSO, allowedTenantIds: [CONTOSO], vars: { ORG_NAME } });
    const publicPort = await freePort();
    publicStack = {
      stack: await startStack({ port: publicPort, publicUrl: PUBLIC_HTTPS, vars: { ORG_NAME } }),
      localUrl: `http://localhost:${publicPort}`,
    };
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
  }, 240_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    await browser?.close().catch(() => {});
    await redirect?.close();
    await stack?.stop();
    await publicStack?.stack.stop();
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

    const query = await within(redirect.received, 60_000, () => `no redirect reached the client; the page is at ${page.url()}`);
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

  // Three page loads, three axe runs and eight copies: more than the default minute on a busy machine.
  it("landing page: the connect guide passes axe, copies the URL under its CSP, and shows the URL without JavaScript", {
    timeout: 300_000,
  }, async (ctx) => {
    if (skipReason || !stack || !browser) {
      ctx.skip(skipReason ?? "the browser did not start");
      return;
    }
    await mkdir(RESULTS, { recursive: true });
    const origin = stack.url;
    const withJs = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
    try {
      const page = await withJs.newPage();
      const refused: string[] = [];
      page.on("console", (message) => {
        if (/Content Security Policy/i.test(message.text())) refused.push(message.text());
      });
      const res = await page.goto(`${origin}/`);
      expect(res?.status()).toBe(200);
      await expect.poll(() => page.locator("#copy-url").isVisible()).toBe(true);
      expect(await page.locator("header").textContent()).toContain(ORG_NAME);
      expect(await page.locator("#mcp-url").inputValue()).toBe(stack.mcpUrl);
      expect(await page.getByLabel("MCP server URL (Streamable HTTP)").inputValue()).toBe(stack.mcpUrl);
      expect(await page.locator("h1").textContent()).toBe("Connect to pandgate");
      expect(await page.locator("#vscode + p + pre").textContent()).toContain(stack.mcpUrl);
      await page.screenshot({ path: path.join(RESULTS, "landing.png"), fullPage: true });

      // The copy button: the script the CSP allows by its hash runs, and the URL reaches the clipboard.
      await page.locator("#copy-url").click();
      await expect.poll(() => page.locator("#copy-status").textContent()).toBe("Copied the server URL.");
      expect(await page.evaluate("navigator.clipboard.readText()")).toBe(stack.mcpUrl);
      expect(refused, "the page's own style sheet and script are allowed by its CSP").toEqual([]);

      const violations = await seriousAxeViolations(page);
      expect(violations, violations.join("\n")).toEqual([]);

      // On this computer's URL the page says hosted clients need a public https one.
      expect(await page.locator("#public-url-needed").isVisible()).toBe(true);
      // Narrow screens: no sideways scrolling, every snippet whole, the tools table stacked.
      await expectReflow(page, "landing-local");
      expect(
        await page.locator("tr#tool-Get_Audit_Log").evaluate((row) => row.ownerDocument.defaultView?.getComputedStyle(row).display),
      ).toBe("block");
      expect(await page.locator("tr#tool-Get_Audit_Log td[data-label='App role']").textContent()).toBe("Admin");
      const narrowViolations = await seriousAxeViolations(page);
      expect(narrowViolations, `at 320px:\n${narrowViolations.join("\n")}`).toEqual([]);
      // Each snippet copies whole, exactly as the server wrote it (wrapping adds no line breaks).
      const copies = await copiedSnippets(page);
      expect(copies.length).toBeGreaterThanOrEqual(8);
      for (const { shown, copied } of copies) expect(copied).toBe(shown);
      const inspectorCli = `npx -y -p node@22 -p @modelcontextprotocol/inspector@2.12.0 mcp-inspector --cli ${stack.mcpUrl} --transport http --method tools/list`;
      expect(copies.map((c) => c.copied)).toContain(inspectorCli);
      expect(copies.map((c) => c.copied)).toContain(`cloudflared tunnel --url ${stack.url}`);
    } finally {
      await withJs.close();
    }

    // A deployment's configuration (public https PUBLIC_URL): no warning, and the same reflow.
    if (publicStack) {
      const deployed = await browser.newContext();
      try {
        const page = await deployed.newPage();
        expect((await page.goto(`${publicStack.localUrl}/`))?.status()).toBe(200);
        expect(await page.locator("#mcp-url").inputValue()).toBe(`${PUBLIC_HTTPS}/mcp`);
        expect(await page.locator("#public-url-needed").count()).toBe(0);
        await expectReflow(page, "landing-public");
        const violations = await seriousAxeViolations(page);
        expect(violations, violations.join("\n")).toEqual([]);
      } finally {
        await deployed.close();
      }
    }

    // Without JavaScript: the URL is there as plain, selectable text; the button stays hidden.
    const noJs = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await noJs.newPage();
      expect((await page.goto(`${origin}/`))?.status()).toBe(200);
      expect(await page.locator("#mcp-url").inputValue()).toBe(stack.mcpUrl);
      expect(await page.locator("#mcp-url").isVisible()).toBe(true);
      expect(await page.locator("#copy-url").isVisible()).toBe(false);
      expect(await page.locator("#copy-hint").textContent()).toContain("Select the URL and copy it");
      await page.screenshot({ path: path.join(RESULTS, "landing-no-js.png"), fullPage: true });
    } finally {
      await noJs.close();
    }
  });

  it("consent page: passes axe, names the organisation, Allow and Deny unmistakable", async (ctx) => {
    if (skipReason || !stack || !browser || !redirect) {
      ctx.skip(skipReason ?? "the browser did not start");
      return;
    }
    const client = await registerPublicClient(stack.url, { client_name: "pandgate e2e (axe)", redirect_uris: [redirect.url] });
    const request = authorizationRequest(`${stack.url}/authorize`, {
      clientId: client.client_id,
      redirectUri: redirect.url,
      scope: "mcp:read mcp:write offline_access",
      resource: stack.mcpUrl,
    });
    const fresh = await browser.newContext();
    try {
      const page = await fresh.newPage();
      expect((await page.goto(request.url.href))?.status()).toBe(200);
      expect(await page.locator("header").textContent()).toContain(ORG_NAME);
      expect(await page.getByRole("button", { name: "Allow access" }).getAttribute("class")).toContain("button-primary");
      expect(await page.getByRole("button", { name: "Deny" }).getAttribute("class")).toContain("button-secondary");
      const violations = await seriousAxeViolations(page);
      expect(violations, violations.join("\n")).toEqual([]);
      // "Stay signed in" is ticked for this client, which registered the refresh-token grant.
      expect(await page.getByRole("checkbox", { name: /Stay signed in/ }).isChecked()).toBe(true);
      await expectReflow(page, "consent");
    } finally {
      await fresh.close();
    }
  });
});

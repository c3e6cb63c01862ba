/// <reference types="node" />
// The MCP Apps (src/mcp/apps.ts) in headless Chromium, with ext-apps' AppBridge as the host
// (test/e2e/apps-host/host.ts, in a page on loopback): each app is read as its ui:// resource from
// the local stack, put into a sandboxed iframe and fed real tool results from the same stack
// (Get_Property_Data and Quick_Assess_Property for synthetic addresses, Get_Portfolio_Result of a
// small finished job). Checks what each app shows against the result, sorts the dashboard's table
// by keyboard, runs axe-core (no serious or critical violations) in light and dark theme, and
// keeps a screenshot of each in test/e2e/artifacts/apps/ (git-ignored).
import { existsSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import type { AxeResults } from "axe-core";
import { build } from "esbuild";
import { type Browser, chromium, type Frame, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mcpCall, waitForJob } from "./portfolio-job";
import { ANNA, listenOnLoopback, ROOT, type Stack, signInForToken, startStack } from "./stack";

const ARTIFACTS = path.join(ROOT, "test", "e2e", "artifacts", "apps");
const CHROMIUM = "/usr/bin/chromium";
const PROPERTY_CARD = "ui://pandgate/property-card.html";
const DASHBOARD = "ui://pandgate/portfolio-dashboard.html";
/** Synthetic addresses (seed/seed.sql): a rijksmonument, and a dwelling with label, value and neighbourhood. */
const MONUMENT = "0307209000001001";
const DWELLING = "0307209000000011";

let stack: Stack;
let token: string;
let browser: Browser;
let page: Page;
let host: Server;
let hostUrl: string;
const apps = new Map<string, string>();
const results = new Map<string, { content: unknown; structuredContent: Record<string, unknown> }>();

/** A JSON-RPC request to the stack's /mcp (2025-11-25, stateless), its result. */
async function rpc(method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await fetch(stack.mcpUrl, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-11-25",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const text = await res.text();
  const data = text.startsWith("{") ? text : (text.split("\n").find((l) => l.startsWith("data: ")) ?? "").slice(6);
  const message = JSON.parse(data) as { result?: Record<string, unknown>; error?: unknown };
  if (!message.result) throw new Error(`${method}: ${data.slice(0, 300)}`);
  return message.result;
}

async function toolResult(name: string, args: Record<string, unknown>) {
  const result = (await rpc("tools/call", { name, arguments: args })) as {
    content: unknown;
    structuredContent: Record<string, unknown>;
    isError?: boolean;
  };
  if (result.isError) throw new Error(`${name}: ${JSON.stringify(result.content)}`);
  return result;
}

beforeAll(async () => {
  await rm(ARTIFACTS, { recursive: true, force: true });
  await mkdir(ARTIFACTS, { recursive: true });
  stack = await startStack();
  ({ accessToken: token } = await signInForToken(stack, ANNA, "mcp:read mcp:write"));
  for (const uri of [PROPERTY_CARD, DASHBOARD]) {
    const { contents } = (await rpc("resources/read", { uri })) as { contents: Array<{ text: string; mimeType: string }> };
    expect(contents[0]?.mimeType).toBe("text/html;profile=mcp-app");
    apps.set(uri, contents[0]?.text ?? "");
  }
  results.set("Get_Property_Data", await toolResult("Get_Property_Data", { addressId: MONUMENT }));
  results.set("Quick_Assess_Property", await toolResult("Quick_Assess_Property", { addressId: DWELLING }));
  // A small job: two addresses that are assessed and one BAG id of no address (a failure).
  const job = await mcpCall(stack, token, "Assess_Portfolio", {
    addresses: [{ addressId: MONUMENT }, { addressId: DWELLING }, { addressId: "0307209099999999" }],
  });
  await waitForJob(stack, token, String(job.jobId), (s) => s.state !== "running");
  results.set("Get_Portfolio_Result", await toolResult("Get_Portfolio_Result", { jobId: job.jobId }));

  // The host page: AppBridge bundled for the browser, served on a free loopback port.
  const bundle = await build({
    entryPoints: [path.join(ROOT, "test", "e2e", "apps-host", "host.ts")],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    logLevel: "error",
  });
  const script = bundle.outputFiles[0]?.text ?? "";
  host = createServer((req, res) => {
    if (req.url === "/host.js") res.writeHead(200, { "content-type": "text/javascript" }).end(script);
    else
      res
        .writeHead(200, { "content-type": "text/html; charset=utf-8" })
        .end('<!doctype html><html lang="en"><head><title>Test host</title></head><body><script src="/host.js"></script></body></html>');
  });
  hostUrl = `http://127.0.0.1:${await listenOnLoopback(host)}/`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  page = await browser.newPage({ viewport: { width: 900, height: 800 } });
  await page.goto(hostUrl);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (host ? host.close(resolve) : resolve(undefined)));
  await stack?.stop();
});

/** Shows `uri`'s app with the result of `tool` in `theme`; the app's frame once it has rendered. */
async function show(uri: string, tool: string, theme: "light" | "dark"): Promise<Frame> {
  await page.emulateMedia({ colorScheme: theme });
  const html = apps.get(uri) as string;
  // The host page's window.showApp (test/e2e/apps-host/host.ts), called in the page.
  await page.evaluate(
    ([h, r, t]) => (globalThis as unknown as { showApp(html: string, result: unknown, theme: string): Promise<void> }).showApp(h, r, t),
    [html, results.get(tool), theme] as [string, unknown, string],
  );
  const frame = await (await page.waitForSelector("#app-frame")).contentFrame();
  if (!frame) throw new Error("no app frame");
  await frame.waitForSelector('body[data-rendered="true"]');
  expect(await frame.evaluate('document.documentElement.getAttribute("data-theme")')).toBe(theme);
  return frame;
}

async function seriousAxeViolations(frame: Frame): Promise<string[]> {
  const source = await readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
  await frame.evaluate(source);
  const results = (await frame.evaluate(
    "axe.run(document, { resultTypes: ['violations'], runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } })",
  )) as AxeResults;
  expect(results.passes.length, "axe checked some rules").toBeGreaterThan(10);
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

async function screenshot(name: string): Promise<void> {
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.locator("#app-frame").screenshot({ path: file });
  expect(existsSync(file), file).toBe(true);
}

const text = (frame: Frame) => frame.evaluate("document.body.innerText") as Promise<string>;

describe.each(["light", "dark"] as const)("MCP Apps in Chromium, %s theme", (theme) => {
  it("the property card shows Get_Property_Data's facts and sources", async () => {
    const frame = await show(PROPERTY_CARD, "Get_Property_Data", theme);
    const r = results.get("Get_Property_Data")?.structuredContent as {
      address: { label: string; addressId: string };
      unit: { surfaceM2: number; usePurposes: string[] };
      buildYear: number;
      parcel: { id: string; areaM2: number };
      monument: { number: number };
      sources: Array<{ register: string; retrievedAt: string }>;
    };
    expect(await frame.locator("h1").innerText()).toBe(r.address.label);
    const shown = await text(frame);
    for (const fact of [
      r.address.addressId,
      `${r.unit.surfaceM2} m²`,
      r.unit.usePurposes[0] as string,
      String(r.buildYear),
      r.parcel.id,
      `${r.parcel.areaM2} m²`,
      String(r.monument.number),
    ])
      expect(shown).toContain(fact);
    for (const s of r.sources) expect(shown).toContain(`${s.register} (synthetic, as of ${s.retrievedAt.slice(0, 10)})`);
    expect(shown).toContain("Quick_Assess_Property gives them");
    expect(await seriousAxeViolations(frame)).toEqual([]);
    await screenshot(`property-card-data-${theme}`);
  });

  it("the property card shows Quick_Assess_Property's label, value range against the neighbourhood, risks and factor sources", async () => {
    const frame = await show(PROPERTY_CARD, "Quick_Assess_Property", theme);
    const r = results.get("Quick_Assess_Property")?.structuredContent as {
      address: { label: string };
      value: {
        low: number;
        high: number;
        mid: number;
        factors: Array<{ source: string; period: string }>;
        neighbourhoodCheck: { ratio: number };
      };
      energy: { label: string; validUntil: string };
      neighbourhoodContext: { name: string };
      risks: Array<{ evidence: string }>;
    };
    expect(await frame.locator("h1").innerText()).toBe(r.address.label);
    const eur = (n: number) => new Intl.NumberFormat("en-GB", { style: "currency", currency: "EUR", maximumFractionDigits: 0 }).format(n);
    const shown = await text(frame);
    expect(shown).toContain(`${eur(r.value.low)} – ${eur(r.value.high)}`);
    expect(shown).toContain(`Midpoint ${eur(r.value.mid)}`);
    expect(shown).toContain(`midpoint ${r.value.neighbourhoodCheck.ratio} × the buurt's average WOZ`);
    expect(shown).toContain(`Buurt ${r.neighbourhoodContext.name}`);
    expect(await frame.locator(".label-letter").innerText()).toBe(r.energy.label);
    expect(shown).toContain(`valid until ${r.energy.validUntil.slice(0, 10)}`);
    for (const f of r.value.factors) expect(shown).toContain(`Source: ${f.source}, ${f.period}.`);
    for (const risk of r.risks) expect(shown).toContain(risk.evidence);
    expect(await seriousAxeViolations(frame)).toEqual([]);
    await screenshot(`property-card-assessment-${theme}`);
  });

  it("the portfolio dashboard shows the job's counts and failures, and its table sorts by keyboard", async () => {
    const frame = await show(DASHBOARD, "Get_Portfolio_Result", theme);
    const r = results.get("Get_Portfolio_Result")?.structuredContent as {
      jobId: string;
      assessed: number;
      total: number;
      labelCounts: Record<string, number>;
      valueBands: Record<string, number>;
      riskCounts: Record<string, number>;
      failures: Array<{ input: string; reason: string }>;
    };
    expect(r.assessed).toBe(2);
    expect(r.failures).toHaveLength(1);
    const shown = await text(frame);
    expect(shown).toContain(`Job ${r.jobId}`);
    expect(shown).toContain(`${r.assessed} of ${r.total} assessed`);
    for (const [label, n] of Object.entries(r.labelCounts)) expect(shown).toMatch(new RegExp(`${label}\\s+${n} \\(`));
    for (const band of Object.keys(r.valueBands)) expect(shown).toContain(band);
    expect(shown).toContain(r.failures[0]?.reason as string);

    const counts = () =>
      frame.evaluate(
        '[...document.querySelectorAll("table.sortable tbody tr")].map((row) => Number(row.children[2].textContent))',
      ) as Promise<number[]>;
    const all = [...Object.values(r.labelCounts), ...Object.values(r.valueBands), ...Object.values(r.riskCounts)];
    expect(await counts()).toEqual(all);
    // Tab to the Count column's button and sort with Enter (ascending), then Space (descending).
    const button = frame.locator('button[data-sort="count"]');
    await button.focus();
    await page.keyboard.press("Enter");
    expect(await frame.locator("th:has(button[data-sort=count])").getAttribute("aria-sort")).toBe("ascending");
    expect(await counts()).toEqual([...all].sort((a, b) => a - b));
    await page.keyboard.press("Space");
    expect(await frame.locator("th:has(button[data-sort=count])").getAttribute("aria-sort")).toBe("descending");
    expect(await counts()).toEqual([...all].sort((a, b) => b - a));
    expect(await frame.evaluate('document.activeElement?.getAttribute("data-sort")')).toBe("count");
    expect(await seriousAxeViolations(frame)).toEqual([]);
    await screenshot(`portfolio-dashboard-${theme}`);
  });
});

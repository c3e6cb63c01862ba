/// <reference types="node" />
// The MCP Apps (src/mcp/apps.ts) in headless Chromium, with ext-apps' AppBridge as the host
// (test/e2e/apps-host/host.ts, in a page on loopback): each app is read as its ui:// resource from
// the local stack, put into a sandboxed iframe and fed real tool results from the same stack
// (Get_Property_Data and Quick_Assess_Property for synthetic addresses, Get_Portfolio_Result of a
// small finished job), and live answers from the golden files (test/golden/answers/live/). Checks
// what each app shows against the result (unknown facts with the answer's reasons, sources and
// periods as given), that the host's frame is as tall as the app's document (nothing clipped),
// that links reach the host's ui/open-link with their URL, that the dashboard's table sorts by mouse
// and keyboard and says so with aria-sort, runs axe-core (no serious or critical violations) in
// light and dark theme, and keeps a screenshot of each in test/e2e/artifacts/apps/ (git-ignored).
import { existsSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import path from "node:path";
import { build } from "esbuild";
import { type Browser, chromium, type Frame, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SECTOR_WORDS } from "../../src/jobs/summary";
import { seriousAxeViolations } from "./axe";
import { chromiumForTests } from "./chromium";
import { mcpCall, waitForJob } from "./portfolio-job";
import { ANNA, listenOnLoopback, postRpc, ROOT, type Stack, signInForToken, startStack } from "./stack";

const ARTIFACTS = path.join(ROOT, "test", "e2e", "artifacts", "apps");
const CHROMIUM = chromiumForTests();
const PROPERTY_CARD = "ui://pandgate/property-card.html";
const DASHBOARD = "ui://pandgate/portfolio-dashboard.html";
/** Synthetic addresses (seed/seed.sql): a rijksmonument, and a dwelling with label, value and neighbourhood. */
const MONUMENT = "0307209000001001";
const DWELLING = "0307209000000011";
/** Live answers as recorded in the golden files: the structured content of one tool answer. */
const LIVE = path.join(ROOT, "test", "golden", "answers", "live");
const LIVE_ANSWERS = {
  "live Get_Property_Data": "complete-dwelling/04-Get_Property_Data.md",
  "live Quick_Assess_Property, registers down": "degraded-cbs-down-ep-online-throttled/08-Quick_Assess_Property.md",
  "live Quick_Assess_Property, older answers": "stale-cbs-down-ep-online-throttled/08-Quick_Assess_Property.md",
} as const;

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
  const { message } = await postRpc(stack, token, 1, method, params);
  if (!message.result) throw new Error(`${method}: ${JSON.stringify(message).slice(0, 300)}`);
  return message.result as Record<string, unknown>;
}

/** A golden answer file's text content and structured content (its "Structured content:" JSON block). */
async function goldenResult(file: string) {
  const md = await readFile(path.join(LIVE, file), "utf8");
  const text = /Text content:\s*````text\n([\s\S]*?)\n````/.exec(md)?.[1];
  const json = /Structured content:\s*```json\n([\s\S]*?)\n```/.exec(md)?.[1];
  if (text === undefined || json === undefined) throw new Error(`${file}: no text or structured content block`);
  return { content: [{ type: "text", text }], structuredContent: JSON.parse(json) as Record<string, unknown> };
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
  if (!("path" in CHROMIUM)) return;
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
  for (const [key, file] of Object.entries(LIVE_ANSWERS)) results.set(key, await goldenResult(file));

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
  browser = await chromium.launch({ executablePath: CHROMIUM.path, args: ["--no-sandbox"] });
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

/**
 * Nothing of the app is clipped: once the app has reported its size, the frame's height as the host
 * bridge set it (from ui/notifications/size-changed) is at least the document's scroll height inside
 * the frame, and nothing is wider than the frame (a horizontal scroll bar would cover the last line).
 */
async function expectNothingClipped(frame: Frame): Promise<void> {
  const sizes = async () => {
    const [reported, frameHeight] = (await page.evaluate(
      '[window.reportedHeights.length, parseFloat(document.getElementById("app-frame").style.height)]',
    )) as [number, number];
    const inner = (await frame.evaluate(
      "({ scrollHeight: document.documentElement.scrollHeight, scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth })",
    )) as { scrollHeight: number; scrollWidth: number; clientWidth: number };
    return { reported, frameHeight, ...inner };
  };
  // The app reports its size after a layout (ResizeObserver, then a message): wait for the host to have it.
  await expect
    .poll(async () => {
      const s = await sizes();
      return s.reported > 0 && s.frameHeight >= s.scrollHeight;
    })
    .toBe(true);
  const s = await sizes();
  expect(s.frameHeight, JSON.stringify(s)).toBeGreaterThanOrEqual(s.scrollHeight);
  expect(s.scrollWidth, JSON.stringify(s)).toBeLessThanOrEqual(s.clientWidth);
}

async function screenshot(name: string): Promise<void> {
  const file = path.join(ARTIFACTS, `${name}.png`);
  // Chromium paints a frame only so far beyond the page's viewport: a frame taller than the viewport
  // (or scrolled past, after tabbing to a link far down) would be cut off in the picture though not
  // on screen. The page goes back to its top and the viewport grows to hold the whole frame.
  await page.evaluate("window.scrollTo(0, 0)");
  const box = (await page.evaluate(
    '(({ top, height }) => ({ top, height }))(document.getElementById("app-frame").getBoundingClientRect())',
  )) as { top: number; height: number };
  const viewport = page.viewportSize() ?? { width: 900, height: 800 };
  const needed = Math.ceil(box.top + box.height) + 16;
  if (needed > viewport.height) await page.setViewportSize({ width: viewport.width, height: needed });
  await page.locator("#app-frame").screenshot({ path: file });
  await page.setViewportSize(viewport);
  expect(existsSync(file), file).toBe(true);
}

/** From the app's heading, Tabs (real key presses) until `selector` has the focus, then presses `key` there. */
async function tabTo(frame: Frame, selector: string, key: "Enter" | "Space"): Promise<void> {
  await frame.locator("h1").click();
  for (let i = 0; i < 50; i++) {
    await page.keyboard.press("Tab");
    if ((await frame.evaluate(`document.activeElement?.matches(${JSON.stringify(selector)}) ?? false`)) as boolean) {
      await page.keyboard.press(key);
      return;
    }
  }
  throw new Error(`Tab never reached ${selector}`);
}

const openedLinks = () => page.evaluate("window.openedLinks") as Promise<string[]>;

/** A live source as the answers' text gives it: register and when it was retrieved (UTC, to the minute). */
const retrieved = (s: { register: string; retrievedAt: string }) =>
  `${s.register} (retrieved ${s.retrievedAt.slice(0, 10)} ${s.retrievedAt.slice(11, 16)} UTC)`;

const text = (frame: Frame) => frame.evaluate("document.body.innerText") as Promise<string>;

if (!("path" in CHROMIUM)) console.warn(`Skipping the MCP Apps browser tests: ${CHROMIUM.reason}`);

describe.skipIf(!("path" in CHROMIUM)).each(["light", "dark"] as const)("MCP Apps in Chromium, %s theme", (theme) => {
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
    expect(await frame.locator("h1").textContent()).toBe(r.address.label);
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
    await expectNothingClipped(frame);
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
    expect(await frame.locator("h1").textContent()).toBe(r.address.label);
    const eur = (n: number) => new Intl.NumberFormat("en-GB", { style: "currency", currency: "EUR", maximumFractionDigits: 0 }).format(n);
    const shown = await text(frame);
    expect(shown).toContain(`${eur(r.value.low)} – ${eur(r.value.high)}`);
    expect(shown).toContain(`Midpoint ${eur(r.value.mid)}`);
    expect(shown).toContain(`midpoint ${r.value.neighbourhoodCheck.ratio} × the buurt's average WOZ`);
    expect(shown).toContain(`Buurt ${r.neighbourhoodContext.name}`);
    expect(await frame.locator(".label-letter").textContent()).toBe(r.energy.label);
    expect(shown).toContain(`valid until ${r.energy.validUntil.slice(0, 10)}`);
    for (const f of r.value.factors) expect(shown).toContain(`Source: ${f.source}, ${f.period}.`);
    for (const risk of r.risks) expect(shown).toContain(risk.evidence);
    expect(await seriousAxeViolations(frame)).toEqual([]);
    await expectNothingClipped(frame);
    await screenshot(`property-card-assessment-${theme}`);
  });

  it("the portfolio dashboard shows the job's counts and failures with numbers as text, its table sorts by mouse and keyboard, its links open through the host", async () => {
    const frame = await show(DASHBOARD, "Get_Portfolio_Result", theme);
    const r = results.get("Get_Portfolio_Result")?.structuredContent as {
      jobId: string;
      assessed: number;
      total: number;
      labelCounts: Record<string, number>;
      valueBands: Record<string, number>;
      riskCounts: Record<string, number>;
      sectorCounts: Record<string, number> & { mostLikely: Record<string, number> };
      failures: Array<{ input: string; reason: string }>;
      downloads: { xlsx: string; csv: string } | null;
    };
    expect(r.assessed).toBe(2);
    expect(r.failures).toHaveLength(1);
    const shown = await text(frame);
    expect(shown).toContain(`Job ${r.jobId}`);
    expect(shown).toContain(`${r.assessed} of ${r.total} assessed`);
    for (const [label, n] of Object.entries(r.labelCounts)) expect(shown).toMatch(new RegExp(`${label}\\s+${n} \\(`));
    for (const band of Object.keys(r.valueBands)) expect(shown).toContain(band);
    expect(shown).toContain(r.failures[0]?.reason as string);

    // Every bar's number is text a screen reader reads with its name; the bar itself is hidden from it.
    for (const [id, counts] of [
      ["h-labels", r.labelCounts],
      ["h-values", r.valueBands],
      [
        "h-sectors",
        Object.fromEntries(
          Object.entries(SECTOR_WORDS).map(([k, words]) => [words, r.sectorCounts[k as keyof typeof SECTOR_WORDS] as number]),
        ),
      ],
      ["h-sectors-likely", r.sectorCounts.mostLikely],
    ] as const) {
      const items = (await frame
        .locator(`section[aria-labelledby="${id}"] ul.bars > li`)
        .evaluateAll((lis) =>
          lis.map((li) => [...li.children].filter((c) => c.getAttribute("aria-hidden") !== "true").map((c) => c.textContent)),
        )) as string[][];
      expect(items).toEqual(Object.entries(counts).map(([name, n]) => [name, `${n} (${Math.round((100 * n) / r.assessed)} %)`]));
      expect(
        await frame.locator(`section[aria-labelledby="${id}"] .bar`).evaluateAll((bars) => bars.map((b) => b.getAttribute("aria-hidden"))),
      ).toEqual(Object.keys(counts).map(() => "true"));
    }
    // Each table says what it holds in its caption.
    expect(await frame.locator("table.sortable caption").textContent()).toMatch(/^Counts by energy label, value band and risk flag\./);
    expect(await frame.locator('section[aria-labelledby="h-failures"] table caption').textContent()).toBe("1 failed address(es)");

    const column = (i: number) =>
      frame.locator("table.sortable tbody tr").evaluateAll((rows, n) => rows.map((row) => row.children[n]?.textContent ?? ""), i);
    const counts = async () => (await column(2)).map(Number);
    const sortOf = (key: string) => frame.locator(`th:has(button[data-sort="${key}"])`).getAttribute("aria-sort");
    const status = () => frame.locator('[role="status"]').textContent();
    const all = [...Object.values(r.labelCounts), ...Object.values(r.valueBands), ...Object.values(r.riskCounts)];
    const allItems = [...Object.keys(r.labelCounts), ...Object.keys(r.valueBands), ...Object.keys(r.riskCounts)];
    expect(all.length, "enough rows to see a sort").toBeGreaterThan(3);
    // As given until sorted, and no header claims a sort.
    expect(await counts()).toEqual(all);
    expect(await frame.locator("table.sortable th[aria-sort]").count()).toBe(0);
    // Mouse: Item sorts A to Z, again Z to A; only the sorted column says aria-sort; the change is announced.
    const byItem = (a: string, b: string) => a.localeCompare(b, "en", { numeric: true });
    await frame.locator('button[data-sort="item"]').click();
    expect(await sortOf("item")).toBe("ascending");
    expect(await column(1)).toEqual([...allItems].sort(byItem));
    expect(await status()).toBe("Sorted by Item, ascending.");
    await frame.locator('button[data-sort="item"]').click();
    expect(await sortOf("item")).toBe("descending");
    expect(await column(1)).toEqual([...allItems].sort((a, b) => byItem(b, a)));
    expect(await status()).toBe("Sorted by Item, descending.");
    expect(await frame.locator("table.sortable th[aria-sort]").count()).toBe(1);
    // Keyboard: Tab to the Count column's button and sort with Enter (ascending), then Space (descending).
    await tabTo(frame, 'button[data-sort="count"]', "Enter");
    expect(await sortOf("count")).toBe("ascending");
    expect(await sortOf("item")).toBeNull();
    expect(await counts()).toEqual([...all].sort((a, b) => a - b));
    expect(await status()).toBe("Sorted by Count, ascending.");
    await page.keyboard.press("Space");
    expect(await sortOf("count")).toBe("descending");
    expect(await counts()).toEqual([...all].sort((a, b) => b - a));
    expect(await frame.evaluate('document.activeElement?.getAttribute("data-sort")')).toBe("count");

    // The spreadsheet links open through the host (ui/open-link), by keyboard, with the result's URLs.
    const downloads = r.downloads as { xlsx: string; csv: string };
    expect(await openedLinks()).toEqual([]);
    await tabTo(frame, 'section[aria-labelledby="h-downloads"] a', "Enter");
    await expect.poll(openedLinks).toEqual([downloads.xlsx]);
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await expect.poll(openedLinks).toEqual([downloads.xlsx, downloads.csv]);
    expect(await seriousAxeViolations(frame)).toEqual([]);
    await expectNothingClipped(frame);
    await screenshot(`portfolio-dashboard-${theme}`);
  });

  it("the property card shows a live Get_Property_Data answer's sources, and its register link opens through the host by keyboard", async () => {
    const frame = await show(PROPERTY_CARD, "live Get_Property_Data", theme);
    const r = results.get("live Get_Property_Data")?.structuredContent as {
      address: { label: string };
      parcel: { id: string; source: { register: string } };
      monument: { number: number; url: string; source: { register: string } };
      sources: Array<{ register: string; retrievedAt: string }>;
    };
    expect(await frame.locator("h1").textContent()).toBe(r.address.label);
    const shown = await text(frame);
    expect(shown).toContain(`${r.parcel.id}: `);
    expect(shown).toContain(`source ${r.parcel.source.register}`);
    expect(shown).toContain(`Number ${r.monument.number}; source ${r.monument.source.register}`);
    expect(shown).not.toContain("ynthetic");
    expect(await frame.locator('section[aria-labelledby="h-sources"] li').allInnerTexts()).toEqual(r.sources.map(retrieved));
    expect(await openedLinks()).toEqual([]);
    await tabTo(frame, "a[href]", "Enter");
    await expect.poll(openedLinks).toEqual([r.monument.url]);
    expect(await seriousAxeViolations(frame)).toEqual([]);
    await expectNothingClipped(frame);
    await screenshot(`property-card-live-data-${theme}`);
  });

  it("the property card shows a live assessment whose registers failed: unknown with the answer's reasons, no made-up value, sources as given", async () => {
    const key = "live Quick_Assess_Property, registers down";
    const frame = await show(PROPERTY_CARD, key, theme);
    const answer = results.get(key) as { content: Array<{ text: string }>; structuredContent: Record<string, unknown> };
    const r = answer.structuredContent as {
      value: null;
      valueUnavailableReason: string;
      energy: { label: null; status: string };
      neighbourhoodContext: null;
      registerGaps: Array<{ fields: string[]; reason: string; stale: null }>;
      dataGaps: string[];
      sources: Array<{ register: string; retrievedAt: string }>;
    };
    const answerText = answer.content[0]?.text ?? "";
    const reasonFor = (field: string) => r.registerGaps.find((g) => g.fields.includes(field))?.reason as string;
    expect([r.value, r.energy.label, r.neighbourhoodContext, r.energy.status]).toEqual([null, null, null, "unknown"]);
    const dd = (term: string) => frame.locator(`dt:text-is("${term}") + dd`).textContent();
    // Each unknown fact says "unknown" and the answer's reason for it, and nothing stands in for it.
    expect(await frame.locator('section[aria-labelledby="h-value"] p').first().textContent()).toBe(`unknown: ${r.valueUnavailableReason}`);
    expect(await dd("Neighbourhood")).toBe(`unknown: ${reasonFor("neighbourhood")}`);
    expect(await frame.locator('section[aria-labelledby="h-energy"] p').textContent()).toBe(`unknown: ${reasonFor("labels")}`);
    expect(await frame.locator(".label-letter").count()).toBe(0);
    const shown = await text(frame);
    expect(shown).not.toMatch(/€|\d\s*%|EP2|valid until/);
    expect(shown).not.toContain("ynthetic");
    // What is missing: the answer's own sentences, each once, as its text says them.
    const gaps = await frame.locator('section[aria-labelledby="h-gaps"] li').allInnerTexts();
    expect(gaps).toEqual(r.dataGaps);
    for (const g of gaps) expect(answerText).toContain(`- ${g}`);
    // Sources with when each was retrieved, as the answer's text gives them.
    const sources = await frame.locator('section[aria-labelledby="h-sources"] li').allInnerTexts();
    expect(sources).toEqual(r.sources.map(retrieved));
    expect(answerText).toContain(`Sources: ${sources.join("; ")}`);
    expect(await seriousAxeViolations(frame)).toEqual([]);
    await expectNothingClipped(frame);
    await screenshot(`property-card-live-unknown-${theme}`);
  });

  it("the property card shows a live assessment on older cached answers: each named stale with its date, factor sources and periods as given", async () => {
    const key = "live Quick_Assess_Property, older answers";
    const frame = await show(PROPERTY_CARD, key, theme);
    const answer = results.get(key) as { content: Array<{ text: string }>; structuredContent: Record<string, unknown> };
    const r = answer.structuredContent as {
      value: { basis: { eurPerM2Source: string }; factors: Array<{ source: string; period: string }> };
      energy: { label: string };
      registerGaps: Array<{ stale: { retrievedAt: string } | null }>;
      dataGaps: string[];
      sources: Array<{ register: string; retrievedAt: string }>;
    };
    expect(r.registerGaps.length).toBeGreaterThan(0);
    expect(r.registerGaps.every((g) => g.stale !== null)).toBe(true);
    const gaps = await frame.locator('section[aria-labelledby="h-gaps"] li').allInnerTexts();
    expect(gaps).toEqual(r.dataGaps);
    for (const g of r.registerGaps) expect(gaps.join("\n")).toContain(`as retrieved on ${g.stale?.retrievedAt.slice(0, 10)} (stale)`);
    expect(await frame.locator(".label-letter").textContent()).toBe(r.energy.label);
    expect(await frame.locator('dt:text-is("Value per m²") + dd').textContent()).toBe(r.value.basis.eurPerM2Source);
    const shown = await text(frame);
    for (const f of r.value.factors) expect(shown).toContain(`Source: ${f.source}, ${f.period}.`);
    const sources = await frame.locator('section[aria-labelledby="h-sources"] li').allInnerTexts();
    expect(sources).toEqual(r.sources.map(retrieved));
    expect(answer.content[0]?.text).toContain(`Sources: ${sources.join("; ")}`);
    expect(await seriousAxeViolations(frame)).toEqual([]);
    await expectNothingClipped(frame);
    await screenshot(`property-card-live-stale-${theme}`);
  });
});

/// <reference types="node" />
// axe-core in the e2e browser tests (browser.e2e.test.ts for pandgate's pages, apps.e2e.test.ts for
// the MCP Apps in their host frame): one run, the same rules, the same reading of its result.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { AxeResults } from "axe-core";
import type { Frame, Page } from "playwright-core";
import { expect } from "vitest";

/**
 * axe-core's accessibility problems on `target` (a page, or a frame in one) with impact serious or
 * critical, one line each. axe's source is evaluated through the DevTools protocol, which the
 * page's CSP does not govern (a `<script>` tag would be refused, as it should be).
 */
export async function seriousAxeViolations(target: Page | Frame): Promise<string[]> {
  const source = await readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
  await target.evaluate(source);
  const results = (await target.evaluate(
    "axe.run(document, { resultTypes: ['violations'], runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } })",
  )) as AxeResults;
  // A run that checked nothing would pass as well: make sure the rules ran on this page.
  expect(results.passes.length, "axe checked some rules").toBeGreaterThan(10);
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

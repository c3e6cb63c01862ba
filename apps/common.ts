// Shared by the MCP Apps (ui:// resources, src/mcp/apps.ts): connecting to the host through the
// ext-apps App runtime, following the host's theme, and small DOM helpers. Every value is put into
// the page as text (never as HTML), so nothing a register returns can become markup.
export { describeGap, type Gap } from "./gaps";

import { App, applyDocumentTheme, applyHostFonts, applyHostStyleVariables, type McpUiHostContext } from "@modelcontextprotocol/ext-apps";

export interface ToolResultLike {
  structuredContent?: Record<string, unknown>;
  content?: Array<{ type: string; text?: string }>;
  isError?: boolean;
}

/**
 * Connects to the host and calls `render` with each tool result it sends. Until one arrives the
 * page says it is waiting; a result without structured content (an error) shows its text.
 */
export function startApp(name: string, render: (structured: Record<string, unknown>, root: HTMLElement) => void): void {
  const root = document.getElementById("app") as HTMLElement;
  const app = new App({ name, version: "1.0.0" }, {}, { autoResize: true });
  const applyContext = (ctx: McpUiHostContext | undefined) => {
    if (ctx?.theme) applyDocumentTheme(ctx.theme);
    if (ctx?.styles?.variables) applyHostStyleVariables(ctx.styles.variables);
    if (ctx?.styles?.css?.fonts) applyHostFonts(ctx.styles.css.fonts);
  };
  app.onhostcontextchanged = (ctx) => applyContext({ ...app.getHostContext(), ...ctx });
  app.ontoolresult = (result) => {
    const r = result as ToolResultLike;
    root.replaceChildren();
    if (r.isError || !r.structuredContent) {
      const text = (r.content ?? []).map((c) => c.text ?? "").join("\n") || "The tool gave no result.";
      root.append(el("p", { role: "alert" }, text));
    } else render(r.structuredContent, root);
    root.setAttribute("aria-busy", "false");
    document.body.dataset.rendered = "true";
  };
  // Links open through the host (a sandboxed app may not open windows itself).
  document.addEventListener("click", (event) => {
    const link = (event.target as Element | null)?.closest?.("a[href]") as HTMLAnchorElement | null;
    if (!link) return;
    event.preventDefault();
    app.openLink({ url: link.href }).catch(() => {});
  });
  app.connect().then(
    () => applyContext(app.getHostContext()),
    () => root.replaceChildren(el("p", { role: "alert" }, "Could not connect to the host.")),
  );
}

type Child = Node | string | null | undefined | false;

/** An element with attributes and children; strings become text nodes. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

/** A definition list of facts: term → description (text or nodes). */
export function facts(rows: Array<[string, Child | Child[]]>): HTMLDListElement {
  const dl = el("dl", { class: "facts" });
  for (const [term, value] of rows) dl.append(el("dt", {}, term), el("dd", {}, ...(Array.isArray(value) ? value : [value])));
  return dl;
}

export function section(title: string, id: string, ...children: Child[]): HTMLElement {
  return el("section", { "aria-labelledby": id }, el("h2", { id }, title), ...children);
}

/** "unknown", marked as such (in words, not by colour alone). */
export function unknown(reason?: string | null): HTMLElement {
  return el("span", { class: "unknown" }, reason ? `unknown: ${reason}` : "unknown");
}

const EUR = new Intl.NumberFormat("en-GB", { style: "currency", currency: "EUR", maximumFractionDigits: 0 });
export const eur = (n: number): string => EUR.format(n);

/** An ISO time as "2026-11-02 09:33 UTC" (what the text answers say). */
export function utc(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

export interface Source {
  register: string;
  retrievedAt: string;
  synthetic: boolean;
}

/** A list of sources: register and when it was retrieved (synthetic data says so). */
export function sourceList(sources: Source[]): HTMLElement {
  if (sources.length === 0) return el("p", {}, "No sources named.");
  return el(
    "ul",
    { class: "sources" },
    ...sources.map((s) =>
      el(
        "li",
        {},
        `${s.register} (${s.synthetic ? "synthetic, as of" : "retrieved"} ${s.synthetic ? s.retrievedAt.slice(0, 10) : utc(s.retrievedAt)})`,
      ),
    ),
  );
}

/**
 * Tool-call examples in the documentation, in one machine-readable form, so a test can run every
 * one of them as written (test/doc-examples.test.ts).
 *
 * The convention: a fenced block whose info string is `json mcp-example`, in README.md or any
 * docs/**\/*.md file. It holds one JSON object, or several, one per line:
 *
 *   {"tool": "Search_Addresses", "arguments": {"query": "3817AC 1"}, "expect": {"structured": {"total": 1}}}
 *
 * - `tool` (or `name`, as in MCP's tools/call params): the tool's name. Required.
 * - `arguments`: the arguments exactly as a client sends them. Default {}.
 * - `expect` (optional): what the documentation promises. `isError` (default false); `text`, strings
 *   the text content must contain; `structured`, a partial object the structured content must
 *   match (objects by the keys given, arrays element by element from the first).
 * - A string argument `"{{Tool_Name.path}}"` stands for a value another tool returns: the first
 *   example of `Tool_Name` is run afresh for it and `path` (dot-separated keys, numbers index
 *   arrays) is read from its structured content, e.g. `"{{Quick_Assess_Property.assessmentId}}"`.
 */
export interface DocExample {
  /** Where it was written: file and line, for the failure message. */
  at: string;
  tool: string;
  arguments: Record<string, unknown>;
  expect: { isError: boolean; text: string[]; structured?: unknown };
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*json\s+mcp-example\s*$/;

/** Every example in one Markdown file. Throws, naming the line, on a block that breaks the convention. */
export function examplesIn(file: string, markdown: string): DocExample[] {
  const lines = markdown.split("\n");
  const out: DocExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] as string);
    if (!open) continue;
    const fence = open[2] as string;
    const body: Array<{ line: number; text: string }> = [];
    let j = i + 1;
    for (; j < lines.length && !(lines[j] as string).trim().startsWith(fence); j++) body.push({ line: j + 1, text: lines[j] as string });
    if (j >= lines.length) throw new Error(`${file}:${i + 1}: an mcp-example block is not closed`);
    const whole = body.map((b) => b.text).join("\n");
    let parsed: Array<{ at: string; value: unknown }>;
    try {
      parsed = [{ at: `${file}:${i + 2}`, value: JSON.parse(whole) }];
    } catch {
      parsed = body
        .filter((b) => b.text.trim() !== "")
        .map((b) => {
          try {
            return { at: `${file}:${b.line}`, value: JSON.parse(b.text) };
          } catch (error) {
            throw new Error(`${file}:${b.line}: not JSON (${(error as Error).message}): ${b.text.trim().slice(0, 80)}`);
          }
        });
    }
    for (const { at, value } of parsed) out.push(toExample(at, value));
    i = j;
  }
  return out;
}

function toExample(at: string, value: unknown): DocExample {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${at}: an example is a JSON object`);
  const v = value as Record<string, unknown>;
  const tool = v.tool ?? v.name;
  if (typeof tool !== "string" || tool === "") throw new Error(`${at}: an example names its tool ("tool")`);
  const args = v.arguments ?? {};
  if (typeof args !== "object" || args === null || Array.isArray(args)) throw new Error(`${at}: "arguments" is an object`);
  const e = (v.expect ?? {}) as Record<string, unknown>;
  const text = e.text === undefined ? [] : Array.isArray(e.text) ? e.text : [e.text];
  if (!text.every((t): t is string => typeof t === "string")) throw new Error(`${at}: "expect.text" is a string or strings`);
  const unknown = Object.keys(v).filter((k) => !["tool", "name", "arguments", "expect"].includes(k));
  if (unknown.length > 0) throw new Error(`${at}: unknown field(s) ${unknown.join(", ")}`);
  return {
    at,
    tool,
    arguments: args as Record<string, unknown>,
    expect: { isError: e.isError === true, text, ...(e.structured !== undefined && { structured: e.structured }) },
  };
}

const REFERENCE = /^\{\{([A-Za-z0-9_]+)\.([A-Za-z0-9_.]+)\}\}$/;

/** The tools whose results an example's arguments refer to. */
export function referencesOf(value: unknown): Array<{ tool: string; path: string }> {
  if (typeof value === "string") {
    const m = REFERENCE.exec(value);
    return m ? [{ tool: m[1] as string, path: m[2] as string }] : [];
  }
  if (Array.isArray(value)) return value.flatMap(referencesOf);
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(referencesOf);
  return [];
}

/** `value` with every reference replaced by what `resolve` returns for it. */
export async function substitute(value: unknown, resolve: (tool: string, path: string) => Promise<unknown>): Promise<unknown> {
  if (typeof value === "string") {
    const m = REFERENCE.exec(value);
    return m ? resolve(m[1] as string, m[2] as string) : value;
  }
  if (Array.isArray(value)) return Promise.all(value.map((v) => substitute(v, resolve)));
  if (typeof value === "object" && value !== null) {
    const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await substitute(v, resolve)] as const));
    return Object.fromEntries(entries);
  }
  return value;
}

/** The value at a dot-separated path. */
export function valueAt(value: unknown, path: string): unknown {
  return path
    .split(".")
    .reduce<unknown>((v, key) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>)[key] : undefined), value);
}

/**
 * Where `actual` differs from the partial `expected` (objects by the keys expected, arrays
 * element by element from the first), or null when it matches.
 */
export function mismatch(actual: unknown, expected: unknown, path = "$"): string | null {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected an array, got ${JSON.stringify(actual)}`;
    for (const [i, e] of expected.entries()) {
      const m = mismatch(actual[i], e, `${path}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  if (typeof expected === "object" && expected !== null) {
    if (typeof actual !== "object" || actual === null || Array.isArray(actual))
      return `${path}: expected an object, got ${JSON.stringify(actual)}`;
    for (const [k, e] of Object.entries(expected)) {
      const m = mismatch((actual as Record<string, unknown>)[k], e, `${path}.${k}`);
      if (m) return m;
    }
    return null;
  }
  return Object.is(actual, expected) ? null : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

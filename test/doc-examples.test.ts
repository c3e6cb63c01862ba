import type { Client } from "@modelcontextprotocol/client";
import { beforeAll, describe, expect, it } from "vitest";
import { catalog } from "../src/mcp/tools";
import { type DocExample, examplesIn, mismatch, referencesOf, substitute, valueAt } from "./helpers/doc-examples";
import { connectClient } from "./helpers/mcp";
import { mintToken, newIdentity } from "./helpers/oauth";

/**
 * Every tool-call example in the documentation runs as written against the synthetic dataset
 * and does what the documentation says (the `json mcp-example` convention, test/helpers/doc-examples.ts).
 * The files are read when the test is bundled: README.md and every Markdown file under docs/.
 */
const FILES = import.meta.glob(["../README.md", "../docs/**/*.md"], { query: "?raw", import: "default", eager: true }) as Record<
  string,
  string
>;

const EXAMPLES: DocExample[] = Object.entries(FILES).flatMap(([file, text]) => examplesIn(file.replace(/^\.\.\//, ""), text));

type Result = Awaited<ReturnType<Client["callTool"]>>;
const textOf = (r: Result) => (r.content as Array<{ text?: string }>).map((c) => c.text ?? "").join("\n");

let client: Client;
beforeAll(async () => {
  // An Admin of an allowed tenant with every scope, so every documented tool can be called.
  const identity = newIdentity({
    tenantId: "3f1c2a6e-8b4d-4e21-9a57-0c6d2e8f4b11",
    displayName: "Anna de Vries",
    email: "anna@contoso.example",
    roles: ["Admin"],
  });
  client = await connectClient((await mintToken(identity, ["mcp:read", "mcp:write"])).accessToken);
});

/** Runs an example: its references first (each a fresh run of the first example of that tool), then the call. */
async function run(example: DocExample, depth = 0): Promise<Result> {
  if (depth > 3) throw new Error(`${example.at}: references nest too deep`);
  const args = (await substitute(example.arguments, async (tool, path) => {
    const source = EXAMPLES.find((e) => e.tool === tool);
    if (!source) throw new Error(`${example.at}: refers to ${tool}, which has no example`);
    const r = await run(source, depth + 1);
    expect(r.isError, `${source.at} (for ${example.at}): ${textOf(r)}`).toBeFalsy();
    const value = valueAt(r.structuredContent, path);
    if (value === undefined) throw new Error(`${example.at}: ${tool} returned nothing at ${path}`);
    return value;
  })) as Record<string, unknown>;
  return client.callTool({ name: example.tool, arguments: args });
}

describe("documentation examples (json mcp-example blocks)", () => {
  it("are found, name tools that exist, and cover every tool", () => {
    expect(Object.keys(FILES)).toContain("../README.md");
    const names = new Set(catalog.all().map((t) => t.name));
    for (const e of EXAMPLES) expect(names.has(e.tool), `${e.at}: no tool ${e.tool}`).toBe(true);
    for (const e of EXAMPLES)
      for (const ref of referencesOf(e.arguments)) expect(names.has(ref.tool), `${e.at}: refers to unknown tool ${ref.tool}`).toBe(true);
    const documented = new Set(EXAMPLES.map((e) => e.tool));
    expect(
      [...names].filter((n) => !documented.has(n)),
      "tools without an example",
    ).toEqual([]);
  });

  it.each(EXAMPLES.map((e) => [`${e.tool} (${e.at})`, e] as const))("%s runs as written", async (_name, example) => {
    const r = await run(example);
    expect(Boolean(r.isError), `${example.at}: ${textOf(r)}`).toBe(example.expect.isError);
    if (!r.isError) catalog.get(example.tool)?.output.parse(r.structuredContent);
    for (const t of example.expect.text) expect(textOf(r), example.at).toContain(t);
    if (example.expect.structured !== undefined) {
      expect(mismatch(r.structuredContent, example.expect.structured), example.at).toBeNull();
    }
  });
});

describe("the mcp-example convention", () => {
  it("reads a block of one object, a block of JSON lines, references and expectations; refuses a broken block", () => {
    const md = [
      "text",
      "```json mcp-example",
      '{ "tool": "A", "arguments": { "x": 1 },',
      '  "expect": { "text": "hi", "structured": { "n": [1] } } }',
      "```",
      "```json",
      '{"tool": "Not_An_Example"}',
      "```",
      "```json mcp-example",
      '{"name": "B", "arguments": {"id": "{{A.out.0.id}}"}}',
      "",
      '{"tool": "C", "expect": {"isError": true}}',
      "```",
    ].join("\n");
    const found = examplesIn("x.md", md);
    expect(found.map((e) => [e.at, e.tool])).toEqual([
      ["x.md:3", "A"],
      ["x.md:10", "B"],
      ["x.md:12", "C"],
    ]);
    expect(found[0]?.expect).toEqual({ isError: false, text: ["hi"], structured: { n: [1] } });
    expect(found[2]?.expect.isError).toBe(true);
    expect(referencesOf(found[1]?.arguments)).toEqual([{ tool: "A", path: "out.0.id" }]);
    expect(valueAt({ out: [{ id: "z" }] }, "out.0.id")).toBe("z");
    expect(mismatch({ a: [1, 2], b: "x" }, { a: [1] })).toBeNull();
    expect(mismatch({ a: [1, 2] }, { a: [2] })).toBe("$.a[0]: expected 2, got 1");
    expect(() => examplesIn("y.md", "```json mcp-example\n{not json}\n```")).toThrow(/y\.md:2: not JSON/);
    expect(() => examplesIn("y.md", '```json mcp-example\n{"arguments": {}}\n```')).toThrow(/names its tool/);
    expect(() => examplesIn("y.md", '```json mcp-example\n{"tool": "A"}\n')).toThrow(/not closed/);
  });
});

import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import type { Era } from "../src/mcp/server";
import { listToolsAsSent } from "../src/mcp/tool-budget";
import { catalog } from "../src/mcp/tools";

/*
 * The output schemas tools/list sends (shortened for the context budget, src/mcp/schema-compact.ts)
 * must accept every answer the tools give: MCP clients validate structuredContent against
 * outputSchema and refuse an answer that does not match (the SDK clients with Ajv). Every golden
 * answer (test/golden/answers/**, synthetic and live: real answers of every tool through the
 * Worker, kept current by `npx vitest run test/golden`) is checked here with Ajv's JSON Schema
 * 2020-12 validator against the schema each era lists. Runs in Node: Ajv compiles schemas to
 * code, which workerd does not allow.
 */
const ANSWERS = path.join(import.meta.dirname, "golden", "answers");

interface Golden {
  file: string;
  tool: string;
  structured: Record<string, unknown>;
}

function goldenAnswers(): Golden[] {
  const found: Golden[] = [];
  for (const mode of readdirSync(ANSWERS)) {
    for (const slug of readdirSync(path.join(ANSWERS, mode))) {
      for (const name of readdirSync(path.join(ANSWERS, mode, slug))) {
        const file = path.join(mode, slug, name);
        const text = readFileSync(path.join(ANSWERS, file), "utf8");
        const tool = /^# (\S+) —/.exec(text)?.[1];
        const json = /\nStructured content:\n\n```json\n([\s\S]*?)\n```\n/.exec(text)?.[1];
        if (!tool) throw new Error(`${file}: no tool name in its heading`);
        if (json !== undefined) found.push({ file, tool, structured: JSON.parse(json) });
      }
    }
  }
  return found;
}

const goldens = goldenAnswers();

function compileListed(tools: Array<Record<string, unknown>>): Map<string, ValidateFunction> {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  return new Map(tools.map((tool) => [String(tool.name), ajv.compile(tool.outputSchema as object)]));
}

describe.each<Era>(["legacy", "modern"])("tools/list output schemas (%s) against real answers", (era) => {
  it("accept every golden structuredContent, synthetic and live, and some answer of every tool", async () => {
    const validators = compileListed((await listToolsAsSent(catalog, era)).tools);
    const rejected: string[] = [];
    for (const golden of goldens) {
      const validate = validators.get(golden.tool);
      if (!validate) {
        rejected.push(`${golden.file}: ${golden.tool} is not listed`);
        continue;
      }
      if (!validate(golden.structured)) rejected.push(`${golden.file}: ${JSON.stringify(validate.errors)}`);
    }
    expect(rejected).toEqual([]);
    for (const mode of ["synthetic", "live"])
      expect(new Set(goldens.filter((g) => g.file.startsWith(`${mode}/`)).map((g) => g.tool)), mode).toEqual(
        new Set(catalog.all().map((tool) => tool.name)),
      );
  });

  it("reject an answer whose fields do not match (the check is not vacuous)", async () => {
    const validators = compileListed((await listToolsAsSent(catalog, era)).tools);
    for (const tool of catalog.all()) {
      const golden = goldens.find((g) => g.tool === tool.name);
      if (!golden) throw new Error(`no golden answer of ${tool.name}`);
      const validate = validators.get(tool.name) as ValidateFunction;
      // Each root field given a value of a type it never has: a number for a non-number, else text.
      for (const [field, value] of Object.entries(golden.structured)) {
        const wrong = typeof value === "number" ? "not a number" : 12345.5;
        expect(validate({ ...golden.structured, [field]: wrong }), `${tool.name}.${field} = ${JSON.stringify(wrong)}`).toBe(false);
      }
    }
  });
});

it("nested shapes listed in full are checked too: a nested field of the wrong type is refused", async () => {
  const validators = compileListed((await listToolsAsSent(catalog, "legacy")).tools);
  const result = goldens.find((g) => g.tool === "Get_Portfolio_Result") as Golden;
  const validate = validators.get("Get_Portfolio_Result") as ValidateFunction;
  expect(validate({ ...result.structured, failures: [{ input: "Polluxstraat 1", reason: "not found" }] })).toBe(true);
  expect(validate({ ...result.structured, failures: [{ input: "Polluxstraat 1", reason: 7 }] })).toBe(false);
  const assessed = goldens.find((g) => g.tool === "Quick_Assess_Property") as Golden;
  const address = { ...(assessed.structured.address as object), addressId: 307209000000011 };
  expect((validators.get("Quick_Assess_Property") as ValidateFunction)({ ...assessed.structured, address })).toBe(false);
});

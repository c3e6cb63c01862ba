import { describe, expect, it } from "vitest";
import type { Era } from "../src/mcp/server";
import { everyRoleCaller, listToolsAsSent, measureToolList, TOOL_LIST_BUDGET_BYTES } from "../src/mcp/tool-budget";
import { catalog } from "../src/mcp/tools";
import { connectClient } from "./helpers/mcp";
import { mintToken, newIdentity } from "./helpers/oauth";

/*
 * Issue 19's context budget: tools/list for a user with every role and scope is at most 20 000 bytes of
 * JSON, with every tool's output schema kept and a description that says when to use it.
 * `npm run build` fails on the same figure (scripts/build.mjs, the same measureToolList).
 */
describe.each<[Era, "2025-11-25" | "2026-07-28"]>([
  ["legacy", "2025-11-25"],
  ["modern", "2026-07-28"],
])("tools/list for every role (%s)", (era, revision) => {
  it(`is at most ${TOOL_LIST_BUDGET_BYTES} bytes of JSON, as measured for the build`, async () => {
    const list = await listToolsAsSent(catalog, era);
    const size = measureToolList(list);
    expect(list.tools.map((t) => t.name).sort()).toEqual(
      catalog
        .all()
        .map((t) => t.name)
        .sort(),
    );
    expect(size.bytes, size.tools.map((t) => `${t.name} ${t.bytes}`).join(", ")).toBeLessThanOrEqual(TOOL_LIST_BUDGET_BYTES);
  });

  it("is what an MCP client gets from the Worker: same size, output schemas kept, each description says when to use the tool", async () => {
    const { roles } = everyRoleCaller(catalog).identity;
    const { accessToken } = await mintToken(newIdentity({ roles }), everyRoleCaller(catalog).scopes);
    const client = await connectClient(accessToken, revision);
    const { tools } = await client.listTools();
    await client.close();
    expect(tools.length).toBe(catalog.all().length);
    const wire = measureToolList({ tools: tools as unknown as Array<Record<string, unknown>> });
    expect(wire.bytes).toBeLessThanOrEqual(TOOL_LIST_BUDGET_BYTES);
    expect(wire.bytes).toBe(measureToolList(await listToolsAsSent(catalog, era)).bytes);
    for (const tool of tools) {
      expect(tool.outputSchema?.type, tool.name).toBe("object");
      expect(Object.keys(tool.outputSchema?.properties ?? {}), tool.name).toEqual(
        Object.keys((catalog.get(tool.name)?.output.shape ?? {}) as object),
      );
      // Every root field keeps its type (and nullability): typed only when its nested shape is large.
      for (const [field, schema] of Object.entries(tool.outputSchema?.properties ?? {}))
        expect("type" in (schema as object) || "anyOf" in (schema as object) || "$ref" in (schema as object), `${tool.name}.${field}`).toBe(
          true,
        );
      expect(tool.description, tool.name).toMatch(/\bUse\b/);
    }
  });
});

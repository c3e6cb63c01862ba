import { env } from "cloudflare:workers";
import { bench, describe } from "vitest";
import type { Era } from "../src/mcp/server";
import { listToolsAsSent, measureToolList, type ToolListSize } from "../src/mcp/tool-budget";
import { catalog } from "../src/mcp/tools";

/*
 * What tools/list costs the model's context (issue 19): for a user with every role and scope, as
 * the server sends it (src/mcp/tool-budget.ts, the same measurement `npm run build` fails on and
 * test/tool-budget.test.ts checks), the bytes of JSON of each tool, split into description, input
 * and output schema, and an estimated token count (bytes ÷ 4; no tokenizer). A size, not a time:
 * it runs once and writes its own section of docs/benchmarks.md ("tool-list"), so it can be run
 * alone: `npx vitest bench --run --project bench bench/tool-list.bench.ts`.
 */
const REPORT = (env as unknown as { BENCH_REPORT: Fetcher }).BENCH_REPORT;
const ONCE = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };
const REVISION: Record<Era, string> = { legacy: "2025-11-25", modern: "2026-07-28" };

function table(size: ToolListSize): string[] {
  return [
    "| Tool | Bytes | ~Tokens | Description | Input schema | Output schema |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...size.tools.map((t) => `| ${t.name} | ${t.bytes} | ${t.tokens} | ${t.description} | ${t.inputSchema} | ${t.outputSchema} |`),
  ];
}

describe("tools/list size", () => {
  bench(
    "tools/list for every role and scope, per tool (bytes, estimated tokens)",
    async () => {
      const sizes = await Promise.all(
        (["legacy", "modern"] as const).map(async (era) => ({ era, size: measureToolList(await listToolsAsSent(catalog, era)) })),
      );
      const [largest] = [...sizes].sort((a, b) => b.size.bytes - a.size.bytes);
      if (!largest) throw new Error("nothing measured");
      const markdown = [
        "## tools/list size (`npm run bench`: `bench/tool-list.bench.ts`)",
        "",
        "tools/list for a user with every role and scope, JSON bytes as sent; tokens estimated as bytes ÷ 4 (no tokenizer). The build fails above the budget (`scripts/build.mjs`).",
        "",
        ...sizes.map(
          ({ era, size }) =>
            `- ${REVISION[era]}: **${size.bytes} bytes**, ~${size.tokens} tokens, ${size.tools.length} tools (budget ${size.budget} bytes, ${size.budget - size.bytes} to spare)`,
        ),
        "",
        `Per tool (${REVISION[largest.era]}, the larger):`,
        "",
        ...table(largest.size),
      ].join("\n");
      console.log(markdown);
      const answer = await REPORT.fetch("http://bench-report/tool-list", { method: "POST", body: markdown });
      if (!answer.ok) console.warn(`docs/benchmarks.md was not written: ${answer.status} ${await answer.text()}`);
    },
    ONCE,
  );
});

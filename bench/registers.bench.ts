import { env } from "cloudflare:workers";
import type { Client } from "@modelcontextprotocol/client";
import { bench, describe } from "vitest";
import { parseConfig } from "../src/config";
import { clearResolvedColumns } from "../src/data/live/cbs-properties";
import { LiveSource } from "../src/data/live/live-source";
import { createServices, type Services } from "../src/data/services";
import { connectInProcess } from "../test/helpers/mcp";
import { bulkAddressId, bulkStandIn, countingDb, pacing } from "../test/helpers/register-pacing";
import { ADDRESS_37, EP_ONLINE_KEY, everyRegisterStandIn } from "../test/helpers/registers";
import { median, quantile, table } from "./harness";

/*
 * Live mode at the speed of the registers (issue 18): the register stand-ins of the workerd tests
 * (test/helpers/registers.ts, MSW, the registers' wire formats) answer every request after a
 * fixed LATENCY_MS, and the tools run on live services with a cold cache each time (no live rows,
 * no fetch records, no CBS column keys in this isolate). Reported per tool: the time in register
 * latencies (time ÷ LATENCY_MS, median and spread over runs), the requests it sent, and the
 * rounds it needed (counted as in test/live-rounds.test.ts). Then a live batch: `properties()`
 * (what a portfolio batch calls) over BATCH distinct cold addresses with the default budgets, in
 * addresses per second. The tools are called through the MCP server in this isolate (the SDK's
 * handler and client), without the Worker's gateway; its overhead is measured in section "mcp".
 */

const LATENCY_MS = 200;
const RUNS = 5;
const BATCH = 60;
const BATCH_RUNS = 3;
const REPORT = (env as unknown as { BENCH_REPORT: Fetcher }).BENCH_REPORT;
const ONCE = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };

const config = parseConfig({ PUBLIC_URL: "https://mcp.example.com", DATA_SOURCE: "live", EP_ONLINE_API_KEY: EP_ONLINE_KEY });
const counting = countingDb(env.DB);
const services: Services = {
  ...createServices(config, env),
  data: new LiveSource({ db: counting.db, epOnlineApiKey: EP_ONLINE_KEY, registerUrls: config.registerUrls }),
};

function connect(): Promise<Client> {
  return connectInProcess(services, "bench");
}

/** Removes what the live source cached (never the synthetic seed), so the next call is cold. */
async function coldCache() {
  // Everything the stand-ins know lies in 3286LT / GM1963 (BAG ids 0611…), which the synthetic seed never uses.
  await env.DB.batch(
    [
      "DELETE FROM register_fetches",
      "DELETE FROM value_basis",
      "DELETE FROM assessments WHERE address_id LIKE '0611%'",
      "DELETE FROM energy_labels WHERE unit_id LIKE '0611%'",
      "DELETE FROM unit_buildings WHERE unit_id LIKE '0611%'",
      "DELETE FROM unit_parcels WHERE unit_id LIKE '0611%'",
      "DELETE FROM unit_monuments WHERE unit_id LIKE '0611%'",
      "DELETE FROM addresses WHERE id LIKE '0611%'",
      "DELETE FROM units WHERE id LIKE '0611%'",
      "DELETE FROM buildings WHERE id LIKE '0611%'",
      "DELETE FROM neighbourhoods WHERE code LIKE 'BU1963%'",
      "DELETE FROM districts WHERE code LIKE 'WK1963%'",
      "DELETE FROM municipalities WHERE code = 'GM1963' AND is_synthetic = 0",
    ].map((sql) => env.DB.prepare(sql)),
  );
  clearResolvedColumns();
}

function standIns() {
  everyRegisterStandIn();
  bulkStandIn();
}

const spread = (values: number[], digits = 2) =>
  `${median(values).toFixed(digits)} (IQR ${quantile(values, 0.25).toFixed(digits)}–${quantile(values, 0.75).toFixed(digits)}, min–max ${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;

describe("registers: live tools and batches against a stand-in with a fixed latency", () => {
  bench(
    "registers (table printed above)",
    async () => {
      standIns();
      pacing.busy = counting.busy;
      const client = await connect();
      const rows: string[][] = [];
      for (const tool of ["Get_Property_Data", "Quick_Assess_Property", "Get_Property_Energy_Label"]) {
        await coldCache();
        pacing.set({ mode: "rounds", settleMs: 100 });
        await client.callTool({ name: tool, arguments: { addressId: ADDRESS_37 } });
        const rounds = pacing.rounds;
        const latencies: number[] = [];
        let requests = 0;
        for (let run = 0; run < RUNS; run++) {
          await coldCache();
          pacing.set({ mode: "latency", latencyMs: LATENCY_MS });
          const started = performance.now();
          const result = await client.callTool({ name: tool, arguments: { addressId: ADDRESS_37 } });
          latencies.push((performance.now() - started) / LATENCY_MS);
          if (result.isError) throw new Error(`${tool} failed in the bench`);
          requests = pacing.log.length;
        }
        rows.push([tool, spread(latencies), String(requests), String(rounds)]);
      }
      const throughput: number[] = [];
      for (let run = 0; run < BATCH_RUNS; run++) {
        await coldCache();
        pacing.set({ mode: "latency", latencyMs: LATENCY_MS });
        const lookups = Array.from({ length: BATCH }, (_, i) => ({ addressId: bulkAddressId(i) }));
        const started = performance.now();
        const answers = await services.data.properties(lookups, ["unit", "labels", "neighbourhood", "municipality"]);
        const seconds = (performance.now() - started) / 1000;
        if (!answers.every((a) => a.ok && a.value && a.value.gaps.length === 0)) throw new Error("the batch had failures or gaps");
        throughput.push(BATCH / seconds);
      }
      pacing.set({ mode: "now" });
      const text = [
        table(
          `registers: cold live tool calls, every register answer after ${LATENCY_MS} ms`,
          ["tool", "register latencies: median (IQR, min–max)", "requests", "rounds"],
          rows,
          [
            `${RUNS} cold runs per tool (empty cache each time); latencies = wall time ÷ ${LATENCY_MS} ms, D1 and CPU included.`,
            "rounds: register round trips the call waits for, counted with every request held (test/live-rounds.test.ts).",
          ],
        ),
        table(
          `registers: live batch, properties() of ${BATCH} distinct cold addresses (what a portfolio batch calls), default budgets`,
          ["", "addresses per second: median (IQR, min–max)"],
          [["assessment facts (unit, labels, buurt, gemeente)", spread(throughput, 1)]],
          [
            `${BATCH_RUNS} runs; answers after ${LATENCY_MS} ms; budgets ${config.registerBudgets.defaults.concurrency} under way and ${config.registerBudgets.defaults.perSecond}/s per register (EP-Online 8 and 20/s).`,
            "Bound by PDOK BAG (unit and pand per address) at 30 requests per second: at most 15 addresses per second per isolate.",
          ],
        ),
      ].join("\n");
      console.log(text);
      const answer = await REPORT.fetch("http://bench-report/registers", {
        method: "POST",
        body: `### Live registers at a fixed latency\n\n\`\`\`text\n${text.replace(/^\n+|\n+$/g, "")}\n\`\`\``,
      });
      if (!answer.ok) console.warn(`docs/benchmarks.md was not written: ${answer.status}`);
    },
    ONCE,
  );
});

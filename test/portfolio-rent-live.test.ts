import { exports } from "cloudflare:workers";
import type { Client } from "@modelcontextprotocol/client";
import { HttpResponse, http } from "msw";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CBS_ODATA_BASE } from "../src/data/live/cbs";
import { EP_ONLINE_BASE } from "../src/data/live/ep-online";
import { coldLiveCache, expectLiveMode } from "./helpers/live";
import { connectClient } from "./helpers/mcp";
import { mockServer } from "./helpers/msw";
import { mintToken, newIdentity } from "./helpers/oauth";
import {
  ADDRESS_37,
  ADDRESS_41,
  addressSearchStandIn,
  everyRegisterStandIn,
  NO_POSTCODE_ADDRESS,
  noPostcodeStandIn,
} from "./helpers/registers";

/**
 * Issue 20 part 5 in live mode ("workerd-live": DATA_SOURCE=live, the register stand-ins of
 * test/helpers/registers.ts in each register's wire format), through the real Worker and
 * Workflow: a portfolio of two dwellings and a shed while one register fails. Only that
 * register's facts are unknown: with CBS down the WWS estimate has no WOZ basis and is "not
 * available" naming CBS, while EP-Online's label is still read; with EP-Online throttled the
 * points are still given, over every label, and say so. The shed is outside the WWS either way,
 * and no synthetic figure shows.
 */
const TIMEOUT = 180_000;

beforeAll(() => {
  expectLiveMode();
});

beforeEach(async () => {
  // The cached register answers (no seed here): cleared before each case, so each meets its registers cold.
  await coldLiveCache();
  everyRegisterStandIn();
  addressSearchStandIn();
  noPostcodeStandIn();
});

async function call(c: Client, name: string, args: Record<string, unknown>) {
  const r = await c.callTool({ name, arguments: args });
  const text = (r.content as Array<{ type: string; text?: string }>).find((x) => x.type === "text")?.text ?? "";
  if (r.isError) throw new Error(`${name}: ${text}`);
  return { s: r.structuredContent as Record<string, unknown>, text };
}

/** A portfolio of Schenkeldijk 37 and 41B-2 and the Keizersgracht shed; its summary and CSV rows by address id. */
async function runPortfolio(): Promise<{ summary: Record<string, unknown>; text: string; row: (id: string, column: string) => string }> {
  const { accessToken } = await mintToken(newIdentity(), ["mcp:read", "mcp:write"]);
  const c = await connectClient(accessToken);
  const started = await call(c, "Assess_Portfolio", {
    addresses: [{ addressId: ADDRESS_37 }, { addressId: ADDRESS_41 }, { addressId: NO_POSTCODE_ADDRESS }],
  });
  const deadline = Date.now() + TIMEOUT;
  let result: { s: Record<string, unknown>; text: string };
  for (;;) {
    result = await call(c, "Get_Portfolio_Result", { jobId: started.s.jobId as string });
    if (result.s.state !== "running" && result.s.downloads) break;
    if (Date.now() > deadline) throw new Error("the job did not finish");
    await new Promise((r) => setTimeout(r, 100));
  }
  await c.close();
  const csv = await (await exports.default.fetch((result.s.downloads as { csv: string }).csv)).text();
  expect(csv).not.toMatch(/synthetic/i);
  const rows = csv
    .replace(/^\uFEFF/, "")
    .trimEnd()
    .split("\r\n")
    .map((line) =>
      [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].slice(0, -1).map((m) => (m[1] ?? "").replace(/^"|"$/g, "").replaceAll('""', '"')),
    );
  const header = rows[0] as string[];
  const byId = new Map(rows.slice(1).map((r) => [r[header.indexOf("Address ID")], r]));
  return {
    summary: result.s,
    text: result.text,
    row: (id, column) => {
      expect(header).toContain(column);
      return byId.get(id)?.[header.indexOf(column)] ?? "missing";
    },
  };
}

describe("WWS estimates in a live portfolio job with a register failing", () => {
  it(
    "CBS down: the dwellings' estimates are not available for want of a WOZ basis, naming CBS; their labels are still read",
    async () => {
      mockServer.use(http.get(`${CBS_ODATA_BASE}/*`, () => new HttpResponse("Service Unavailable", { status: 503 })));
      const { summary, text, row } = await runPortfolio();
      expect(summary.assessed).toBe(3);
      expect(summary.sectorCounts).toEqual({
        social: 0,
        middle: 0,
        free: 0,
        undecided: 0,
        outsideWws: 1,
        notAvailable: 2,
        mostLikely: { social: 0, middle: 0, free: 0 },
      });
      expect(text).toContain("outside the WWS: 1, not available: 2");
      for (const id of [ADDRESS_37, ADDRESS_41]) {
        expect(row(id, "Status"), id).toBe("done");
        expect(row(id, "WWS sector"), id).toBe("not available");
        expect(row(id, "WWS points"), id).toBe("");
        expect(row(id, "Max rent (EUR/month)"), id).toBe("");
        expect(row(id, "WWS note"), id).toBe("Not available: CBS could not be asked for the value basis.");
      }
      // EP-Online answered: Schenkeldijk 37's label is known, 41B-2 has none registered.
      expect(row(ADDRESS_37, "Energy label")).toMatch(/^[A-G]/);
      expect(row(ADDRESS_41, "Energy label")).toBe("none");
      expect(row(NO_POSTCODE_ADDRESS, "WWS sector")).toBe("outside the WWS");
      expect(row(NO_POSTCODE_ADDRESS, "WWS note")).toMatch(/overige gebruiksfunctie.*not woonfunctie/);
    },
    TIMEOUT,
  );

  it(
    "EP-Online throttled: the dwellings still get points, range, sector and maximum rent, counted over every label, and say so",
    async () => {
      mockServer.use(
        http.get(`${EP_ONLINE_BASE}/*`, () => new HttpResponse("Too Many Requests", { status: 429, headers: { "retry-after": "0" } })),
      );
      const { summary, row } = await runPortfolio();
      expect(summary.assessed).toBe(3);
      const counts = summary.sectorCounts as Record<"social" | "middle" | "free" | "undecided" | "outsideWws" | "notAvailable", number>;
      expect(counts.notAvailable).toBe(0);
      expect(counts.outsideWws).toBe(1);
      expect(counts.social + counts.middle + counts.free + counts.undecided).toBe(2);
      const likely = (summary.sectorCounts as { mostLikely: Record<string, number> }).mostLikely;
      expect(Object.values(likely).reduce((a, b) => a + b, 0)).toBe(2);
      for (const id of [ADDRESS_37, ADDRESS_41]) {
        expect(row(id, "Energy label"), id).toBe("unknown");
        expect(Number(row(id, "WWS points")), id).toBeGreaterThan(0);
        expect(Number(row(id, "WWS points low")), id).toBeLessThanOrEqual(Number(row(id, "WWS points")));
        expect(Number(row(id, "WWS points high")), id).toBeGreaterThanOrEqual(Number(row(id, "WWS points")));
        expect(["social", "middle", "free"]).toContain(row(id, "WWS sector"));
        expect(row(id, "WWS note"), id).toContain("energy label unknown (EP-Online could not be asked): any label counted");
        expect(row(id, "WWS note"), id).toMatch(/WOZ value estimated from the value basis: € \d+/);
      }
    },
    TIMEOUT,
  );
});

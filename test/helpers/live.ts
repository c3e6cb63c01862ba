import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { clearResolvedColumns } from "../../src/data/live/cbs-properties";
import { EP_ONLINE_KEY } from "./registers";

/**
 * What a test in the "workerd-live" project (vitest.config.ts) needs around the register
 * stand-ins of ./registers.ts: the check that the Worker really runs in live mode, and a cold
 * register cache, so what an answer says comes from the registers of that test alone.
 */

/**
 * Every table live mode caches the registers' answers in (no seed in that project, so every row
 * is such an answer), children before parents; and the saved assessments, which refer to their
 * addresses.
 */
export const LIVE_CACHE_TABLES = [
  "assessments",
  "register_fetches",
  "energy_labels",
  "unit_parcels",
  "unit_monuments",
  "unit_buildings",
  "addresses",
  "units",
  "buildings",
  "parcels",
  "monuments",
  "neighbourhoods",
  "districts",
  "municipalities",
  "value_basis",
] as const;

/** Empties every table of `LIVE_CACHE_TABLES` and forgets the CBS column keys resolved in this isolate. */
export async function coldLiveCache(): Promise<void> {
  await env.DB.batch(LIVE_CACHE_TABLES.map((table) => env.DB.prepare(`DELETE FROM ${table}`)));
  clearResolvedColumns();
}

/** The Worker runs with the settings of the "workerd-live" project: live registers, and the key EP-Online's stand-in accepts. */
export function expectLiveMode(): void {
  const bindings = env as unknown as Record<string, unknown>;
  expect(bindings.DATA_SOURCE).toBe("live");
  expect(bindings.EP_ONLINE_API_KEY).toBe(EP_ONLINE_KEY);
}

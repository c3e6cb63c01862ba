import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseConfig } from "../../../src/config";
import { EP_ONLINE_BASE } from "../../../src/data/live/ep-online";
import { getJson } from "../../../src/data/live/http";
import { BAG_OGC_BASE } from "../../../src/data/live/pdok-bag";
import { LOCATIESERVER_FREE_URL } from "../../../src/data/live/pdok-locatieserver";
import { DEFAULT_REGISTER_URLS, rebase } from "../../../src/data/live/registers";
import { dataProvenance } from "../../../src/data/services";
import { planFor } from "../../../src/mcp/server";
import { catalog } from "../../../src/mcp/tools";

describe("register base URLs", () => {
  it("match the URLs the adapters build, so a configured base replaces them", () => {
    expect(LOCATIESERVER_FREE_URL.startsWith(`${DEFAULT_REGISTER_URLS["pdok-locatieserver"]}/`)).toBe(true);
    expect(BAG_OGC_BASE).toBe(DEFAULT_REGISTER_URLS["pdok-bag"]);
    expect(EP_ONLINE_BASE).toBe(DEFAULT_REGISTER_URLS["ep-online"]);
  });

  it("rebase swaps the public endpoint for the configured one, path and query kept", () => {
    const urls = { "pdok-bag": "http://127.0.0.1:9100/bag" };
    expect(rebase("pdok-bag", "https://api.pdok.nl/kadaster/bag/ogc/v2/collections/pand/items/x?f=json", urls)).toBe(
      "http://127.0.0.1:9100/bag/collections/pand/items/x?f=json",
    );
    expect(rebase("ep-online", "https://public.ep-online.nl/api/v5/PandEnergielabel/AdresseerbaarObject/1", urls)).toBe(
      "https://public.ep-online.nl/api/v5/PandEnergielabel/AdresseerbaarObject/1",
    );
    // Only a whole path segment matches: v2x is not under v2.
    expect(rebase("pdok-bag", "https://api.pdok.nl/kadaster/bag/ogc/v2x/collections", urls)).toBe(
      "https://api.pdok.nl/kadaster/bag/ogc/v2x/collections",
    );
  });

  it("getJson asks the configured base", async () => {
    const asked: string[] = [];
    const fetch = (async (input: RequestInfo | URL) => {
      asked.push(String(input));
      return Response.json({ ok: true });
    }) as typeof globalThis.fetch;
    await getJson(
      {
        register: "cbs-kwb",
        url: "https://opendata.cbs.nl/ODataApi/odata/85984NED/TypedDataSet?$format=json",
        schema: z.object({ ok: z.boolean() }),
      },
      { fetch, registerUrls: { "cbs-kwb": "https://cbs-mirror.example/odata" } },
    );
    expect(asked).toEqual(["https://cbs-mirror.example/odata/85984NED/TypedDataSet?$format=json"]);
  });
});

describe("provenance and openWorldHint per data source", () => {
  it("names every register with the host asked when live", () => {
    expect(dataProvenance(parseConfig({ PUBLIC_URL: "https://x.example" }))).toEqual({ source: "synthetic" });
    const live = dataProvenance(
      parseConfig({ PUBLIC_URL: "https://x.example", DATA_SOURCE: "live", PDOK_BAG_URL: "https://bag-cache.example:8443/v2" }),
    );
    expect(live).toMatchObject({ source: "live" });
    expect(live.source === "live" && live.registers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ register: "pdok-locatieserver", host: "api.pdok.nl", version: "Locatieserver v3.1" }),
        expect.objectContaining({ register: "pdok-bag", host: "bag-cache.example:8443", version: "BAG OGC API Features v2" }),
        expect.objectContaining({ register: "ep-online", host: "public.ep-online.nl", version: "EP-Online API v5" }),
        expect.objectContaining({ register: "cbs-kwb", host: "opendata.cbs.nl", table: expect.stringMatching(/^\d{5}NED$/) }),
      ]),
    );
  });

  it("announces the tools that read registers as open-world only when live", () => {
    const caller = { scopes: ["mcp:read", "mcp:write"], identity: { roles: [] } } as unknown as Parameters<typeof planFor>[1];
    const hint = (source: "synthetic" | "live") =>
      Object.fromEntries(planFor(catalog, caller, "modern", source).map((p) => [p.tool.name, p.config.annotations?.openWorldHint]));
    const synthetic = hint("synthetic");
    const live = hint("live");
    expect(Object.values(synthetic).every((v) => v === false)).toBe(true);
    for (const name of [
      "Get_Addresses_for_Postcode",
      "Get_Property_Data",
      "Get_Property_Energy_Label",
      "Analyze_Property_Location",
      "Quick_Assess_Property",
    ]) {
      expect(live[name], name).toBe(true);
    }
    expect(live.Get_Server_Info).toBe(false);
    expect(live.Get_Assessed_Properties).toBe(false);
  });
});

import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { CBS_ODATA_BASE, fetchNeighbourhood, KWB_COLUMNS, kwbAttribution } from "../../../src/data/live/cbs";
import { clearResolvedColumns, resolveColumns, stableKey } from "../../../src/data/live/cbs-properties";
import { RegisterError } from "../../../src/data/types";
import kwbProps from "../../fixtures/registers/cbs-85984NED-dataproperties.json";
import buurt01 from "../../fixtures/registers/cbs-85984NED-typeddataset-BU19630601.json";
import buurt02 from "../../fixtures/registers/cbs-85984NED-typeddataset-BU19630602.json";
import { mockServer } from "../../helpers/msw";
import { cbsStandIn } from "../../helpers/registers";

/**
 * Contract tests for the CBS KWB OData v3 adapter. Fixtures follow `TypedDataSet` and the
 * `WijkenEnBuurten` dimension of table 85984NED (2024): `value` arrays, space-padded region
 * codes and names, table-specific column suffixes, WOZ in ×1000 EUR, null where CBS publishes
 * nothing. The codes and figures are illustrative, not CBS's published numbers.
 */

const TABLE = `${CBS_ODATA_BASE}/85984NED`;

describe("CBS fixtures are the OData v3 shape", () => {
  it("pads region codes and uses the 2024 table's column keys", () => {
    const row = buurt01.value[0];
    expect(row?.WijkenEnBuurten).toBe("BU19630601  ");
    expect(row?.Gemeentenaam_1).toMatch(/^Hoeksche Waard {2,}$/);
    const keys = Object.keys(row ?? {}).map(stableKey);
    for (const key of Object.values(KWB_COLUMNS)) expect(keys).toContain(key);
    expect(buurt02.value[0]?.GemiddeldeWOZWaardeVanWoningen_39).toBeNull();
  });
});

describe("CBS adapter", () => {
  it("maps a buurt: trimmed codes and names, WOZ kept in thousands, distances in km", async () => {
    const { requests } = cbsStandIn();
    const n = await fetchNeighbourhood("BU19630601", { retryDelayMs: 1 });
    expect(n).toEqual({
      code: "BU19630601",
      name: "Klaaswaal-Kern",
      districtCode: "WK196306",
      districtName: "Klaaswaal",
      municipalityCode: "GM1963",
      municipalityName: "Hoeksche Waard",
      tableId: "85984NED",
      datasetYear: 2024,
      inhabitants: 3105,
      households: 1290,
      avgHouseholdSize: 2.4,
      avgWozThousands: 341,
      pctOwnerOccupied: 71.2,
      distGpKm: 0.7,
      distSupermarketKm: 0.6,
      distSchoolKm: 0.5,
    });
    expect(requests).toEqual(
      expect.arrayContaining([
        { path: "TypedDataSet", filter: "WijkenEnBuurten eq 'BU19630601'", format: "json" },
        { path: "WijkenEnBuurten", filter: "startswith(Key,'BU19630601') or startswith(Key,'WK196306')", format: "json" },
      ]),
    );
  });

  it("keeps unpublished measures null, never 0", async () => {
    cbsStandIn();
    const n = await fetchNeighbourhood("BU19630602");
    expect(n).toMatchObject({
      name: "Klaaswaal-Buitengebied",
      inhabitants: 45,
      households: null,
      avgHouseholdSize: null,
      avgWozThousands: null,
      pctOwnerOccupied: null,
      distGpKm: 3.4,
      distSchoolKm: null,
    });
  });

  it("returns null when the table has no row for the buurt, and asks nothing for a bad code", async () => {
    const { requests } = cbsStandIn();
    expect(await fetchNeighbourhood("BU19639999")).toBeNull();
    expect(requests).toHaveLength(2);
    expect(await fetchNeighbourhood("BU1963' or 1 eq 1")).toBeNull();
    expect(await fetchNeighbourhood("WK196306")).toBeNull();
    expect(requests).toHaveLength(2);
  });

  it("treats a changed column type as a register error, not as a missing buurt", async () => {
    cbsStandIn();
    const row = { ...buurt01.value[0], GemiddeldeWOZWaardeVanWoningen_39: "341" };
    mockServer.use(http.get(`${TABLE}/TypedDataSet`, () => HttpResponse.json({ ...buurt01, value: [row] })));
    await expect(fetchNeighbourhood("BU19630601")).rejects.toBeInstanceOf(RegisterError);
  });

  it("cites CBS with the table and its year", () => {
    expect(kwbAttribution()).toMatchObject({
      register: "cbs-kwb",
      licence: "CC BY 4.0",
      text: "Statistics Netherlands (CBS), Kerncijfers wijken en buurten 2024 (table 85984NED)",
    });
  });
});

describe("CBS column keys from DataProperties", () => {
  it("fixture is the v3 DataProperties shape: topics with Key and Title, groups with an empty Key", () => {
    const types = new Set(kwbProps.value.map((p) => p.Type));
    expect(types).toEqual(new Set(["GeoDimension", "GeoDetail", "TopicGroup", "Topic"]));
    expect(kwbProps.value.filter((p) => p.Type === "TopicGroup").every((p) => p.Key === "")).toBe(true);
  });

  it("resolves stable keys to the table's numbered keys, once per isolate", async () => {
    clearResolvedColumns();
    let asked = 0;
    mockServer.use(
      http.get(`${TABLE}/DataProperties`, ({ request }) => {
        asked++;
        expect(new URL(request.url).searchParams.get("$format")).toBe("json");
        return HttpResponse.json(kwbProps);
      }),
    );
    const cols = await resolveColumns("85984NED", { woz: "GemiddeldeWOZWaardeVanWoningen", n: "title:Aantal inwoners" });
    expect(cols).toEqual({ woz: "GemiddeldeWOZWaardeVanWoningen_39", n: "AantalInwoners_5" });
    await resolveColumns("85984NED", { gp: "AfstandTotHuisartsenpraktijk" });
    expect(asked).toBe(1);
  });

  it("follows a renumbered column (another year's table) without a code change", async () => {
    clearResolvedColumns();
    const renumbered = {
      ...kwbProps,
      value: kwbProps.value.map((p) =>
        p.Key === "GemiddeldeWOZWaardeVanWoningen_39" ? { ...p, Key: "GemiddeldeWOZWaardeVanWoningen_36" } : p,
      ),
    };
    mockServer.use(http.get(`${CBS_ODATA_BASE}/85618NED/DataProperties`, () => HttpResponse.json(renumbered)));
    expect(await resolveColumns("85618NED", { woz: "GemiddeldeWOZWaardeVanWoningen" })).toEqual({
      woz: "GemiddeldeWOZWaardeVanWoningen_36",
    });
  });

  it("a missing column is a register error, and is asked again next time", async () => {
    clearResolvedColumns();
    let asked = 0;
    mockServer.use(
      http.get(`${TABLE}/DataProperties`, () => {
        asked++;
        return HttpResponse.json({ value: [] });
      }),
    );
    await expect(resolveColumns("85984NED", { woz: "GemiddeldeWOZWaardeVanWoningen" })).rejects.toBeInstanceOf(RegisterError);
    await expect(resolveColumns("85984NED", { woz: "GemiddeldeWOZWaardeVanWoningen" })).rejects.toBeInstanceOf(RegisterError);
    expect(asked).toBe(2);
    clearResolvedColumns();
  });
});

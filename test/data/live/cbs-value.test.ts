import { describe, expect, it } from "vitest";
import { clearResolvedColumns } from "../../../src/data/live/cbs-properties";
import { fetchValueBasis, indexFactor } from "../../../src/data/live/cbs-value";
import { RegisterError } from "../../../src/data/types";
import stock from "../../fixtures/registers/cbs-85035NED-typeddataset-GM1963.json";
import woz from "../../fixtures/registers/cbs-85036NED-typeddataset-GM1963.json";
import index from "../../fixtures/registers/cbs-85773NED-typeddataset-monthly.json";
import { cbsStandIn } from "../../helpers/registers";

/**
 * Contract tests for the live value basis. Fixtures follow CBS OData v3 `TypedDataSet` and
 * `DataProperties` of 85036NED (average WOZ of dwellings; `RegioS`, `Perioden` `YYYYJJ00`,
 * `Eigendom` T001132, `GemiddeldeWOZWaardeVanWoningen_1` ×1000 EUR), 85035NED (dwelling stock on
 * 1 January; `Woningkenmerk` T001727, `Woningtype`, `GemiddeldeOppervlakte_2` m²) and 85773NED
 * (price index 2020=100; `Perioden` `YYYYMMnn`, `PrijsindexVerkoopprijzen_1`). Keys and codes as
 * used against the live service in public code (see the PR notes); the figures are illustrative.
 */

describe("value fixtures are the OData v3 shape", () => {
  it("uses the tables' period codes and measure keys", () => {
    expect(woz.value.every((r) => /^\d{4}JJ00$/.test(r.Perioden) && "GemiddeldeWOZWaardeVanWoningen_1" in r)).toBe(true);
    expect(stock.value.every((r) => /^\d{4}JJ00$/.test(r.Perioden) && "GemiddeldeOppervlakte_2" in r)).toBe(true);
    expect(index.value.every((r) => /^\d{4}MM\d{2}$/.test(r.Perioden) && "PrijsindexVerkoopprijzen_1" in r)).toBe(true);
  });
});

describe("CBS value basis", () => {
  it("gemeente average WOZ ÷ average area, indexed from January of the WOZ reference year", async () => {
    clearResolvedColumns();
    const { requests } = cbsStandIn();
    const basis = await fetchValueBasis("GM1963", { retryDelayMs: 1 });
    // WOZ year 2024 (356 k, valued 1-1-2023) over 122 m² (stock on 1-1-2025), × 126.3 / 112.4.
    expect(basis).toEqual({
      source: "CBS StatLine",
      synthetic: false,
      level: "gemeente",
      regionCode: "GM1963",
      eurPerM2: Math.round((356000 / 122) * 1.124),
      woz: { table: "85036NED", column: "GemiddeldeWOZWaardeVanWoningen_1", period: "2024JJ00", avgEur: 356000 },
      referenceDate: "2023-01-01",
      surface: { table: "85035NED", column: "GemiddeldeOppervlakte_2", period: "2025JJ00", avgM2: 122 },
      priceIndex: { table: "85773NED", column: "PrijsindexVerkoopprijzen_1", basePeriod: "2023MM01", period: "2025MM05", factor: 1.124 },
    });
    expect(requests.map((r) => r.filter)).toEqual(
      expect.arrayContaining([
        "startswith(RegioS,'GM1963') and Eigendom eq 'T001132'",
        "startswith(RegioS,'GM1963') and Woningkenmerk eq 'T001727'",
        "substringof('MM',Perioden)",
      ]),
    );
  });

  it("returns null for a gemeente CBS has no rows for, and asks nothing for a bad code", async () => {
    const { requests } = cbsStandIn();
    expect(await fetchValueBasis("GM0001", { retryDelayMs: 1 })).toBeNull();
    const before = requests.length;
    expect(await fetchValueBasis("0344", { retryDelayMs: 1 })).toBeNull();
    expect(requests.length).toBe(before);
  });

  it("an unreachable CBS is a register error", async () => {
    clearResolvedColumns();
    const standIn = cbsStandIn();
    standIn.fail = true;
    await expect(fetchValueBasis("GM1963", { retryDelayMs: 1 })).rejects.toBeInstanceOf(RegisterError);
    clearResolvedColumns();
  });

  it("no price index without the base month", () => {
    expect(indexFactor(index.value, "PrijsindexVerkoopprijzen_1", 2019)).toBeNull();
    expect(indexFactor(index.value, "PrijsindexVerkoopprijzen_1", 2024)).toEqual({
      basePeriod: "2024MM01",
      period: "2025MM05",
      factor: 1.091,
    });
  });
});

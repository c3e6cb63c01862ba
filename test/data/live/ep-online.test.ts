import { HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { fetchLabels, labelMethod } from "../../../src/data/live/ep-online";
import { RegisterError } from "../../../src/data/types";
import notFound from "../../fixtures/registers/ep-online-404.json";
import labels from "../../fixtures/registers/ep-online-0611010000508342.json";
import { EP_ONLINE_KEY as API_KEY, epOnlineStandIn, EP_ONLINE_UNIT as UNIT } from "../../helpers/registers";

/**
 * Contract tests for the EP-Online v5 adapter. The fixture records are synthetic (EP-Online's
 * terms forbid redistributing real ones) in the real v5 shape: an array of PandEnergielabelV5
 * objects, one expired Energie-Index registration and one current NTA 8800 registration. The
 * 401 body is EP-Online's documented one.
 */

describe("EP-Online fixtures are the v5 shape", () => {
  it("is an array of registrations with the v5 field names", () => {
    expect(Array.isArray(labels)).toBe(true);
    for (const r of labels) {
      expect(Object.keys(r)).toEqual(
        expect.arrayContaining(["Registratiedatum", "Opnamedatum", "Geldig_tot", "Energieklasse", "BAGVerblijfsobjectID", "BAGPandIDs"]),
      );
      expect(Array.isArray(r.BAGPandIDs)).toBe(true);
    }
  });
});

describe("EP-Online adapter", () => {
  it("sends the raw key in Authorization (no Bearer) and maps every registration, newest first", async () => {
    const { requests } = epOnlineStandIn();
    const result = await fetchLabels(UNIT, API_KEY, { retryDelayMs: 1 });
    expect(requests).toHaveLength(1);
    expect(requests[0]?.authorization).toBe(API_KEY);
    expect(new URL(requests[0]?.url ?? "").pathname).toBe(`/api/v5/PandEnergielabel/AdresseerbaarObject/${UNIT}`);
    expect(result).toEqual([
      {
        id: `${UNIT}@2024-05-10T09:12:44.12`,
        unitId: UNIT,
        energyClass: "C",
        registeredAt: "2024-05-10T09:12:44.12",
        inspectedAt: "2024-04-30T00:00:00",
        validUntil: "2034-04-30T00:00:00",
        method: "NTA 8800",
        calculationType: "NTA 8800:2023",
        ep2KwhM2: 231.7,
        energyIndex: null,
        buildingType: "Vrijstaande woning",
        buildYear: 1920,
        thermalAreaM2: 91.3,
      },
      {
        // expired (Geldig_tot 2021), kept as history
        id: `${UNIT}@2011-09-14T11:02:10.5`,
        unitId: UNIT,
        energyClass: "E",
        registeredAt: "2011-09-14T11:02:10.5",
        inspectedAt: "2011-09-01T00:00:00",
        validUntil: "2021-09-01T00:00:00",
        method: "Energie-Index",
        calculationType: "ISSO 82.3",
        ep2KwhM2: null,
        energyIndex: 2.21,
        buildingType: "Vrijstaande woning",
        buildYear: 1920,
        thermalAreaM2: 88,
      },
    ]);
  });

  it("answers [] for a 404", async () => {
    epOnlineStandIn(() => HttpResponse.json(notFound, { status: 404 }));
    expect(await fetchLabels("0611010000999999", API_KEY)).toEqual([]);
  });

  it("explains a missing or invalid key without repeating it", async () => {
    epOnlineStandIn();
    const wrongKey = "wrong-key-0b3f5a9c";
    const error = await fetchLabels(UNIT, wrongKey).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegisterError);
    const message = (error as RegisterError).message;
    expect(message).toMatch(/EP-Online refused the request: its API key is missing or invalid/);
    expect(message).not.toContain(wrongKey);
    expect((error as RegisterError).stack ?? "").not.toContain(wrongKey);
  });

  it("never sends the placeholder id or a non-unit id", async () => {
    const { requests } = epOnlineStandIn();
    expect(await fetchLabels("0000000000000000", API_KEY)).toEqual([]);
    expect(await fetchLabels("0611100000408245", API_KEY)).toEqual([]);
    expect(await fetchLabels("../Mutatiebestand", API_KEY)).toEqual([]);
    expect(requests).toHaveLength(0);
  });

  it("drops registrations for another object and ones it cannot store", async () => {
    const other = { ...labels[1], BAGVerblijfsobjectID: "0611010000508401", Registratiedatum: "2025-01-01T00:00:00" };
    const noClass = { ...labels[1], Energieklasse: null, Registratiedatum: "2025-02-01T00:00:00" };
    epOnlineStandIn(() => HttpResponse.json([...labels, other, noClass]));
    const result = await fetchLabels(UNIT, API_KEY);
    expect(result.map((l) => l.registeredAt)).toEqual(["2024-05-10T09:12:44.12", "2011-09-14T11:02:10.5"]);
  });
});

describe("label method", () => {
  const none = { EnergieIndex: null, PrimaireFossieleEnergie: null, Berekeningstype: null, Registratiedatum: null };
  it("follows EnergieIndex vs PrimaireFossieleEnergie, then Berekeningstype, then the date", () => {
    expect(labelMethod({ ...none, EnergieIndex: 1.2 })).toBe("Energie-Index");
    expect(labelMethod({ ...none, PrimaireFossieleEnergie: 180 })).toBe("NTA 8800");
    expect(labelMethod({ ...none, Berekeningstype: "NTA 8800:2024" })).toBe("NTA 8800");
    expect(labelMethod({ ...none, Registratiedatum: "2015-03-01T00:00:00" })).toBe("Energie-Index");
    expect(labelMethod({ ...none, Registratiedatum: "2022-03-01T00:00:00" })).toBe("NTA 8800");
  });
});

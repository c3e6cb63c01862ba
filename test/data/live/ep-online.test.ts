import { HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { fetchLabels, labelMethod } from "../../../src/data/live/ep-online";
import { RegisterError } from "../../../src/data/types";
import { userFacingMessage } from "../../../src/errors";
import unauthorised from "../../fixtures/registers/ep-online-401.json";
import unauthorisedSource from "../../fixtures/registers/ep-online-401.json.source.md?raw";
import notFound from "../../fixtures/registers/ep-online-404.json";
import notFoundSource from "../../fixtures/registers/ep-online-404.json.source.md?raw";
import labels from "../../fixtures/registers/ep-online-0611010000508342.json";
import labelsSource from "../../fixtures/registers/ep-online-0611010000508342.json.source.md?raw";
import { EP_ONLINE_KEY as API_KEY, epOnlineStandIn, EP_ONLINE_UNIT as UNIT } from "../../helpers/registers";

/**
 * Contract tests for the EP-Online v5 adapter. The fixture records are synthetic (EP-Online's
 * terms forbid redistributing real ones) in the real v5 shape: an array of PandEnergielabelV5
 * objects, one expired Energie-Index registration and one current NTA 8800 registration. The
 * 401 body is EP-Online's documented one. Where each fixture's format was confirmed is in its
 * sibling `*.source.md` (test/fixtures/registers/).
 */

const fast = { retryDelayMs: 1, timeoutMs: 10_000 };

describe("EP-Online fixtures are the v5 shape", () => {
  it.each([
    ["ep-online-0611010000508342.json", labelsSource],
    ["ep-online-401.json", unauthorisedSource],
    ["ep-online-404.json", notFoundSource],
  ])("%s says where its format was confirmed", (name, source) => {
    expect(source).toContain(name);
    expect(source).toMatch(/^Confirmed:/m);
  });

  it("keeps EP-Online's documented 401 body", () => {
    expect(unauthorised.detail).toBe("Valid API key required to access this resource.");
  });

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
        id: `${UNIT}@2024-05-10T09:12:44.120+02:00`,
        unitId: UNIT,
        energyClass: "C",
        registeredAt: "2024-05-10T09:12:44.120+02:00",
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
        id: `${UNIT}@2011-09-14T11:02:10.500+02:00`,
        unitId: UNIT,
        energyClass: "E",
        registeredAt: "2011-09-14T11:02:10.500+02:00",
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
    expect(result.map((l) => l.registeredAt)).toEqual(["2024-05-10T09:12:44.120+02:00", "2011-09-14T11:02:10.500+02:00"]);
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

describe("EP-Online registration times", () => {
  const at = (Registratiedatum: string, Energieklasse = "B") => ({ ...labels[1], Registratiedatum, Energieklasse });

  it("sorts the history by the instant, whatever form each time is written in", async () => {
    epOnlineStandIn(() =>
      HttpResponse.json([
        at("2024-05-10T09:12:44.12", "C"), // no zone: Dutch local time, 07:12:44 UTC
        at("2024-05-10T08:00:00Z", "B"), // later, though its text sorts before the first
        at("2024-05-10", "D"), // the start of that day in the Netherlands
        at("2023-12-31T23:30:00-01:00", "E"), // 1 January 2024 00:30 UTC
        at("2024-01-01T01:00:00.1234567", "F"), // seven fraction digits (.NET); 00:00 UTC
      ]),
    );
    const result = await fetchLabels(UNIT, API_KEY, fast);
    expect(result.map((l) => [l.energyClass, l.registeredAt])).toEqual([
      ["B", "2024-05-10T10:00:00.000+02:00"],
      ["C", "2024-05-10T09:12:44.120+02:00"],
      ["D", "2024-05-10T00:00:00.000+02:00"],
      ["E", "2024-01-01T01:30:00.000+01:00"],
      ["F", "2024-01-01T01:00:00.123+01:00"],
    ]);
    // Each canonical time parses back to the same instant.
    expect(Date.parse(result[0]?.registeredAt ?? "")).toBe(Date.UTC(2024, 4, 10, 8));
  });

  it("keeps one registration written twice in two forms once", async () => {
    epOnlineStandIn(() => HttpResponse.json([at("2024-05-10T09:12:44.120"), at("2024-05-10T07:12:44.12Z")]));
    expect(await fetchLabels(UNIT, API_KEY, fast)).toHaveLength(1);
  });

  it("drops a registration whose time is not a time, and one with a class EP-Online does not use", async () => {
    epOnlineStandIn(() =>
      HttpResponse.json([at("gisteren"), at("2024-02-30T10:00:00"), at("2024-05-10T09:00:00", "H"), at("2024-06-01T12:00:00", "a++++")]),
    );
    const result = await fetchLabels(UNIT, API_KEY, fast);
    expect(result.map((l) => l.energyClass)).toEqual(["A++++"]);
  });

  it("parses every class from A+++++ to G", async () => {
    const classes = ["A+++++", "A++++", "A+++", "A++", "A+", "A", "B", "C", "D", "E", "F", "G"];
    epOnlineStandIn(() => HttpResponse.json(classes.map((c, i) => at(`2024-01-${String(i + 1).padStart(2, "0")}T12:00:00`, c))));
    const result = await fetchLabels(UNIT, API_KEY, fast);
    expect(result.map((l) => l.energyClass).reverse()).toEqual(classes);
  });

  it("takes an answer that is one registration, not an array, as a list of one", async () => {
    epOnlineStandIn(() => HttpResponse.json(labels[1]));
    expect((await fetchLabels(UNIT, API_KEY, fast)).map((l) => l.energyClass)).toEqual(["C"]);
  });
});

describe("EP-Online error answers", () => {
  /** What a tool would show for the error `fetchLabels` throws. */
  async function toolMessage(): Promise<string> {
    const error = await fetchLabels(UNIT, API_KEY, fast).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegisterError);
    expect((error as RegisterError).register).toBe("ep-online");
    return userFacingMessage(error, "Get_Property_Energy_Label", { event: "tool_failed", reference: "request id test" }).message;
  }

  it("404: no label, not an error", async () => {
    epOnlineStandIn(() => HttpResponse.json(notFound, { status: 404 }));
    expect(await fetchLabels(UNIT, API_KEY, fast)).toEqual([]);
  });

  it("429 (after its one retry): too many requests, naming EP-Online", async () => {
    const { requests } = epOnlineStandIn(() =>
      HttpResponse.json({ status: 429, title: "Too Many Requests" }, { status: 429, headers: { "retry-after": "0" } }),
    );
    expect(await toolMessage()).toBe("EP-Online is receiving too many requests right now; try again in a minute. (register: ep-online)");
    expect(requests).toHaveLength(2);
  });

  it.each([500, 502, 503, 504])("%d: not available, naming EP-Online", async (status) => {
    epOnlineStandIn(() => new HttpResponse("<html>Service Unavailable</html>", { status, headers: { "content-type": "text/html" } }));
    expect(await toolMessage()).toBe(`EP-Online is not available right now (HTTP ${status}); try again later. (register: ep-online)`);
  });

  it("401: the key, without repeating it", async () => {
    epOnlineStandIn();
    const error = await fetchLabels(UNIT, "not-the-key", fast).catch((e: unknown) => e);
    const message = userFacingMessage(error, "x", { event: "tool_failed", reference: "r" }).message;
    expect(message).toMatch(/^EP-Online refused the request: its API key is missing or invalid\..*\(register: ep-online\)$/);
    expect(message).not.toContain("not-the-key");
  });

  it.each([
    ["a body that is not JSON", () => new HttpResponse("<html>maintenance</html>", { status: 200 })],
    ["JSON that is not a registration list", () => HttpResponse.json("Valid API key required")],
    ["an array of something else", () => HttpResponse.json([1, 2, 3])],
  ])("malformed: %s gives a format error naming EP-Online", async (_what, answer) => {
    epOnlineStandIn(answer);
    expect(await toolMessage()).toMatch(
      /^EP-Online answered (with something that is not JSON|in an unexpected format); try again later\. \(register: ep-online\)$/,
    );
  });
});

import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { CBS_ODATA_BASE, fetchNeighbourhood, KWB_COLUMNS, kwbAttribution } from "../../../src/data/live/cbs";
import { clearResolvedColumns, resolveColumns, stableKey } from "../../../src/data/live/cbs-properties";
import { fetchValueBasis } from "../../../src/data/live/cbs-value";
import { RegisterError } from "../../../src/data/types";
import { userFacingMessage } from "../../../src/errors";
import kwbProps from "../../fixtures/registers/cbs-85984NED-dataproperties.json";
import buurt01 from "../../fixtures/registers/cbs-85984NED-typeddataset-BU19630601.json";
import buurt02 from "../../fixtures/registers/cbs-85984NED-typeddataset-BU19630602.json";
import cbsEmptyRows from "../../fixtures/registers/cbs-85984NED-typeddataset-empty.json";
import { mockServer } from "../../helpers/msw";
import { cbsStandIn } from "../../helpers/registers";

/**
 * Contract tests for the CBS KWB OData v3 adapter. Fixtures follow `TypedDataSet` and the
 * `WijkenEnBuurten` dimension of table 85984NED (2024): `value` arrays, space-padded region
 * codes and names, table-specific column suffixes, WOZ in ×1000 EUR, null where CBS publishes
 * nothing. The codes and figures are illustrative, not CBS's published numbers. Where each
 * fixture's format was confirmed: its sibling `*.source.md` in test/fixtures/registers/.
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
      dwellings: 1342,
      // The GM1963 row of the same table.
      municipalityAvgWozThousands: 356,
      pctOwnerOccupied: 71.2,
      distGpKm: 0.7,
      distSupermarketKm: 0.6,
      distSchoolKm: 0.5,
    });
    expect(requests).toEqual(
      expect.arrayContaining([
        { path: "TypedDataSet", filter: "WijkenEnBuurten eq 'BU19630601'", format: "json" },
        { path: "WijkenEnBuurten", filter: "startswith(Key,'BU19630601') or startswith(Key,'WK196306')", format: "json" },
        { path: "TypedDataSet", filter: "startswith(WijkenEnBuurten,'GM1963')", format: "json" },
      ]),
    );
    expect(requests).toHaveLength(3);
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
    expect(requests).toHaveLength(3);
    expect(await fetchNeighbourhood("BU1963' or 1 eq 1")).toBeNull();
    expect(await fetchNeighbourhood("WK196306")).toBeNull();
    expect(requests).toHaveLength(3);
  });

  it("reads the municipality's average WOZ from the GM row of the same table; without that row it is null", async () => {
    cbsStandIn();
    expect((await fetchNeighbourhood("BU19630601"))?.municipalityAvgWozThousands).toBe(356);
    mockServer.use(
      http.get(`${TABLE}/TypedDataSet`, ({ request }) =>
        new URL(request.url).searchParams.get("$filter")?.startsWith("startswith(WijkenEnBuurten,'GM")
          ? HttpResponse.json(cbsEmptyRows)
          : HttpResponse.json(buurt01),
      ),
    );
    expect(await fetchNeighbourhood("BU19630601")).toMatchObject({ avgWozThousands: 341, municipalityAvgWozThousands: null });
  });

  it("a failing GM-row request fails the buurt's fetch (same register and table), never caching half a row", async () => {
    cbsStandIn();
    mockServer.use(
      http.get(`${TABLE}/TypedDataSet`, ({ request }) =>
        new URL(request.url).searchParams.get("$filter")?.startsWith("startswith(WijkenEnBuurten,'GM")
          ? new HttpResponse("Internal Server Error", { status: 500 })
          : HttpResponse.json(buurt01),
      ),
    );
    await expect(fetchNeighbourhood("BU19630601", { retryDelayMs: 1 })).rejects.toBeInstanceOf(RegisterError);
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

describe("CBS error answers", () => {
  const fast = { retryDelayMs: 1, timeoutMs: 10_000 };
  const BUURT = "BU19630601";
  const typedDataSet = `${TABLE}/TypedDataSet`;

  /** What a tool would show for the error `run` throws: a RegisterError of the CBS register. */
  async function toolMessage(run: () => Promise<unknown>): Promise<string> {
    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegisterError);
    expect((error as RegisterError).register).toBe("cbs-kwb");
    return userFacingMessage(error, "Get_Neighbourhood_Data", { event: "tool_failed", reference: "request id test" }).message;
  }
  const neighbourhood = () => fetchNeighbourhood(BUURT, fast);
  /** Whether a TypedDataSet request asks for the buurt's row (the GM row is asked beside it). */
  const forBuurt = (request: { url: string }) => new URL(request.url).searchParams.get("$filter")?.includes(BUURT) ?? false;
  const valueBasis = () => fetchValueBasis("GM1963", fast);

  it("an unknown buurt is an empty `value` (null, not an error); a 404 is never read as 'not found'", async () => {
    cbsStandIn();
    expect(await fetchNeighbourhood("BU19639999", fast)).toBeNull();
    // The adapter passes no notFoundStatuses: a 404 means a moved table or path, a register error, not retried.
    let calls = 0;
    mockServer.use(
      http.get(typedDataSet, ({ request }) => {
        if (forBuurt(request)) calls++;
        return new HttpResponse("Not Found", { status: 404 });
      }),
    );
    expect(await toolMessage(neighbourhood)).toBe("CBS rejected the request (HTTP 404). (register: cbs-kwb)");
    expect(calls).toBe(1);
  });

  it.each([
    ["DataProperties of the KWB table", `${TABLE}/DataProperties`, neighbourhood],
    ["the WijkenEnBuurten names", `${TABLE}/WijkenEnBuurten`, neighbourhood],
    ["DataProperties of the WOZ table (value basis)", `${CBS_ODATA_BASE}/85036NED/DataProperties`, valueBasis],
    ["the WOZ rows (value basis)", `${CBS_ODATA_BASE}/85036NED/TypedDataSet`, valueBasis],
    ["the price index rows (value basis)", `${CBS_ODATA_BASE}/85773NED/TypedDataSet`, valueBasis],
  ])("404 on %s: a register error naming CBS", async (_what, url, run) => {
    clearResolvedColumns();
    cbsStandIn();
    mockServer.use(http.get(url, () => new HttpResponse("Not Found", { status: 404 })));
    expect(await toolMessage(run)).toBe("CBS rejected the request (HTTP 404). (register: cbs-kwb)");
    clearResolvedColumns();
  });

  it("429 (after its one retry): too many requests, naming CBS", async () => {
    cbsStandIn();
    let calls = 0;
    mockServer.use(
      http.get(typedDataSet, ({ request }) => {
        if (forBuurt(request)) calls++;
        return new HttpResponse("Too Many Requests", { status: 429, headers: { "retry-after": "0" } });
      }),
    );
    expect(await toolMessage(neighbourhood)).toBe(
      "CBS is receiving too many requests right now; try again in a minute. (register: cbs-kwb)",
    );
    expect(calls).toBe(2);
  });

  it("429 with a Retry-After too long to wait for: no retry, the same message", async () => {
    cbsStandIn();
    let calls = 0;
    mockServer.use(
      http.get(typedDataSet, ({ request }) => {
        if (forBuurt(request)) calls++;
        return new HttpResponse(null, { status: 429, headers: { "retry-after": "120" } });
      }),
    );
    expect(await toolMessage(neighbourhood)).toBe(
      "CBS is receiving too many requests right now; try again in a minute. (register: cbs-kwb)",
    );
    expect(calls).toBe(1);
  });

  it.each([
    [500, 1],
    [502, 2],
    [503, 2],
    [504, 2],
  ])("%d: not available, naming CBS (%d attempt(s))", async (status, attempts) => {
    cbsStandIn();
    let calls = 0;
    mockServer.use(
      http.get(typedDataSet, ({ request }) => {
        if (forBuurt(request)) calls++;
        return new HttpResponse("<html>Service Unavailable</html>", { status, headers: { "content-type": "text/html" } });
      }),
    );
    expect(await toolMessage(neighbourhood)).toBe(`CBS is not available right now (HTTP ${status}); try again later. (register: cbs-kwb)`);
    expect(calls).toBe(attempts);
  });

  it("5xx on DataProperties: not available, and the failed read is not kept", async () => {
    clearResolvedColumns();
    const standIn = cbsStandIn();
    standIn.fail = true;
    expect(await toolMessage(neighbourhood)).toBe("CBS is not available right now (HTTP 503); try again later. (register: cbs-kwb)");
    standIn.fail = false;
    expect(await fetchNeighbourhood(BUURT, fast)).toMatchObject({ code: BUURT, avgWozThousands: 341 });
  });

  it("5xx on one value-basis table: the whole basis fails, naming CBS", async () => {
    cbsStandIn();
    mockServer.use(http.get(`${CBS_ODATA_BASE}/85773NED/TypedDataSet`, () => new HttpResponse("down", { status: 503 })));
    expect(await toolMessage(valueBasis)).toBe("CBS is not available right now (HTTP 503); try again later. (register: cbs-kwb)");
  });

  it.each([
    ["an HTML page", () => new HttpResponse("<html>maintenance</html>", { status: 200, headers: { "content-type": "text/html" } })],
    ["truncated JSON", () => new HttpResponse('{"odata.metadata":"x","value":[{"ID":1', { status: 200 })],
    ["an empty body", () => new HttpResponse("", { status: 200 })],
  ])("malformed: %s gives a not-JSON error naming CBS", async (_what, answer) => {
    cbsStandIn();
    mockServer.use(http.get(typedDataSet, answer));
    expect(await toolMessage(neighbourhood)).toBe("CBS answered with something that is not JSON; try again later. (register: cbs-kwb)");
  });

  it.each([
    ["OData v2 verbose `d.results`", { d: { results: buurt01.value } }],
    ["an OData error object with status 200", { "odata.error": { code: "", message: { lang: "en-US", value: "error" } } }],
    ["`value` that is an object", { "odata.metadata": buurt01["odata.metadata"], value: buurt01.value[0] }],
    ["`value` rows that are not objects", { value: [1, 2] }],
    ["a bare array of rows", buurt01.value],
    ["JSON null", null],
  ])("wrong envelope on TypedDataSet: %s gives a format error naming CBS", async (_what, body) => {
    cbsStandIn();
    mockServer.use(http.get(typedDataSet, () => HttpResponse.json(body)));
    expect(await toolMessage(neighbourhood)).toBe("CBS answered in an unexpected format; try again later. (register: cbs-kwb)");
  });

  it("wrong envelope on the names dimension (Key not a string): a format error naming CBS", async () => {
    cbsStandIn();
    mockServer.use(http.get(`${TABLE}/WijkenEnBuurten`, () => HttpResponse.json({ value: [{ Key: 196306, Title: "Klaaswaal" }] })));
    expect(await toolMessage(neighbourhood)).toBe("CBS answered in an unexpected format; try again later. (register: cbs-kwb)");
  });

  it("wrong envelope on DataProperties: a format error; topics without keys: the table lacks its columns", async () => {
    clearResolvedColumns();
    cbsStandIn();
    mockServer.use(http.get(`${TABLE}/DataProperties`, () => HttpResponse.json({ d: { results: kwbProps.value } })));
    expect(await toolMessage(neighbourhood)).toBe("CBS answered in an unexpected format; try again later. (register: cbs-kwb)");
    mockServer.use(http.get(`${TABLE}/DataProperties`, () => HttpResponse.json({ value: kwbProps.value.map(({ Key: _key, ...p }) => p) })));
    expect(await toolMessage(neighbourhood)).toBe("CBS table 85984NED lacks the expected columns; try again later. (register: cbs-kwb)");
    clearResolvedColumns();
  });

  it("wrong envelope on a value-basis table: a format error naming CBS", async () => {
    cbsStandIn();
    mockServer.use(http.get(`${CBS_ODATA_BASE}/85035NED/TypedDataSet`, () => HttpResponse.json({ value: "GM1963" })));
    expect(await toolMessage(valueBasis)).toBe("CBS answered in an unexpected format; try again later. (register: cbs-kwb)");
  });
});

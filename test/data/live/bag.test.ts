import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { BAG_OGC_BASE, buildingFeatureId, fetchUnit, splitPurposes, unitKind } from "../../../src/data/live/pdok-bag";
import { RegisterError } from "../../../src/data/types";
import { userFacingMessage } from "../../../src/errors";
import pand1920 from "../../fixtures/registers/bag-pand-0611100000408245.json";
import pandSource1920 from "../../fixtures/registers/bag-pand-0611100000408245.json.source.md?raw";
import pandSource1965 from "../../fixtures/registers/bag-pand-0611100000408301.json.source.md?raw";
import pandSource1998 from "../../fixtures/registers/bag-pand-0611100000408302.json.source.md?raw";
import vbo37 from "../../fixtures/registers/bag-verblijfsobject-0611010000508342.json";
import vboSource37 from "../../fixtures/registers/bag-verblijfsobject-0611010000508342.json.source.md?raw";
import vbo41 from "../../fixtures/registers/bag-verblijfsobject-0611010000508404.json";
import vboSource41 from "../../fixtures/registers/bag-verblijfsobject-0611010000508404.json.source.md?raw";
import vboSourceEmpty from "../../fixtures/registers/bag-verblijfsobject-empty.json.source.md?raw";
import { mockServer } from "../../helpers/msw";
import { bagStandIn } from "../../helpers/registers";

/**
 * Contract tests for the PDOK BAG OGC API Features v2 adapter. Fixtures follow the API's GeoJSON
 * (FeatureCollection with `features[].properties`, `gebruiksdoel` as a comma-separated string,
 * `pand.href` as OGC item URLs ending in a feature UUID, `bouwjaar` an integer). The unit and
 * pand of Schenkeldijk 37 carry the real ids, area and build year from the reference's BAG
 * example; the feature UUIDs and the mixed-use unit at number 41 are illustrative. Where each
 * fixture's format was confirmed is in its sibling `*.source.md` (test/fixtures/registers/).
 */

const fast = { retryDelayMs: 1, timeoutMs: 10_000 };

const BAG_ID = /^\d{4}(01|02|03|10|20|30)\d{10}$/;
describe("BAG fixtures are the real wire format", () => {
  it.each([
    ["bag-pand-0611100000408245.json", pandSource1920],
    ["bag-pand-0611100000408301.json", pandSource1965],
    ["bag-pand-0611100000408302.json", pandSource1998],
    ["bag-verblijfsobject-0611010000508342.json", vboSource37],
    ["bag-verblijfsobject-0611010000508404.json", vboSource41],
    ["bag-verblijfsobject-empty.json", vboSourceEmpty],
  ])("%s says where its format was confirmed", (name, source) => {
    expect(source).toContain(name);
    expect(source).toMatch(/^Confirmed:/m);
  });

  it("has GeoJSON features with a comma string gebruiksdoel, pand.href URLs and an integer bouwjaar", () => {
    expect(vbo37.type).toBe("FeatureCollection");
    const props = vbo41.features[0]?.properties;
    expect(props?.gebruiksdoel).toBe("winkelfunctie,woonfunctie");
    expect(props?.["pand.href"]).toHaveLength(2);
    expect(props?.identificatie).toMatch(BAG_ID);
    expect(vbo37.features[0]?.geometry.coordinates[0]).toBeLessThan(vbo37.features[0]?.geometry.coordinates[1] ?? 0);
    expect(Number.isInteger(pand1920.properties.bouwjaar)).toBe(true);
    expect(pand1920.properties.identificatie).toMatch(/^\d{4}10\d{10}$/);
  });
});

describe("BAG adapter", () => {
  it("maps a verblijfsobject and its pand", async () => {
    const { requests } = bagStandIn();
    const result = await fetchUnit("0611010000508342", { retryDelayMs: 1 });
    expect(result).toEqual({
      unit: {
        id: "0611010000508342",
        kind: "verblijfsobject",
        status: "Verblijfsobject in gebruik",
        usePurposes: ["woonfunctie"],
        // The OGC API does not publish "in onderzoek": unknown, not false.
        inResearch: null,
        surfaceM2: 84,
        mainAddressId: "0611200000608342",
      },
      buildings: [{ id: "0611100000408245", buildYear: 1920, status: "Pand in gebruik" }],
    });
    expect(requests[0]?.pathname).toBe("/kadaster/bag/ogc/v2/collections/verblijfsobject/items");
    expect(Object.fromEntries(requests[0]?.searchParams ?? [])).toEqual({ f: "json", identificatie: "0611010000508342", limit: "10" });
    expect(requests[1]?.pathname).toBe(`/kadaster/bag/ogc/v2/collections/pand/items/${pand1920.id}`);
  });

  it("splits a mixed gebruiksdoel and follows every pand", async () => {
    bagStandIn();
    const result = await fetchUnit("0611010000508404");
    expect(result?.unit.usePurposes).toEqual(["winkelfunctie", "woonfunctie"]);
    expect(result?.buildings).toEqual([
      { id: "0611100000408301", buildYear: 1965, status: "Pand in gebruik" },
      { id: "0611100000408302", buildYear: 1998, status: "Verbouwing pand" },
    ]);
  });

  it("returns null for an unknown unit and asks nothing for an id that is not a unit", async () => {
    const { requests } = bagStandIn();
    expect(await fetchUnit("0611010000999999")).toBeNull();
    expect(requests).toHaveLength(1);
    expect(await fetchUnit("0611100000408245")).toBeNull();
    expect(await fetchUnit("0000000000000000")).toBeNull();
    expect(requests).toHaveLength(1);
  });

  it("never follows a pand.href outside this API, and skips a pand that is gone", async () => {
    const { requests } = bagStandIn();
    const feature = vbo37.features[0];
    const tampered = {
      ...vbo37,
      features: [
        {
          ...feature,
          properties: {
            ...feature?.properties,
            "pand.href": [
              "https://evil.example/kadaster/bag/ogc/v2/collections/pand/items/abc",
              `${BAG_OGC_BASE}/collections/pand/items/../../verblijfsobject/items/x`,
              `${BAG_OGC_BASE}/collections/pand/items/00000000-0000-5000-8000-000000000000`,
              `${BAG_OGC_BASE}/collections/pand/items/${pand1920.id}`,
            ],
          },
        },
      ],
    };
    mockServer.use(http.get(`${BAG_OGC_BASE}/collections/verblijfsobject/items`, () => HttpResponse.json(tampered)));
    const result = await fetchUnit("0611010000508342");
    expect(result?.buildings.map((b) => b.id)).toEqual(["0611100000408245"]);
    expect(requests.every((u) => u.hostname === "api.pdok.nl")).toBe(true);
  });

  it("keeps an unknown area and an implausible build year as null, never 0", async () => {
    bagStandIn();
    const feature = vbo37.features[0];
    mockServer.use(
      http.get(`${BAG_OGC_BASE}/collections/verblijfsobject/items`, () =>
        HttpResponse.json({ ...vbo37, features: [{ ...feature, properties: { ...feature?.properties, oppervlakte: null } }] }),
      ),
      http.get(`${BAG_OGC_BASE}/collections/pand/items/:id`, () =>
        HttpResponse.json({ ...pand1920, properties: { ...pand1920.properties, bouwjaar: 9999 } }),
      ),
    );
    const result = await fetchUnit("0611010000508342");
    expect(result?.unit.surfaceM2).toBeNull();
    expect(result?.buildings[0]?.buildYear).toBeNull();
  });

  it("treats a malformed unit as a register error, not as a miss", async () => {
    const feature = vbo37.features[0];
    mockServer.use(
      http.get(`${BAG_OGC_BASE}/collections/verblijfsobject/items`, () =>
        HttpResponse.json({ ...vbo37, features: [{ ...feature, properties: { ...feature?.properties, status: 7 } }] }),
      ),
    );
    await expect(fetchUnit("0611010000508342")).rejects.toBeInstanceOf(RegisterError);
  });
});

describe("BAG helpers", () => {
  it("knows the unit kind from the type code", () => {
    expect(unitKind("0611010000508342")).toBe("verblijfsobject");
    expect(unitKind("0569020000012435")).toBe("ligplaats");
    expect(unitKind("0503030000103062")).toBe("standplaats");
    expect(unitKind("0611100000408245")).toBeNull();
  });

  it("splits gebruiksdoel strings and arrays", () => {
    expect(splitPurposes("woonfunctie")).toEqual(["woonfunctie"]);
    expect(splitPurposes("onderwijsfunctie,woonfunctie")).toEqual(["onderwijsfunctie", "woonfunctie"]);
    expect(splitPurposes("winkelfunctie, woonfunctie,woonfunctie,")).toEqual(["winkelfunctie", "woonfunctie"]);
    expect(splitPurposes(["onderwijsfunctie", "woonfunctie"])).toEqual(["onderwijsfunctie", "woonfunctie"]);
    expect(splitPurposes(["winkelfunctie,woonfunctie", " Woonfunctie ", ""])).toEqual(["winkelfunctie", "woonfunctie"]);
    expect(splitPurposes(null)).toEqual([]);
    expect(splitPurposes("")).toEqual([]);
    expect(splitPurposes([])).toEqual([]);
  });

  it("takes the feature id from a pand.href only on the API's own path", () => {
    expect(buildingFeatureId(`${BAG_OGC_BASE}/collections/pand/items/${pand1920.id}?f=json`)).toBe(pand1920.id);
    expect(buildingFeatureId("https://api.pdok.nl/kadaster/bag/ogc/v1/collections/pand/items/x")).toBeNull();
  });
});

describe("BAG use purposes in each form the API gives", () => {
  const feature = vbo41.features[0];
  const answering = (gebruiksdoel: unknown) =>
    mockServer.use(
      http.get(`${BAG_OGC_BASE}/collections/verblijfsobject/items`, () =>
        HttpResponse.json({ ...vbo41, features: [{ ...feature, properties: { ...feature?.properties, gebruiksdoel } }] }),
      ),
    );

  it.each([
    ["one string", "woonfunctie", ["woonfunctie"]],
    ["a comma-joined string", "onderwijsfunctie,woonfunctie", ["onderwijsfunctie", "woonfunctie"]],
    ["an array", ["onderwijsfunctie", "woonfunctie"], ["onderwijsfunctie", "woonfunctie"]],
    ["none (a ligplaats or standplaats)", null, []],
  ])("reads %s", async (_form, gebruiksdoel, expected) => {
    bagStandIn();
    answering(gebruiksdoel);
    const result = await fetchUnit("0611010000508404", fast);
    expect(result?.unit.usePurposes).toEqual(expected);
    expect(result?.unit.inResearch).toBeNull();
  });

  it("treats any other form as a register error", async () => {
    bagStandIn();
    answering({ woonfunctie: true });
    await expect(fetchUnit("0611010000508404", fast)).rejects.toBeInstanceOf(RegisterError);
  });
});

describe("BAG error answers", () => {
  const UNIT = "0611010000508342";
  const unitItems = `${BAG_OGC_BASE}/collections/verblijfsobject/items`;

  /** What a tool would show for the error `fetchUnit` throws. */
  async function toolMessage(): Promise<string> {
    const error = await fetchUnit(UNIT, fast).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegisterError);
    expect((error as RegisterError).register).toBe("pdok-bag");
    return userFacingMessage(error, "Get_Property_Data", { event: "tool_failed", reference: "request id test" }).message;
  }

  it("404 on a pand: that pand is skipped; an unknown unit is an empty collection, not an error", async () => {
    bagStandIn();
    mockServer.use(http.get(`${BAG_OGC_BASE}/collections/pand/items/:id`, () => HttpResponse.json({ code: "NotFound" }, { status: 404 })));
    expect((await fetchUnit(UNIT, fast))?.buildings).toEqual([]);
    expect(await fetchUnit("0611010000999999", fast)).toBeNull();
  });

  it("404 on the collection itself (a moved API): a register error naming PDOK BAG", async () => {
    mockServer.use(http.get(unitItems, () => HttpResponse.json({ code: "NotFound", description: "Not found" }, { status: 404 })));
    expect(await toolMessage()).toBe("PDOK BAG rejected the request (HTTP 404). (register: pdok-bag)");
  });

  it("429 (after its one retry): too many requests, naming PDOK BAG", async () => {
    let calls = 0;
    mockServer.use(
      http.get(unitItems, () => {
        calls++;
        return new HttpResponse("Too Many Requests", { status: 429, headers: { "retry-after": "0" } });
      }),
    );
    expect(await toolMessage()).toBe("PDOK BAG is receiving too many requests right now; try again in a minute. (register: pdok-bag)");
    expect(calls).toBe(2);
  });

  it.each([500, 502, 503, 504])("%d: not available, naming PDOK BAG", async (status) => {
    mockServer.use(
      http.get(unitItems, () => new HttpResponse("<html>Bad Gateway</html>", { status, headers: { "content-type": "text/html" } })),
    );
    expect(await toolMessage()).toBe(`PDOK BAG is not available right now (HTTP ${status}); try again later. (register: pdok-bag)`);
  });

  it("5xx on a pand: the whole answer fails (a unit without its panden is not cached as complete)", async () => {
    bagStandIn();
    mockServer.use(http.get(`${BAG_OGC_BASE}/collections/pand/items/:id`, () => new HttpResponse("down", { status: 503 })));
    expect(await toolMessage()).toBe("PDOK BAG is not available right now (HTTP 503); try again later. (register: pdok-bag)");
  });

  it.each([
    ["a body that is not JSON", () => new HttpResponse("<html>maintenance</html>", { status: 200 })],
    ["JSON that is not a FeatureCollection", () => HttpResponse.json({ type: "Feature", properties: {} })],
    ["features without properties", () => HttpResponse.json({ type: "FeatureCollection", features: [{ type: "Feature" }] })],
  ])("malformed: %s gives a format error naming PDOK BAG", async (_what, answer) => {
    mockServer.use(http.get(unitItems, answer));
    expect(await toolMessage()).toMatch(
      /^PDOK BAG answered (with something that is not JSON|in an unexpected format); try again later\. \(register: pdok-bag\)$/,
    );
  });
});

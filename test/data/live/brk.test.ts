import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { BRK_OGC_BASE, fetchParcel, fetchParcelsOfAddress, linkedParcelIds, parseParcelId } from "../../../src/data/live/pdok-brk";
import { LOCATIESERVER_FREE_URL } from "../../../src/data/live/pdok-locatieserver";
import { RegisterError } from "../../../src/data/types";
import { userFacingMessage } from "../../../src/errors";
import brkEmpty from "../../fixtures/registers/brk-perceel-empty.json";
import perceel from "../../fixtures/registers/brk-perceel-VLO00-E-600.json";
import perceelSource from "../../fixtures/registers/brk-perceel-VLO00-E-600.json.source.md?raw";
import linked from "../../fixtures/registers/locatieserver-gekoppeld-perceel.json";
import linkedSource from "../../fixtures/registers/locatieserver-gekoppeld-perceel.json.source.md?raw";
import { mockServer } from "../../helpers/msw";

/**
 * Contract tests for the PDOK BRK Kadastrale Kaart adapter (pdok-brk.ts) and the Locatieserver's
 * `gekoppeld_perceel` it starts from. Where each fixture's format was confirmed: its sibling
 * `*.source.md` in test/fixtures/registers/.
 */

const fast = { retryDelayMs: 1, timeoutMs: 10_000 };
const ITEMS = `${BRK_OGC_BASE}/collections/perceel/items`;
const ADDRESS = "0611200000608342";

function brkStandIn(): URL[] {
  const requests: URL[] = [];
  mockServer.use(
    http.get(ITEMS, ({ request }) => {
      const url = new URL(request.url);
      requests.push(url);
      const p = url.searchParams;
      const hit = p.get("akr_kadastrale_gemeente_code_waarde") === "VLO00" && p.get("sectie") === "E" && p.get("perceelnummer") === "600";
      return HttpResponse.json(hit ? perceel : brkEmpty);
    }),
    http.get(LOCATIESERVER_FREE_URL, ({ request }) => {
      const q = new URL(request.url).searchParams.get("q");
      return HttpResponse.json(
        q === `nummeraanduiding_id:${ADDRESS}`
          ? linked
          : { response: { numFound: 0, start: 0, maxScore: 0, numFoundExact: true, docs: [] } },
      );
    }),
  );
  return requests;
}

describe("BRK fixtures are the real wire format", () => {
  it.each([
    ["brk-perceel-VLO00-E-600.json", perceelSource],
    ["brk-perceel-empty.json", perceelSource],
    ["locatieserver-gekoppeld-perceel.json", linkedSource],
  ])("%s says where its format was confirmed", (name, source) => {
    expect(source).toContain(name);
    expect(source).toMatch(/^Confirmed:/m);
  });

  it("has snake_case properties with an integer perceelnummer and a numeric area", () => {
    const p = perceel.features[0]?.properties;
    expect(perceel.type).toBe("FeatureCollection");
    expect(Number.isInteger(p?.perceelnummer)).toBe(true);
    expect(typeof p?.kadastrale_grootte_waarde).toBe("number");
    expect(p?.akr_kadastrale_gemeente_code_waarde).toMatch(/^[A-Z]{3}\d{2}$/);
    expect(linked.response.docs[0]?.gekoppeld_perceel[0]).toMatch(/^[A-Z]{3}\d{2}-[A-Z]{1,2}-\d+$/);
  });
});

describe("BRK adapter", () => {
  it("parses kadastrale aanduidingen", () => {
    expect(parseParcelId("VLO00-E-600")).toEqual({ cadastralCode: "VLO00", section: "E", parcelNumber: 600 });
    expect(parseParcelId("AMF03-AB-12")).toEqual({ cadastralCode: "AMF03", section: "AB", parcelNumber: 12 });
    expect(parseParcelId("VLO00 E 600")).toBeNull();
    expect(parseParcelId("VLO00-E-0")).toBeNull();
    expect(parseParcelId("VLO00-E-600' OR 1=1")).toBeNull();
  });

  it("selects a parcel by property parameters and maps it", async () => {
    const requests = brkStandIn();
    expect(await fetchParcel("VLO00-E-600", fast)).toEqual({
      id: "VLO00-E-600",
      cadastralCode: "VLO00",
      cadastralName: "Venlo",
      section: "E",
      parcelNumber: 600,
      areaM2: 1234,
      areaKind: "Vastgesteld",
    });
    expect(requests[0]?.pathname).toBe("/kadaster/brk-kadastrale-kaart/ogc/v1/collections/perceel/items");
    expect(Object.fromEntries(requests[0]?.searchParams ?? [])).toEqual({
      f: "json",
      akr_kadastrale_gemeente_code_waarde: "VLO00",
      sectie: "E",
      perceelnummer: "600",
      limit: "10",
    });
  });

  it("returns null for a parcel BRK does not know, and asks nothing for a malformed id", async () => {
    const requests = brkStandIn();
    expect(await fetchParcel("VLO00-E-601", fast)).toBeNull();
    expect(await fetchParcel("not-a-parcel", fast)).toBeNull();
    expect(requests).toHaveLength(1);
  });

  it("reads the Locatieserver's links, then each parcel", async () => {
    brkStandIn();
    expect(await linkedParcelIds(ADDRESS, fast)).toEqual(["VLO00-E-600"]);
    expect(await linkedParcelIds("0611200000699999", fast)).toBeNull();
    expect((await fetchParcelsOfAddress(ADDRESS, fast))?.map((p) => p.id)).toEqual(["VLO00-E-600"]);
  });

  it("takes gekoppeld_perceel as a single string too, and no links as none", async () => {
    const doc = linked.response.docs[0];
    mockServer.use(
      http.get(LOCATIESERVER_FREE_URL, () =>
        HttpResponse.json({ response: { ...linked.response, docs: [{ ...doc, gekoppeld_perceel: "VLO00-E-600" }] } }),
      ),
    );
    expect(await linkedParcelIds(ADDRESS, fast)).toEqual(["VLO00-E-600"]);
    mockServer.use(
      http.get(LOCATIESERVER_FREE_URL, () =>
        HttpResponse.json({ response: { ...linked.response, docs: [{ nummeraanduiding_id: ADDRESS }] } }),
      ),
    );
    expect(await linkedParcelIds(ADDRESS, fast)).toEqual([]);
  });

  it("an answer that is not the parcel asked (selection ignored) is an error, not another parcel", async () => {
    mockServer.use(http.get(ITEMS, () => HttpResponse.json(perceel)));
    await expect(fetchParcel("VLO00-E-601", fast)).rejects.toBeInstanceOf(RegisterError);
  });
});

describe("BRK error answers", () => {
  async function toolMessage(): Promise<string> {
    const error = await fetchParcel("VLO00-E-600", fast).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegisterError);
    expect((error as RegisterError).register).toBe("pdok-brk");
    return userFacingMessage(error, "Get_Property_Data", { event: "tool_failed", reference: "request id test" }).message;
  }

  it("404 (a moved API): a register error naming PDOK BRK, not a miss", async () => {
    mockServer.use(http.get(ITEMS, () => HttpResponse.json({ code: "NotFound" }, { status: 404 })));
    expect(await toolMessage()).toBe("PDOK BRK Kadastrale Kaart rejected the request (HTTP 404). (register: pdok-brk)");
  });

  it("429 (after its one retry): too many requests, naming PDOK BRK", async () => {
    let calls = 0;
    mockServer.use(
      http.get(ITEMS, () => {
        calls++;
        return new HttpResponse("Too Many Requests", { status: 429, headers: { "retry-after": "0" } });
      }),
    );
    expect(await toolMessage()).toBe(
      "PDOK BRK Kadastrale Kaart is receiving too many requests right now; try again in a minute. (register: pdok-brk)",
    );
    expect(calls).toBe(2);
  });

  it.each([500, 502, 503, 504])("%d: not available, naming PDOK BRK", async (status) => {
    mockServer.use(http.get(ITEMS, () => new HttpResponse("<html>Bad Gateway</html>", { status })));
    expect(await toolMessage()).toBe(
      `PDOK BRK Kadastrale Kaart is not available right now (HTTP ${status}); try again later. (register: pdok-brk)`,
    );
  });

  it.each([
    ["a body that is not JSON", () => new HttpResponse("<html>maintenance</html>", { status: 200 })],
    ["JSON that is not a FeatureCollection", () => HttpResponse.json({ type: "Feature", properties: {} })],
    [
      "a feature without a sectie",
      () => HttpResponse.json({ type: "FeatureCollection", features: [{ properties: { perceelnummer: 600 } }] }),
    ],
  ])("malformed: %s gives a format error naming PDOK BRK", async (_what, answer) => {
    mockServer.use(http.get(ITEMS, answer));
    expect(await toolMessage()).toMatch(
      /^PDOK BRK Kadastrale Kaart answered (with something that is not JSON|in an unexpected format); try again later\. \(register: pdok-brk\)$/,
    );
  });
});

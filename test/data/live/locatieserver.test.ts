import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import {
  addressByNummeraanduiding,
  addressesAtPostcode,
  FIELDS,
  LOCATIESERVER_FREE_URL,
  matchAddress,
  normalisePostcode,
  parseAddressDoc,
  parsePoint,
  searchAddressText,
} from "../../../src/data/live/pdok-locatieserver";
import { LocatieserverSearch } from "../../../src/data/search";
import { RegisterError } from "../../../src/data/types";
import { parseAddressQuery } from "../../../src/domain/address-input";
import type { ToolContext } from "../../../src/mcp/catalog";
import { searchAddresses } from "../../../src/mcp/tools/search";
import error400 from "../../fixtures/registers/locatieserver-error-400.json";
import page1 from "../../fixtures/registers/locatieserver-free-3286LT-page1.json";
import noPostcodeById from "../../fixtures/registers/locatieserver-free-nopostcode-by-id.json";
import amsterdam from "../../fixtures/registers/locatieserver-free-search-amsterdam.json";
import { mockServer } from "../../helpers/msw";
import { LOCATIESERVER_DOCS, locatieserverStandIn } from "../../helpers/registers";

/**
 * Contract tests for the Locatieserver v3.1 `free` adapter. Fixtures are in the real wire format
 * (envelope `response.{numFound,start,maxScore,numFoundExact,docs}`, `huisletter` and
 * `huisnummertoevoeging` absent when empty, `centroide_ll` as `POINT(lon lat)`). Schenkeldijk 37,
 * 3286LT Klaaswaal carries the real BAG ids from the reference; the other addresses at the
 * postcode, the buurt/wijk codes and names are illustrative.
 */

const BAG_ID = /^\d{4}(01|02|03|10|20|30)\d{10}$/;

describe("Locatieserver fixtures are the real wire format", () => {
  it("has absent (not null) letter and addition, POINT(lon lat) and BAG-shaped ids", () => {
    const [bare, withLetter, withAddition] = page1.response.docs;
    expect(bare).not.toHaveProperty("huisletter");
    expect(bare).not.toHaveProperty("huisnummertoevoeging");
    expect(withLetter).toHaveProperty("huisletter", "A");
    expect(withAddition).toHaveProperty("huisnummertoevoeging", "1");
    for (const doc of LOCATIESERVER_DOCS) {
      expect(doc.nummeraanduiding_id).toMatch(BAG_ID);
      expect(doc.adresseerbaarobject_id).toMatch(BAG_ID);
      expect(doc.centroide_ll).toMatch(/^POINT\(4\.\d+ 51\.\d+\)$/);
      expect(typeof doc.huisnummer).toBe("number");
    }
  });
});

describe("Locatieserver adapter", () => {
  it("maps every address at a postcode, paging with start, in BAG order", async () => {
    const { requests } = locatieserverStandIn();
    const found = await addressesAtPostcode("3286 lt", undefined, { retryDelayMs: 1 });
    expect(found.map((a) => [a.houseNumber, a.houseLetter, a.houseNumberAddition])).toEqual([
      [37, null, null],
      [37, "A", null],
      [39, null, "1"],
      [39, null, "2"],
      [41, "B", "2"],
    ]);
    expect(found[0]).toEqual({
      id: "0611200000608342",
      unitId: "0611010000508342",
      postcode: "3286LT",
      houseNumber: 37,
      houseLetter: null,
      houseNumberAddition: null,
      street: "Schenkeldijk",
      place: "Klaaswaal",
      municipalityCode: "GM1963",
      municipalityName: "Hoeksche Waard",
      provinceCode: "PV28",
      provinceName: "Zuid-Holland",
      districtCode: "WK196306",
      districtName: "Klaaswaal",
      neighbourhoodCode: "BU19630601",
      neighbourhoodName: "Klaaswaal-Kern",
      // centroide_ll is POINT(lon lat): longitude first
      lat: 51.76043099,
      lon: 4.44064434,
    });
    for (const a of found) {
      expect(a.id).toMatch(/^\d{4}20\d{10}$/);
      expect(a.unitId).toMatch(/^\d{4}01\d{10}$/);
    }
    // Two pages: start advances by what came back.
    expect(requests.map((p) => p.get("start"))).toEqual(["0", "3"]);
  });

  it("sends only parameters v3.1 knows, with validated values", async () => {
    const { requests } = locatieserverStandIn();
    await addressesAtPostcode("3286LT", 39, { retryDelayMs: 1 });
    expect(requests).toHaveLength(1);
    const params = requests[0] as URLSearchParams;
    expect(new Set(params.keys())).toEqual(new Set(["q", "fq", "fl", "rows", "start"]));
    expect(params.get("q")).toBe("postcode:3286LT");
    expect(params.getAll("fq")).toEqual(["type:adres", "huisnummer:39"]);
    expect(params.get("rows")).toBe("100");
    expect(params.get("fl")).toBe(FIELDS);
    expect(FIELDS).toMatch(/^([a-z_]+ )*[a-z_]+$/);
  });

  it("asks nothing for an invalid postcode or house number", async () => {
    const { requests } = locatieserverStandIn();
    expect(await addressesAtPostcode("0123AB", undefined)).toEqual([]);
    expect(await addressesAtPostcode("1234SS", undefined)).toEqual([]);
    expect(await addressesAtPostcode("1234AB) OR (*:*", undefined)).toEqual([]);
    expect(await addressesAtPostcode("3286LT", 0)).toEqual([]);
    expect(await addressByNummeraanduiding("0611010000508342")).toBeNull();
    expect(requests).toHaveLength(0);
  });

  it("finds one address by number, then letter and addition", async () => {
    locatieserverStandIn();
    const at41 = await addressesAtPostcode("3286LT", 41);
    expect(matchAddress(at41, { postcode: "3286LT", houseNumber: 41, houseLetter: "b", houseNumberAddition: "2" })?.id).toBe(
      "0611200000608404",
    );
    expect(matchAddress(at41, { postcode: "3286LT", houseNumber: 41, houseLetter: null, houseNumberAddition: null })).toBeNull();
  });

  it("returns [] for an empty result", async () => {
    locatieserverStandIn();
    expect(await addressesAtPostcode("9999ZZ", undefined)).toEqual([]);
  });

  it("turns the 400 error body into a RegisterError", async () => {
    mockServer.use(http.get(LOCATIESERVER_FREE_URL, () => HttpResponse.json(error400, { status: 400 })));
    const error = await addressesAtPostcode("3286LT", undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegisterError);
    expect((error as RegisterError).register).toBe("pdok-locatieserver");
    expect((error as RegisterError).message).toBe("PDOK Locatieserver rejected the address search (HTTP 400).");
  });

  it("treats an answer with no readable address as a format change, not as no addresses", async () => {
    const broken = { response: { ...page1.response, docs: page1.response.docs.map((d) => ({ ...d, centroide_ll: "POINT(51.76 4.44)" })) } };
    mockServer.use(http.get(LOCATIESERVER_FREE_URL, () => HttpResponse.json(broken)));
    await expect(addressesAtPostcode("3286LT", undefined)).rejects.toThrow("PDOK Locatieserver answered in an unexpected format");
  });

  it("looks one address up by its nummeraanduiding id", async () => {
    const { requests } = locatieserverStandIn();
    expect((await addressByNummeraanduiding("0611200000608401"))?.houseLetter).toBe("A");
    expect(requests[0]?.get("q")).toBe("nummeraanduiding_id:0611200000608401");
    expect(requests[0]?.get("rows")).toBe("1");
  });
});

describe("Locatieserver parsing", () => {
  it("reads POINT(lon lat) longitude first and refuses points outside the Netherlands", () => {
    expect(parsePoint("POINT(5.40168265 52.16646193)")).toEqual({ lon: 5.40168265, lat: 52.16646193 });
    expect(parsePoint("POINT(52.16646193 5.40168265)")).toBeNull();
    expect(parsePoint("POINT(155990.61 464256.19)")).toBeNull();
  });

  it("normalises postcodes", () => {
    expect(normalisePostcode(" 3286 lt ")).toBe("3286LT");
    expect(normalisePostcode("3286L")).toBeNull();
    expect(normalisePostcode("1234SA")).toBeNull();
  });

  it("maps letter and addition to null when absent, and derives the wijk from the buurt", () => {
    const doc = { ...page1.response.docs[0], wijkcode: undefined, wijknaam: undefined };
    const address = parseAddressDoc(doc);
    expect(address).toMatchObject({ houseLetter: null, houseNumberAddition: null, districtCode: "WK196306", districtName: null });
    expect(parseAddressDoc({ ...doc, type: "weg" })).toBeNull();
    expect(parseAddressDoc({ ...doc, nummeraanduiding_id: "0611010000608342" })).toBeNull();
  });
});

function query(text: string) {
  const q = parseAddressQuery(text);
  if (!q.ok) throw new Error(q.error);
  return q.value;
}

describe("Locatieserver free-text search (Search_Addresses, live)", () => {
  it("asks free with fq=type:adres, plain words only, and maps every address, those without a postcode too", async () => {
    const seen: URLSearchParams[] = [];
    mockServer.use(
      http.get(LOCATIESERVER_FREE_URL, ({ request }) => {
        seen.push(new URL(request.url).searchParams);
        return HttpResponse.json(amsterdam);
      }),
    );
    const found = await searchAddressText(query('Keizersgracht 123-H "Amsterdam" (centrum):*'), 10, { retryDelayMs: 1 });
    expect([...(seen[0]?.keys() ?? [])].sort()).toEqual(["fl", "fq", "q", "rows", "start"]);
    expect(seen[0]?.get("fq")).toBe("type:adres");
    expect(seen[0]?.get("q")).toBe("keizersgracht amsterdam centrum 123H");
    expect(seen[0]?.get("fl")).toBe(`${FIELDS} weergavenaam score`);
    expect(found.numFound).toBe(3);
    expect(found.candidates.map((c) => [c.id, c.postcode, c.houseLetter, c.houseNumberAddition, c.score])).toEqual([
      ["0363200000112233", "1015CJ", null, "H", 21.36],
      ["0363200000112235", "1015CJ", null, "1", 21.36],
      ["0363200000112237", null, "B", null, 19.8],
    ]);
  });

  it("ranks the exact number first in either reading of a lone letter (Amsterdam's 123-H is toevoeging H)", async () => {
    mockServer.use(http.get(LOCATIESERVER_FREE_URL, () => HttpResponse.json(amsterdam)));
    const search = new LocatieserverSearch({ retryDelayMs: 1 });
    for (const text of ["Keizersgracht 123-H Amsterdam", "Keizersgracht 123 H Amsterdam", "Keizersgracht 123H Amsterdam"]) {
      const result = await search.search(query(text), 2);
      expect(result.total).toBe(3);
      expect(
        result.candidates.map((c) => c.id),
        text,
      ).toEqual(["0363200000112233", "0363200000112235"]);
      expect(result.candidates[0]?.exactNumber).toBe(true);
    }
    const b = await search.search(query("Keizersgracht 123B"), 1);
    expect(b.candidates[0]).toMatchObject({ id: "0363200000112237", postcode: null, exactNumber: true });
  });

  it("adds no narrowing note when the first hit is exactly the postcode, number and addition given (1082GB 43-2)", async () => {
    // Locatieserver counts every loose match: the other additions at 43 and the neighbouring numbers.
    // Built from the fixture's document shape; the street and ids are illustrative.
    const template = amsterdam.response.docs[0] as Record<string, unknown>;
    const doc = (n: number, addition: string | null, i: number) => {
      const { huisnummertoevoeging: _h, ...rest } = template;
      return {
        ...rest,
        weergavenaam: `Parnassusweg ${n}${addition ? `-${addition}` : ""}, 1082GB Amsterdam`,
        nummeraanduiding_id: `03632000009900${String(i).padStart(2, "0")}`,
        adresseerbaarobject_id: `03630100009900${String(i).padStart(2, "0")}`,
        straatnaam: "Parnassusweg",
        huisnummer: n,
        ...(addition && { huisnummertoevoeging: addition }),
        postcode: "1082GB",
        score: 20 - i,
      };
    };
    const docs = [doc(43, "1", 1), doc(43, "2", 2), doc(43, "3", 3), doc(43, null, 4), doc(41, "2", 5), doc(45, "2", 6)];
    mockServer.use(
      http.get(LOCATIESERVER_FREE_URL, () => HttpResponse.json({ response: { ...amsterdam.response, numFound: docs.length, docs } })),
    );
    const ctx = { services: { search: new LocatieserverSearch({ retryDelayMs: 1 }) } } as unknown as ToolContext;
    const exact = await searchAddresses.run({ query: "1082GB 43-2", limit: 5 }, ctx);
    expect(exact.total).toBe(6);
    expect(exact.candidates[0]).toMatchObject({ addressId: "0363200000990002", exactNumber: true });
    expect(exact.note).toBeNull();
    expect(searchAddresses.render(exact)).not.toMatch(/narrow it down/);
    // 43-9 is not there: the first hit is not what was given, and the answer says so.
    const loose = await searchAddresses.run({ query: "1082GB 43-9", limit: 5 }, ctx);
    expect(loose.candidates[0]?.exactNumber).toBe(false);
    expect(loose.note).toMatch(/None of these has exactly house number 43-9/);
    expect(loose.note).toMatch(/6 addresses match; showing the best 5/);
  });

  it("matches a lone letter as letter or addition against the register's addresses", () => {
    const addresses = amsterdam.response.docs.map(parseAddressDoc).filter((a) => a !== null);
    expect(addresses).toHaveLength(2);
    const key = { postcode: "1015CJ", houseNumber: 123, houseLetter: "H", houseNumberAddition: null };
    expect(matchAddress(addresses, key)?.id).toBe("0363200000112233");
    expect(matchAddress(addresses, { ...key, houseLetter: null, houseNumberAddition: "1" })?.id).toBe("0363200000112235");
    expect(matchAddress(addresses, { ...key, houseLetter: "Z" })).toBeNull();
  });

  it("finds an address without a postcode by id, with postcode null", async () => {
    mockServer.use(http.get(LOCATIESERVER_FREE_URL, () => HttpResponse.json(noPostcodeById)));
    expect(await addressByNummeraanduiding("0363200000112237")).toMatchObject({
      id: "0363200000112237",
      unitId: "0363010000112238",
      postcode: null,
      houseNumber: 123,
      houseLetter: "B",
      houseNumberAddition: null,
      street: "Keizersgracht",
      place: "Amsterdam",
      municipalityCode: "GM0363",
    });
  });

  it("keeps the others when some docs of a postcode answer lack a postcode, and is not a format change", async () => {
    const docs = [...page1.response.docs, { ...page1.response.docs[0], nummeraanduiding_id: "0611200000699999", postcode: undefined }];
    const mixed = { response: { ...page1.response, numFound: docs.length, docs } };
    mockServer.use(http.get(LOCATIESERVER_FREE_URL, () => HttpResponse.json(mixed)));
    expect((await addressesAtPostcode("3286LT", undefined)).length).toBe(page1.response.docs.length);
  });

  it("gives a clear error naming the register for each documented failure", async () => {
    const cases: Array<[string, () => Response, RegExp]> = [
      ["400", () => HttpResponse.json(error400, { status: 400 }), /^PDOK Locatieserver rejected the address search \(HTTP 400\)\.$/],
      ["404", () => new HttpResponse("not found", { status: 404 }), /PDOK Locatieserver/],
      ["429", () => new HttpResponse(null, { status: 429 }), /PDOK Locatieserver/],
      ["500", () => new HttpResponse("oops", { status: 500 }), /PDOK Locatieserver/],
      ["503", () => new HttpResponse(null, { status: 503 }), /PDOK Locatieserver/],
      [
        "malformed JSON",
        () => new HttpResponse("{not json", { status: 200, headers: { "content-type": "application/json" } }),
        /PDOK Locatieserver/,
      ],
      ["wrong envelope", () => HttpResponse.json({ docs: [] }), /PDOK Locatieserver/],
      [
        "unreadable docs",
        () => HttpResponse.json({ response: { numFound: 1, docs: [{ type: "adres", huisnummer: "x" }] } }),
        /PDOK Locatieserver answered in an unexpected format/,
      ],
    ];
    for (const [name, answer, message] of cases) {
      mockServer.use(http.get(LOCATIESERVER_FREE_URL, answer));
      const error = await searchAddressText(query("Keizersgracht 123 Amsterdam"), 10, { retryDelayMs: 1 }).catch((e: unknown) => e);
      // 404 means "nothing found" to getJson only where an adapter says so; here it is a failure or empty.
      if (name === "404" && !(error instanceof Error)) {
        expect(error, name).toEqual({ numFound: 0, candidates: [] });
        continue;
      }
      expect(error, name).toBeInstanceOf(RegisterError);
      expect((error as RegisterError).register, name).toBe("pdok-locatieserver");
      expect((error as Error).message, name).toMatch(message);
      expect((error as Error).message, name).not.toMatch(/https?:|api\.pdok/);
    }
  });
});

import { HttpResponse, http } from "msw";
import { CBS_ODATA_BASE } from "../../src/data/live/cbs";
import { EP_ONLINE_BASE } from "../../src/data/live/ep-online";
import { BAG_OGC_BASE } from "../../src/data/live/pdok-bag";
import { BRK_OGC_BASE } from "../../src/data/live/pdok-brk";
import { LOCATIESERVER_FREE_URL } from "../../src/data/live/pdok-locatieserver";
import { RCE_SPARQL_URL } from "../../src/data/live/rce-monuments";
import pand1920 from "../fixtures/registers/bag-pand-0611100000408245.json";
import pand1965 from "../fixtures/registers/bag-pand-0611100000408301.json";
import pand1998 from "../fixtures/registers/bag-pand-0611100000408302.json";
import vbo37 from "../fixtures/registers/bag-verblijfsobject-0611010000508342.json";
import vbo41 from "../fixtures/registers/bag-verblijfsobject-0611010000508404.json";
import vboEmpty from "../fixtures/registers/bag-verblijfsobject-empty.json";
import brkEmpty from "../fixtures/registers/brk-perceel-empty.json";
import perceel from "../fixtures/registers/brk-perceel-VLO00-E-600.json";
import stockProps from "../fixtures/registers/cbs-85035NED-dataproperties.json";
import stockGm1963 from "../fixtures/registers/cbs-85035NED-typeddataset-GM1963.json";
import wozProps from "../fixtures/registers/cbs-85036NED-dataproperties.json";
import wozEmpty from "../fixtures/registers/cbs-85036NED-typeddataset-empty.json";
import wozGm1963 from "../fixtures/registers/cbs-85036NED-typeddataset-GM1963.json";
import indexProps from "../fixtures/registers/cbs-85773NED-dataproperties.json";
import indexMonthly from "../fixtures/registers/cbs-85773NED-typeddataset-monthly.json";
import kwbProps from "../fixtures/registers/cbs-85984NED-dataproperties.json";
import buurt01 from "../fixtures/registers/cbs-85984NED-typeddataset-BU19630601.json";
import buurt02 from "../fixtures/registers/cbs-85984NED-typeddataset-BU19630602.json";
import cbsEmpty from "../fixtures/registers/cbs-85984NED-typeddataset-empty.json";
import kwbGm1963 from "../fixtures/registers/cbs-85984NED-typeddataset-GM1963.json";
import cbsNames from "../fixtures/registers/cbs-85984NED-wijkenenbuurten-WK196306.json";
import epUnauthorised from "../fixtures/registers/ep-online-401.json";
import epNotFound from "../fixtures/registers/ep-online-404.json";
import labels from "../fixtures/registers/ep-online-0611010000508342.json";
import lsError400 from "../fixtures/registers/locatieserver-error-400.json";
import page1 from "../fixtures/registers/locatieserver-free-3286LT-page1.json";
import page2 from "../fixtures/registers/locatieserver-free-3286LT-page2.json";
import lsEmpty from "../fixtures/registers/locatieserver-free-empty.json";
import noPostcodeById from "../fixtures/registers/locatieserver-free-nopostcode-by-id.json";
import amsterdam from "../fixtures/registers/locatieserver-free-search-amsterdam.json";
import linked from "../fixtures/registers/locatieserver-gekoppeld-perceel.json";
import monuments from "../fixtures/registers/rce-monuments-0611010000508342.json";
import rceEmpty from "../fixtures/registers/rce-monuments-empty.json";
import { mockServer } from "./msw";
import { paced } from "./register-pacing";

/**
 * Stand-ins for the four live registers, answering from test/fixtures/registers in the registers'
 * real wire formats (Schenkeldijk, 3286LT Klaaswaal: BAG ids 0611…, buurten BU1963…). Each records
 * every request it gets, failed ones included; setting `fail` makes it answer 503 from then on, so
 * a retry fails too. A test that needs another answer adds its own handler with `mockServer.use`.
 */
export interface RegisterStandIn<Request> {
  readonly requests: Request[];
  fail: boolean;
}

const unavailable = () => new HttpResponse("unavailable", { status: 503 });

/** Every address in the Locatieserver fixtures: the five at 3286LT, over two pages. */
export const LOCATIESERVER_DOCS = [...page1.response.docs, ...page2.response.docs];
const LOCATIESERVER_PARAMS = new Set(["q", "fq", "fl", "rows", "start"]);

/**
 * The Locatieserver v3.1 `free` endpoint: a parameter v3.1 does not know gets its 400 error body;
 * `q=nummeraanduiding_id:…` finds that address; `q=postcode:3286LT` pages by `start`, or with
 * `fq=huisnummer:N` answers that number's addresses in one page; any other query finds nothing.
 */
export function locatieserverStandIn(): RegisterStandIn<URLSearchParams> {
  const standIn: RegisterStandIn<URLSearchParams> = { requests: [], fail: false };
  mockServer.use(
    http.get(LOCATIESERVER_FREE_URL, async ({ request }) => {
      const params = new URL(request.url).searchParams;
      standIn.requests.push(params);
      await paced("locatieserver");
      if (standIn.fail) return unavailable();
      if ([...params.keys()].some((k) => !LOCATIESERVER_PARAMS.has(k))) return HttpResponse.json(lsError400, { status: 400 });
      const id = /^nummeraanduiding_id:(\d+)$/.exec(params.get("q") ?? "")?.[1];
      if (id !== undefined) {
        const docs = LOCATIESERVER_DOCS.filter((d) => d.nummeraanduiding_id === id);
        return HttpResponse.json({ response: { ...lsEmpty.response, numFound: docs.length, docs } });
      }
      if (params.get("q") !== "postcode:3286LT") return HttpResponse.json(lsEmpty);
      const number = params
        .getAll("fq")
        .map((fq) => /^huisnummer:(\d+)$/.exec(fq)?.[1])
        .find(Boolean);
      if (number !== undefined) {
        const docs = LOCATIESERVER_DOCS.filter((d) => d.huisnummer === Number(number));
        return HttpResponse.json({ response: { ...page1.response, numFound: docs.length, docs } });
      }
      return HttpResponse.json(params.get("start") === "0" ? page1 : page2);
    }),
  );
  return standIn;
}

const BAG_UNITS: Record<string, unknown> = { "0611010000508342": vbo37, "0611010000508404": vbo41 };
const BAG_PANDEN: Record<string, unknown> = { [pand1920.id]: pand1920, [pand1965.id]: pand1965, [pand1998.id]: pand1998 };

/**
 * The BAG OGC API Features v2: the verblijfsobjecten of numbers 37 and 41 by `identificatie` (an
 * empty collection for any other), and their panden by feature id (404 for any other).
 */
export function bagStandIn(): RegisterStandIn<URL> {
  const standIn: RegisterStandIn<URL> = { requests: [], fail: false };
  mockServer.use(
    http.get(`${BAG_OGC_BASE}/collections/verblijfsobject/items`, async ({ request }) => {
      const url = new URL(request.url);
      standIn.requests.push(url);
      await paced("bag");
      if (standIn.fail) return unavailable();
      return HttpResponse.json(BAG_UNITS[url.searchParams.get("identificatie") ?? ""] ?? vboEmpty);
    }),
    http.get(`${BAG_OGC_BASE}/collections/pand/items/:id`, async ({ request, params }) => {
      standIn.requests.push(new URL(request.url));
      await paced("bag");
      if (standIn.fail) return unavailable();
      const pand = BAG_PANDEN[String(params.id)];
      return pand ? HttpResponse.json(pand) : HttpResponse.json({ code: "NotFound" }, { status: 404 });
    }),
  );
  return standIn;
}

/** The EP-Online key the stand-in accepts. */
export const EP_ONLINE_KEY = "test-ep-online-key-3e8a1f60";
/** The unit the EP-Online fixture holds registrations for (Schenkeldijk 37). */
export const EP_ONLINE_UNIT = "0611010000508342";

/**
 * EP-Online v5 by unit id: 401 with its documented body unless `Authorization` is exactly
 * {@link EP_ONLINE_KEY}; then `answer(id)`, by default the fixture's registrations for
 * {@link EP_ONLINE_UNIT} and 404 ("no label") for any other unit.
 */
export function epOnlineStandIn(
  answer: (id: string) => Response = (id) =>
    id === EP_ONLINE_UNIT ? HttpResponse.json(labels) : HttpResponse.json(epNotFound, { status: 404 }),
): RegisterStandIn<{ url: string; authorization: string | null }> {
  const standIn: RegisterStandIn<{ url: string; authorization: string | null }> = { requests: [], fail: false };
  mockServer.use(
    http.get(`${EP_ONLINE_BASE}/PandEnergielabel/AdresseerbaarObject/:id`, async ({ request, params }) => {
      const authorization = request.headers.get("authorization");
      standIn.requests.push({ url: request.url, authorization });
      await paced("ep-online");
      if (standIn.fail) return unavailable();
      if (authorization !== EP_ONLINE_KEY) return HttpResponse.json(epUnauthorised, { status: 401 });
      return answer(String(params.id));
    }),
  );
  return standIn;
}

/** One request to CBS table 85984NED: which of its resources, with its `$filter` and `$format`. */
export interface CbsRequest {
  path: "TypedDataSet" | "WijkenEnBuurten";
  filter: string | null;
  format: string | null;
}

/**
 * CBS OData v3, table 85984NED: `TypedDataSet` rows for buurten BU19630601 and BU19630602 and
 * for their municipality GM1963 (an empty set for any other filter), and the `WijkenEnBuurten`
 * names of wijk WK196306.
 */
export function cbsStandIn(): RegisterStandIn<CbsRequest> {
  const standIn: RegisterStandIn<CbsRequest> = { requests: [], fail: false };
  const record = (path: CbsRequest["path"], href: string) => {
    const url = new URL(href);
    const filter = url.searchParams.get("$filter");
    standIn.requests.push({ path, filter, format: url.searchParams.get("$format") });
    return filter;
  };
  mockServer.use(
    // Column keys are resolved from DataProperties (once per isolate); not recorded as requests.
    http.get(`${CBS_ODATA_BASE}/85984NED/DataProperties`, async () => {
      await paced("cbs");
      return standIn.fail ? unavailable() : HttpResponse.json(kwbProps);
    }),
    http.get(`${CBS_ODATA_BASE}/85036NED/DataProperties`, async () => {
      await paced("cbs");
      return standIn.fail ? unavailable() : HttpResponse.json(wozProps);
    }),
    http.get(`${CBS_ODATA_BASE}/85035NED/DataProperties`, async () => {
      await paced("cbs");
      return standIn.fail ? unavailable() : HttpResponse.json(stockProps);
    }),
    http.get(`${CBS_ODATA_BASE}/85773NED/DataProperties`, async () => {
      await paced("cbs");
      return standIn.fail ? unavailable() : HttpResponse.json(indexProps);
    }),
    // The value basis (cbs-value.ts): gemeente GM1963 only.
    http.get(`${CBS_ODATA_BASE}/85036NED/TypedDataSet`, async ({ request }) => {
      const filter = record("TypedDataSet", request.url);
      await paced("cbs");
      if (standIn.fail) return unavailable();
      return HttpResponse.json(filter?.includes("'GM1963'") ? wozGm1963 : wozEmpty);
    }),
    http.get(`${CBS_ODATA_BASE}/85035NED/TypedDataSet`, async ({ request }) => {
      const filter = record("TypedDataSet", request.url);
      await paced("cbs");
      if (standIn.fail) return unavailable();
      return HttpResponse.json(filter?.includes("'GM1963'") ? stockGm1963 : { ...stockGm1963, value: [] });
    }),
    http.get(`${CBS_ODATA_BASE}/85773NED/TypedDataSet`, async ({ request }) => {
      record("TypedDataSet", request.url);
      await paced("cbs");
      if (standIn.fail) return unavailable();
      return HttpResponse.json(indexMonthly);
    }),
    http.get(`${CBS_ODATA_BASE}/85984NED/TypedDataSet`, async ({ request }) => {
      const filter = record("TypedDataSet", request.url);
      await paced("cbs");
      if (standIn.fail) return unavailable();
      if (filter === "WijkenEnBuurten eq 'BU19630601'") return HttpResponse.json(buurt01);
      if (filter === "WijkenEnBuurten eq 'BU19630602'") return HttpResponse.json(buurt02);
      if (filter === "startswith(WijkenEnBuurten,'GM1963')") return HttpResponse.json(kwbGm1963);
      return HttpResponse.json(cbsEmpty);
    }),
    http.get(`${CBS_ODATA_BASE}/85984NED/WijkenEnBuurten`, async ({ request }) => {
      record("WijkenEnBuurten", request.url);
      await paced("cbs");
      if (standIn.fail) return unavailable();
      return HttpResponse.json(cbsNames);
    }),
  );
  return standIn;
}

/** Schenkeldijk 37, 3286LT Klaaswaal: the fixtures' complete dwelling (label, parcel, rijksmonument). */
export const ADDRESS_37 = "0611200000608342";
export const UNIT_37 = EP_ONLINE_UNIT;
/** Schenkeldijk 41B-2: a dwelling EP-Online has no label for. */
export const ADDRESS_41 = "0611200000608404";
export const UNIT_41 = "0611010000508404";
/** Keizersgracht 123B, Amsterdam: a BAG address without a postcode (locatieserver-free-nopostcode-by-id.json). */
export const NO_POSTCODE_ADDRESS = "0363200000112237";
export const NO_POSTCODE_UNIT = "0363010000112238";

/**
 * The Locatieserver's `gekoppeld_perceel` lookup (`q=nummeraanduiding_id:…` with that field in
 * `fl`): Schenkeldijk 37 is linked to parcel VLO00-E-600 (the fixture); no other address is known
 * (an empty answer). Registered after {@link locatieserverStandIn}, so it is asked first.
 */
export function linkedParcelStandIn(): RegisterStandIn<URLSearchParams> {
  const standIn: RegisterStandIn<URLSearchParams> = { requests: [], fail: false };
  mockServer.use(
    http.get(LOCATIESERVER_FREE_URL, async ({ request }) => {
      const params = new URL(request.url).searchParams;
      if (!params.get("fl")?.includes("gekoppeld_perceel")) return undefined;
      standIn.requests.push(params);
      await paced("locatieserver");
      if (standIn.fail) return unavailable();
      return HttpResponse.json(params.get("q") === `nummeraanduiding_id:${ADDRESS_37}` ? linked : lsEmpty);
    }),
  );
  return standIn;
}

/** PDOK BRK Kadastrale Kaart (OGC API Features): parcel number 600 (VLO00-E-600) from the fixture, an empty collection for any other. */
export function brkStandIn(): RegisterStandIn<URL> {
  const standIn: RegisterStandIn<URL> = { requests: [], fail: false };
  mockServer.use(
    http.get(`${BRK_OGC_BASE}/collections/perceel/items`, async ({ request }) => {
      const url = new URL(request.url);
      standIn.requests.push(url);
      await paced("brk");
      if (standIn.fail) return unavailable();
      return HttpResponse.json(url.searchParams.get("perceelnummer") === "600" ? perceel : brkEmpty);
    }),
  );
  return standIn;
}

/** The RCE SPARQL endpoint (form-posted `query`): rijksmonument 524327 for a query naming unit 37, no rows for any other. Records each query. */
export function rceStandIn(): RegisterStandIn<string> {
  const standIn: RegisterStandIn<string> = { requests: [], fail: false };
  mockServer.use(
    http.post(RCE_SPARQL_URL, async ({ request }) => {
      const query = String((await request.formData()).get("query"));
      standIn.requests.push(query);
      await paced("rce");
      if (standIn.fail) return unavailable();
      return HttpResponse.json(query.includes(UNIT_37) ? monuments : rceEmpty);
    }),
  );
  return standIn;
}

/** Every address the search stand-in knows: the five at 3286LT and the three Keizersgracht 123 ones. */
const SEARCH_DOCS = [...LOCATIESERVER_DOCS, ...amsterdam.response.docs];

/** A word of a free-text `q` that begins a postcode: its four digits, then up to its two letters ("3286", "3286l"). */
const POSTCODE_START = /^[1-9][0-9]{3}[a-z]{0,2}$/;

/**
 * The Locatieserver's free-text search (Search_Addresses and completion ask with `weergavenaam
 * score` in `fl`): like the real one it matches loosely, counted in `numFound`, in fixture order
 * (the tool ranks exact numbers first). A doc is an answer when a word of `q` is its street name,
 * or begins its postcode with four digits and up to two letters ("3286", "3286l", "3286lt";
 * case-insensitive). The postcode is a field of every `adres` doc the real index holds; that
 * `free` matches its first characters is modelled, not confirmed from a captured answer (see
 * test/fixtures/registers/locatieserver-search.source.md). An address without a postcode is
 * never found by one. As the real v3.1, a parameter it does not know gets its 400 error body.
 * Other requests pass through to the stand-ins registered before it.
 */
export function addressSearchStandIn(): RegisterStandIn<URLSearchParams> {
  const standIn: RegisterStandIn<URLSearchParams> = { requests: [], fail: false };
  mockServer.use(
    http.get(LOCATIESERVER_FREE_URL, async ({ request }) => {
      const params = new URL(request.url).searchParams;
      if (!params.get("fl")?.includes("weergavenaam")) return undefined;
      standIn.requests.push(params);
      await paced("locatieserver");
      if (standIn.fail) return unavailable();
      if ([...params.keys()].some((k) => !LOCATIESERVER_PARAMS.has(k))) return HttpResponse.json(lsError400, { status: 400 });
      const words = (params.get("q") ?? "").toLowerCase().split(/\s+/);
      const postcodeStarts = words.filter((w) => POSTCODE_START.test(w));
      const streets = new Set(words);
      const docs = SEARCH_DOCS.filter(
        (d) =>
          streets.has(d.straatnaam.toLowerCase()) ||
          ("postcode" in d && typeof d.postcode === "string" && postcodeStarts.some((w) => d.postcode.toLowerCase().startsWith(w))),
      );
      const rows = Number(params.get("rows") ?? "10");
      return HttpResponse.json({ response: { ...lsEmpty.response, numFound: docs.length, docs: docs.slice(0, rows) } });
    }),
  );
  return standIn;
}

/**
 * Keizersgracht 123B, Amsterdam, an address without a postcode: the Locatieserver finds it by its
 * id (the fixture), and BAG has its unit, an illustrative 14 m² shed (overige gebruiksfunctie)
 * made from Schenkeldijk 37's verblijfsobject (so on that pand). Registered after the other
 * stand-ins, so asked first; returns the Locatieserver requests by id.
 */
export function noPostcodeStandIn(): { byId: URLSearchParams[] } {
  const byId: URLSearchParams[] = [];
  const [feature] = vbo37.features;
  if (!feature) throw new Error("no verblijfsobject in the fixture");
  const shed = {
    ...vbo37,
    features: [
      {
        ...feature,
        properties: {
          ...feature.properties,
          identificatie: NO_POSTCODE_UNIT,
          hoofdadres_identificatie: NO_POSTCODE_ADDRESS,
          gebruiksdoel: "overige gebruiksfunctie",
          oppervlakte: 14,
        },
      },
    ],
  };
  mockServer.use(
    http.get(LOCATIESERVER_FREE_URL, ({ request }) => {
      const params = new URL(request.url).searchParams;
      if (params.get("q") !== `nummeraanduiding_id:${NO_POSTCODE_ADDRESS}` || params.get("fl")?.includes("gekoppeld_perceel"))
        return undefined;
      byId.push(params);
      return HttpResponse.json(noPostcodeById);
    }),
    http.get(`${BAG_OGC_BASE}/collections/verblijfsobject/items`, ({ request }) =>
      new URL(request.url).searchParams.get("identificatie") === NO_POSTCODE_UNIT ? HttpResponse.json(shed) : undefined,
    ),
  );
  return { byId };
}

/**
 * Every register of a property answer answering from its fixtures, as a live deployment meets
 * them on a good day: the Locatieserver, BAG, EP-Online, CBS, the parcel link, BRK and RCE.
 * Callers add what else they need (the address search, generated addresses) after it.
 */
export function everyRegisterStandIn(): void {
  locatieserverStandIn();
  bagStandIn();
  epOnlineStandIn();
  cbsStandIn();
  linkedParcelStandIn();
  brkStandIn();
  rceStandIn();
}

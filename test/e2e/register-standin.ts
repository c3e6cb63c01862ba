/// <reference types="node" />
// A stand-in for the public registers on 127.0.0.1, for the Worker in live mode under
// `wrangler dev`: PDOK Locatieserver v3.1 (`free`), PDOK BAG OGC API v2, EP-Online v5, CBS
// OData v3, PDOK BRK Kadastrale Kaart and the RCE SPARQL endpoint, each under its own path prefix, answering in the registers' real formats from the
// fixtures in test/fixtures/registers/ (plus a few units made from them below). It records every
// request, so a test can assert that the adapters asked it (and what).
//
// To answer a new kind of request, add a route to `ROUTES` (method, path pattern, handler); a
// CBS table needs only its fixtures: `cbs-<table>-dataproperties.json` and
// `cbs-<table>-<entity set>-<region code>.json` (or one `cbs-<table>-<entity set>-*.json` for an
// unfiltered request).
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import path from "node:path";
import { listenOnLoopback } from "./stack";

const FIXTURES = path.resolve(import.meta.dirname, "..", "fixtures", "registers");
const BAG_PUBLIC = "https://api.pdok.nl/kadaster/bag/ogc/v2";

type Json = Record<string, unknown>;
const fixture = (name: string): Json => JSON.parse(readFileSync(path.join(FIXTURES, name), "utf8")) as Json;
const fixtureExists = (name: string) => readdirSync(FIXTURES).includes(name);

/** What the stand-in was asked. */
export interface StandInRequest {
  register: "locatieserver" | "bag" | "ep-online" | "cbs" | "brk" | "rce" | "unknown";
  method: string;
  /** Path after the register's prefix, e.g. `/collections/verblijfsobject/items`. */
  path: string;
  query: URLSearchParams;
  /** Whether an Authorization header came with it (EP-Online's API key); never its value. */
  authorized: boolean;
  status: number;
}

/** The addresses and units the stand-in knows, beyond the fixtures. */
export const STANDIN = {
  postcode: "3286LT",
  /** Schenkeldijk 37, Klaaswaal (Hoeksche Waard, GM1963: none of the four seeded municipalities); label E. */
  outside: {
    postcode: "3286LT",
    houseNumber: 37,
    addressId: "0611200000608342",
    unitId: "0611010000508342",
    buurt: "BU19630601",
    /** Its parcel in BRK (brk-perceel-VLO00-E-600.json) and its rijksmonument (rce-monuments-0611010000508342.json). */
    parcel: "VLO00-E-600",
    monument: 524327,
  },
  /** Schenkeldijk 43: a school with a dwelling, gebruiksdoel "onderwijsfunctie,woonfunctie"; label B. */
  mixedUse: { postcode: "3286LT", houseNumber: 43, addressId: "0611200000608420", unitId: "0611010000508420" },
  /** Schenkeldijk 41B-2: a shop with a dwelling that EP-Online has no label for (404). */
  noLabel: {
    postcode: "3286LT",
    houseNumber: 41,
    houseLetter: "B",
    addition: "2",
    addressId: "0611200000608404",
    unitId: "0611010000508404",
  },
  /** Schenkeldijk 2: a houseboat (ligplaats): no gebruiksdoel, no area, no pand, no label. */
  houseboat: { postcode: "3286LT", houseNumber: 2, addressId: "0611200000608451", unitId: "0611020000000451" },
} as const;

interface World {
  /** Locatieserver documents. */
  docs: Json[];
  /** BAG unit features by identificatie. */
  units: Map<string, Json>;
  /** BAG pand features by feature id (the last segment of a `pand.href`). */
  panden: Map<string, Json>;
  /** EP-Online registrations by BAG unit id. */
  labels: Map<string, Json[]>;
}

function docLike(base: Json, changes: Json): Json {
  const doc = { ...base, ...changes };
  doc.weergavenaam = `${doc.straatnaam} ${doc.huisnummer}${doc.huisletter ?? ""}${doc.huisnummertoevoeging ? `-${doc.huisnummertoevoeging}` : ""}, ${doc.postcode} ${doc.woonplaatsnaam}`;
  return doc;
}

function buildWorld(): World {
  const pages = ["locatieserver-free-3286LT-page1.json", "locatieserver-free-3286LT-page2.json"];
  const docs = pages.flatMap((name) => (fixture(name).response as { docs: Json[] }).docs);
  const base = docs.find((d) => d.nummeraanduiding_id === STANDIN.outside.addressId) as Json;
  // The outside address's linked parcel, as Locatieserver names it (locatieserver-gekoppeld-perceel.json).
  base.gekoppeld_perceel = [STANDIN.outside.parcel];
  docs.push(
    docLike(base, {
      id: "adr-standin-mixed-use",
      nummeraanduiding_id: STANDIN.mixedUse.addressId,
      adresseerbaarobject_id: STANDIN.mixedUse.unitId,
      huisnummer: STANDIN.mixedUse.houseNumber,
      centroide_ll: "POINT(4.44101 51.76052)",
    }),
    docLike(base, {
      id: "adr-standin-houseboat",
      nummeraanduiding_id: STANDIN.houseboat.addressId,
      adresseerbaarobject_id: STANDIN.houseboat.unitId,
      huisnummer: STANDIN.houseboat.houseNumber,
      centroide_ll: "POINT(4.43990 51.76110)",
    }),
  );

  const units = new Map<string, Json>();
  for (const name of ["bag-verblijfsobject-0611010000508342.json", "bag-verblijfsobject-0611010000508404.json"]) {
    const feature = (fixture(name).features as Json[])[0] as Json;
    units.set((feature.properties as Json).identificatie as string, feature);
  }
  const outsideUnit = units.get(STANDIN.outside.unitId) as Json;
  units.set(STANDIN.mixedUse.unitId, {
    ...outsideUnit,
    properties: {
      ...(outsideUnit.properties as Json),
      identificatie: STANDIN.mixedUse.unitId,
      hoofdadres_identificatie: STANDIN.mixedUse.addressId,
      huisnummer: STANDIN.mixedUse.houseNumber,
      gebruiksdoel: "onderwijsfunctie,woonfunctie",
      oppervlakte: 240,
    },
  });
  units.set(STANDIN.houseboat.unitId, {
    type: "Feature",
    id: "5a0c7e21-3b9d-5f64-8a12-9e4c0b7d2f36",
    properties: {
      identificatie: STANDIN.houseboat.unitId,
      hoofdadres_identificatie: STANDIN.houseboat.addressId,
      status: "Plaats aangewezen",
      huisnummer: STANDIN.houseboat.houseNumber,
      openbare_ruimte_naam: "Schenkeldijk",
      postcode: STANDIN.postcode,
      woonplaats_naam: "Klaaswaal",
      bronhouder_identificatie: "1963",
    },
    geometry: {
      type: "Polygon",
      coordinates: [
        [
          [4.4398, 51.761],
          [4.44, 51.761],
          [4.44, 51.7612],
          [4.4398, 51.7612],
          [4.4398, 51.761],
        ],
      ],
    },
  });

  const panden = new Map<string, Json>();
  for (const name of readdirSync(FIXTURES).filter((f) => /^bag-pand-\d{16}\.json$/.test(f))) {
    const feature = fixture(name);
    panden.set(feature.id as string, feature);
  }

  const labels = new Map<string, Json[]>();
  const registered = JSON.parse(readFileSync(path.join(FIXTURES, "ep-online-0611010000508342.json"), "utf8")) as Json[];
  labels.set(STANDIN.outside.unitId, registered);
  labels.set(
    STANDIN.mixedUse.unitId,
    registered.map((r) => ({
      ...r,
      BAGVerblijfsobjectID: STANDIN.mixedUse.unitId,
      Huisnummer: STANDIN.mixedUse.houseNumber,
      Energieklasse: "B",
    })),
  );
  return { docs, units, panden, labels };
}

type Handler = (req: { path: string; query: URLSearchParams; match: RegExpExecArray; headers: IncomingMessage["headers"] }) => {
  status: number;
  body: unknown;
};

/** A Solr-like match of Locatieserver documents: `field:value` terms and free words. */
function matches(doc: Json, term: string): boolean {
  const t = term.trim();
  if (t === "" || t === "*:*") return true;
  const field = /^([a-z_]+):(.+)$/.exec(t);
  if (field) return String(doc[field[1] as string] ?? "").toLowerCase() === (field[2] as string).replace(/^"|"$/g, "").toLowerCase();
  const text = String(doc.weergavenaam ?? "").toLowerCase();
  return t
    .toLowerCase()
    .split(/\s+/)
    .every((word) => text.split(/[\s,]+/).some((token) => token.startsWith(word.replace(/\*$/, ""))));
}

function cbsFile(table: string, entitySet: string, filter: string | null): string | null {
  const prefix = `cbs-${table}-${entitySet.toLowerCase()}`;
  if (entitySet === "DataProperties") return fixtureExists(`${prefix}.json`) ? `${prefix}.json` : null;
  const codes = filter ? [...filter.matchAll(/'((?:BU|WK|GM)[0-9A-Z]+)/g)].map((m) => m[1] as string) : [];
  const named = codes.find((code) => fixtureExists(`${prefix}-${code}.json`));
  if (named) return `${prefix}-${named}.json`;
  const others = readdirSync(FIXTURES).filter((f) => f.startsWith(`${prefix}-`) && f.endsWith(".json") && !f.endsWith("-empty.json"));
  if (codes.length === 0 && others.length === 1) return others[0] as string;
  return fixtureExists(`${prefix}-empty.json`) ? `${prefix}-empty.json` : null;
}

function routes(world: World): Array<{ register: StandInRequest["register"]; pattern: RegExp; handle: Handler }> {
  return [
    {
      register: "locatieserver",
      pattern: /^\/locatieserver\/free$/,
      handle: ({ query }) => {
        const found = world.docs.filter((doc) => [query.get("q") ?? "", ...query.getAll("fq")].every((term) => matches(doc, term)));
        const start = Number(query.get("start") ?? 0);
        const rows = Number(query.get("rows") ?? 10);
        const docs = found.slice(start, start + rows).map((doc, i) => ({ ...doc, score: 10 - i / 10 }));
        return { status: 200, body: { response: { numFound: found.length, start, maxScore: 10, numFoundExact: true, docs } } };
      },
    },
    {
      register: "bag",
      pattern: /^\/bag\/collections\/pand\/items\/([0-9A-Za-z-]+)$/,
      handle: ({ match }) => {
        const feature = world.panden.get(match[1] as string);
        return feature ? { status: 200, body: feature } : { status: 404, body: { code: "NotFound", description: "feature not found" } };
      },
    },
    {
      register: "bag",
      pattern: /^\/bag\/collections\/(verblijfsobject|ligplaats|standplaats)\/items$/,
      handle: ({ match, query }) => {
        const id = query.get("identificatie") ?? "";
        const feature = world.units.get(id);
        const features =
          feature && id.slice(4, 6) === { verblijfsobject: "01", ligplaats: "02", standplaats: "03" }[match[1] as string] ? [feature] : [];
        const self = `${BAG_PUBLIC}/collections/${match[1]}/items?${query}`;
        return {
          status: 200,
          body: {
            type: "FeatureCollection",
            timeStamp: new Date().toISOString(),
            links: [{ rel: "self", href: self }],
            numberReturned: features.length,
            features,
          },
        };
      },
    },
    {
      register: "ep-online",
      pattern: /^\/ep\/PandEnergielabel\/AdresseerbaarObject\/(\d{16})$/,
      handle: ({ match, headers }) => {
        if (!headers.authorization)
          return { status: 401, body: JSON.parse(readFileSync(path.join(FIXTURES, "ep-online-401.json"), "utf8")) };
        const labels = world.labels.get(match[1] as string);
        return labels
          ? { status: 200, body: labels }
          : { status: 404, body: JSON.parse(readFileSync(path.join(FIXTURES, "ep-online-404.json"), "utf8")) };
      },
    },
    {
      register: "brk",
      pattern: /^\/brk\/collections\/perceel\/items$/,
      handle: ({ query }) => {
        const known =
          query.get("akr_kadastrale_gemeente_code_waarde") === "VLO00" &&
          query.get("sectie") === "E" &&
          query.get("perceelnummer") === "600";
        return { status: 200, body: fixture(known ? "brk-perceel-VLO00-E-600.json" : "brk-perceel-empty.json") };
      },
    },
    {
      // The SPARQL endpoint (a POSTed form); the adapter keeps only the rows of the unit it asked about.
      register: "rce",
      pattern: /^\/rce\/sparql$/,
      handle: () => ({ status: 200, body: JSON.parse(readFileSync(path.join(FIXTURES, "rce-monuments-0611010000508342.json"), "utf8")) }),
    },
    {
      register: "cbs",
      pattern: /^\/cbs\/(\d{5}[A-Z]{3})\/([A-Za-z]+)$/,
      handle: ({ match, query }) => {
        const file = cbsFile(match[1] as string, match[2] as string, query.get("$filter"));
        return file ? { status: 200, body: fixture(file) } : { status: 404, body: { "odata.error": { message: { value: "not found" } } } };
      },
    },
  ];
}

export interface RegisterStandIn {
  /** Base URLs for the Worker's settings (PDOK_LOCATIESERVER_URL …). */
  vars: Record<string, string>;
  /** Every request so far, oldest first. */
  requests: StandInRequest[];
  close(): Promise<void>;
}

/** Starts the stand-in on a free port of 127.0.0.1. */
export async function startRegisterStandIn(): Promise<RegisterStandIn> {
  const world = buildWorld();
  const table = routes(world);
  const requests: StandInRequest[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    let route: (typeof table)[number] | undefined;
    let match: RegExpExecArray | null = null;
    for (const candidate of table) {
      match = candidate.pattern.exec(url.pathname);
      if (match) {
        route = candidate;
        break;
      }
    }
    const answer =
      route && match
        ? route.handle({ path: url.pathname, query: url.searchParams, match, headers: req.headers })
        : { status: 404, body: { error: "no such route in the stand-in" } };
    const prefix = /^\/[a-z]+/.exec(url.pathname)?.[0] ?? "";
    requests.push({
      register: route?.register ?? "unknown",
      method: req.method ?? "GET",
      path: url.pathname.slice(prefix.length),
      query: url.searchParams,
      authorized: req.headers.authorization !== undefined,
      status: answer.status,
    });
    res.writeHead(answer.status, { "content-type": "application/json" });
    res.end(JSON.stringify(answer.body));
  });
  const port = await listenOnLoopback(server);
  const origin = `http://127.0.0.1:${port}`;
  return {
    vars: {
      PDOK_LOCATIESERVER_URL: `${origin}/locatieserver`,
      PDOK_BAG_URL: `${origin}/bag`,
      EP_ONLINE_URL: `${origin}/ep`,
      CBS_ODATA_URL: `${origin}/cbs`,
      PDOK_BRK_URL: `${origin}/brk`,
      RCE_SPARQL_URL: `${origin}/rce`,
    },
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

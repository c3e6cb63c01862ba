import { REGISTER_URL_SETTINGS } from "../../config";

/**
 * The public registers the live source asks, with the names users see in messages and the
 * attribution each one requires. The ids are the `source` column of what is cached in D1.
 */

export const REGISTER = {
  locatieserver: "pdok-locatieserver",
  bag: "pdok-bag",
  epOnline: "ep-online",
  cbs: "cbs-kwb",
  brk: "pdok-brk",
  rce: "rce-monuments",
} as const;
export type RegisterId = (typeof REGISTER)[keyof typeof REGISTER];

/** Names used in user-facing messages ("EP-Online did not answer in time"). */
export const REGISTER_NAMES: Record<RegisterId, string> = {
  "pdok-locatieserver": "PDOK Locatieserver",
  "pdok-bag": "PDOK BAG",
  "ep-online": "EP-Online",
  "cbs-kwb": "CBS",
  "pdok-brk": "PDOK BRK Kadastrale Kaart",
  "rce-monuments": "RCE Rijksmonumentenregister",
};

/**
 * Where each register is asked by default: the public endpoint, up to and including the API
 * version. An operator can put a caching proxy or a mirror in front of a register by setting its
 * base URL (`PDOK_LOCATIESERVER_URL`, `PDOK_BAG_URL`, `EP_ONLINE_URL`, `CBS_ODATA_URL`); the
 * adapters build their URLs from these defaults and `getJson` (./http.ts) swaps the configured
 * base in, so every request of every adapter goes there, including ones added later.
 */
export const DEFAULT_REGISTER_URLS: Record<RegisterId, string> = {
  "pdok-locatieserver": REGISTER_URL_SETTINGS["pdok-locatieserver"].publicEndpoint,
  "pdok-bag": REGISTER_URL_SETTINGS["pdok-bag"].publicEndpoint,
  "ep-online": REGISTER_URL_SETTINGS["ep-online"].publicEndpoint,
  "cbs-kwb": REGISTER_URL_SETTINGS["cbs-kwb"].publicEndpoint,
  "pdok-brk": REGISTER_URL_SETTINGS["pdok-brk"].publicEndpoint,
  "rce-monuments": REGISTER_URL_SETTINGS["rce-monuments"].publicEndpoint,
};

/** Base URLs that differ from the defaults, per register (no trailing slash). */
export type RegisterUrls = Partial<Record<RegisterId, string>>;

/** The API version each register is asked in (the CBS table is named separately). */
export const REGISTER_VERSIONS: Record<RegisterId, string> = {
  "pdok-locatieserver": "Locatieserver v3.1",
  "pdok-bag": "BAG OGC API Features v2",
  "ep-online": "EP-Online API v5",
  "cbs-kwb": "CBS OData v3",
  "pdok-brk": "BRK Kadastrale Kaart OGC API Features v1",
  "rce-monuments": "RCE linked data SPARQL (dataset rce/cho)",
};

/**
 * `url` with the register's default base replaced by the configured one. A URL that does not
 * start with the default base (it cannot happen for the adapters' own URLs) is left as it is.
 */
export function rebase(register: RegisterId, url: string, urls: RegisterUrls | undefined): string {
  const base = urls?.[register];
  const from = DEFAULT_REGISTER_URLS[register];
  if (base === undefined || base === from) return url;
  if (url === from || url.startsWith(`${from}/`) || url.startsWith(`${from}?`)) return base + url.slice(from.length);
  return url;
}

/** What a tool shows when it cites a register. */
export interface Attribution {
  register: RegisterId;
  /** Short credit line, fit to print under a result. */
  text: string;
  licence: string;
  url: string;
}

export const LOCATIESERVER_ATTRIBUTION: Attribution = {
  register: "pdok-locatieserver",
  text: "Addresses: Basisregistratie Adressen en Gebouwen (BAG), Kadaster, via PDOK Locatieserver v3.1",
  licence: "BAG open data (public domain / CC0)",
  url: "https://api.pdok.nl/bzk/locatieserver/search/v3_1/",
};

export const BAG_ATTRIBUTION: Attribution = {
  register: "pdok-bag",
  text: "Units and buildings: Basisregistratie Adressen en Gebouwen (BAG), Kadaster, via PDOK BAG OGC API Features v2",
  licence: "Public Domain Mark 1.0",
  url: "https://api.pdok.nl/kadaster/bag/ogc/v2",
};

export const EP_ONLINE_ATTRIBUTION: Attribution = {
  register: "ep-online",
  text: "Energy labels: EP-Online (Rijksdienst voor Ondernemend Nederland), registrations shown per address",
  licence: "EP-Online terms of use: display per address only, no bulk redistribution of the data",
  url: "https://www.ep-online.nl",
};

export const BRK_ATTRIBUTION: Attribution = {
  register: "pdok-brk",
  text: "Cadastral parcels: Basisregistratie Kadaster (BRK), Kadastrale Kaart, Kadaster, via PDOK OGC API Features v1",
  licence: "CC BY 4.0 (Kadaster)",
  url: "https://api.pdok.nl/kadaster/brk-kadastrale-kaart/ogc/v1",
};

export const RCE_ATTRIBUTION: Attribution = {
  register: "rce-monuments",
  text: "Rijksmonumenten: Rijksmonumentenregister, Rijksdienst voor het Cultureel Erfgoed (RCE), via its linked data SPARQL endpoint",
  licence: "CC0 1.0 (RCE open data)",
  url: "https://monumentenregister.cultureelerfgoed.nl",
};

/** CBS requires naming CBS, the table and its year (CC BY 4.0), without implying endorsement. */
export function cbsAttribution(tableId: string, year: number): Attribution {
  return {
    register: "cbs-kwb",
    text: `Statistics Netherlands (CBS), Kerncijfers wijken en buurten ${year} (table ${tableId})`,
    licence: "CC BY 4.0",
    url: `https://opendata.cbs.nl/statline/#/CBS/nl/dataset/${tableId}`,
  };
}

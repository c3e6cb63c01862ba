/**
 * The public registers the live source asks, with the names users see in messages and the
 * attribution each one requires. The ids are the `source` column of what is cached in D1.
 */

export const REGISTER = {
  locatieserver: "pdok-locatieserver",
  bag: "pdok-bag",
  epOnline: "ep-online",
  cbs: "cbs-kwb",
} as const;
export type RegisterId = (typeof REGISTER)[keyof typeof REGISTER];

/** Names used in user-facing messages ("EP-Online did not answer in time"). */
export const REGISTER_NAMES: Record<RegisterId, string> = {
  "pdok-locatieserver": "PDOK Locatieserver",
  "pdok-bag": "PDOK BAG",
  "ep-online": "EP-Online",
  "cbs-kwb": "CBS",
};

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

/** CBS requires naming CBS, the table and its year (CC BY 4.0), without implying endorsement. */
export function cbsAttribution(tableId: string, year: number): Attribution {
  return {
    register: "cbs-kwb",
    text: `Statistics Netherlands (CBS), Kerncijfers wijken en buurten ${year} (table ${tableId})`,
    licence: "CC BY 4.0",
    url: `https://opendata.cbs.nl/statline/#/CBS/nl/dataset/${tableId}`,
  };
}

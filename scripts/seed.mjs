// Generates seed/seed.sql, pandgate's synthetic Dutch property dataset: four real municipalities
// (public facts) filled with fictional wijken, buurten, streets, postcodes, panden, units,
// addresses and EP-Online-shaped energy labels. Nothing here describes a real address.
//
//   node scripts/seed.mjs [--seed 20261101] [--scale 1] [--out seed/seed.sql] [--check]
//
// The output depends only on --seed and --scale: a seeded PRNG (sfc32) drives every choice, and
// all dates are fixed (the dataset is "as of" 2026-11-01). --check regenerates it into a scratch
// folder and fails when the file on disk differs byte for byte. The SQL holds exactly one
// statement per line, so a loader can split on newlines; no statement exceeds MAX_STATEMENT_BYTES
// (D1 allows 100 KB).
//
// --scale: 1 is the committed seed (22,641 addresses: 22,638 in 24 buurten, 3 edge cases added last); below 1 the buurten shrink;
// above 1 extra wijken of ordinary buurten are added, about 22,600 addresses per step, up to
// MAX_SCALE. --scale 45 gives 1,033,149 addresses (the four cities at about their real size),
// written as it is generated (about 520 MB of SQL; keep such files out of git, e.g. in .scale/).
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import labelTables from "../src/domain/label-tables.json" with { type: "json" };

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export const DEFAULT_SEED = 20261101;
export const DEFAULT_SCALE = 1;
export const DEFAULT_OUT = "seed/seed.sql";

const DATASET_NAME = "pandgate-synthetic-nl";
const SOURCE = "synthetic";
/** When the rows were "made"; fixed so the output never depends on the clock. */
const GENERATED_AT = "2026-11-01T00:00:00Z";
/** The last day a synthetic label may be registered on. */
const LAST_REGISTRATION = Date.UTC(2026, 9, 28);
const MAX_STATEMENT_BYTES = 80_000;
const MAX_ROWS_PER_STATEMENT = 400;
const BAG_SERIAL_BASE = 9_000_000_000;
/** The largest --scale: about 1.15 million addresses, where Amsterdam's PC4 range is nearly used up. */
export const MAX_SCALE = 50;

// ---------------------------------------------------------------------------------------------
// Randomness: sfc32 seeded through splitmix32 from (seed, label), one stream per label, so a
// change in one municipality does not reshuffle the others.

function fnv1a(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function splitmix32(state) {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

class Rng {
  constructor(seed, label) {
    const mix = splitmix32(fnv1a(`${seed}/${label}`));
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next() {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Integer in [lo, hi]. */
  int(lo, hi) {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  range(lo, hi) {
    return lo + this.next() * (hi - lo);
  }

  chance(p) {
    return this.next() < p;
  }

  pick(items) {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Picks a key of `{ key: weight }`. */
  weighted(weights) {
    const entries = Object.entries(weights);
    let total = 0;
    for (const [, w] of entries) total += w;
    let r = this.next() * total;
    for (const [key, w] of entries) {
      r -= w;
      if (r < 0) return key;
    }
    return entries[entries.length - 1][0];
  }

  shuffle(items) {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  /** Standard normal (Box–Muller). */
  normal() {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Lognormal around `median`, kept inside [lo, hi] by redrawing, then clamping. */
  lognormal(median, sigma, lo, hi) {
    for (let i = 0; i < 6; i++) {
      const x = median * Math.exp(sigma * this.normal());
      if (x >= lo && x <= hi) return x;
    }
    return Math.min(hi, Math.max(lo, median));
  }
}

// ---------------------------------------------------------------------------------------------
// Reference facts and generation parameters.

/**
 * The four municipalities: code, name, province and PC4 range are public facts; the COROP area
 * and its 2024 average WOZ per m² come from the WWS table (Groot-Amsterdam 5751, Utrecht 4197,
 * Groot-Rijnmond 3537). Everything below `centre` steers the fictional content; `dwellings` is
 * roughly the municipality's real housing stock (rounded to the thousand, an approximation: it
 * only decides how the addresses beyond scale 1 are shared out, so that the four together come
 * to about their real size, some 1 million addresses, at --scale 45).
 */
const MUNICIPALITIES = [
  {
    code: "0307",
    cadastral: "SYA00",
    name: "Amersfoort",
    provinceCode: "PV26",
    provinceName: "Utrecht",
    corop: "Utrecht",
    wozPerM2: 4197,
    pc4: [3811, 3829],
    centre: [52.1561, 5.3878],
    addressesPerBuurt: 740,
    dwellings: 68_000,
    wijken: [
      { suffix: "91", buurten: ["01", "02", "03"] },
      { suffix: "92", buurten: ["01", "02", "03"] },
    ],
    eras: ["pre-1906", "1945-1964", "1965-1974", "1975-1991", "1992-2005", "2006-2020"],
    apartmentBias: 0.8,
    walkupStyle: "letters",
    soil: { sand: 0.7, clay: 0.15, peat: 0.15 },
    flood: { 0: 0.45, "0-20": 0.3, "20-50": 0.15, "50-200": 0.1 },
    crimeFactor: 0.8,
    water: false,
    caravans: true,
  },
  {
    code: "0344",
    cadastral: "SYU00",
    name: "Utrecht",
    provinceCode: "PV26",
    provinceName: "Utrecht",
    corop: "Utrecht",
    wozPerM2: 4197,
    pc4: [3511, 3585],
    centre: [52.0907, 5.1214],
    addressesPerBuurt: 920,
    dwellings: 165_000,
    wijken: [
      { suffix: "91", buurten: ["01", "02", "03"] },
      { suffix: "92", buurten: ["01", "02", "03"] },
    ],
    eras: ["pre-1906", "1906-1944", "1965-1974", "1992-2005", "2006-2020", "2021+"],
    apartmentBias: 1,
    walkupStyle: "letters",
    soil: { clay: 0.55, sand: 0.3, peat: 0.15 },
    flood: { 0: 0.15, "0-20": 0.25, "20-50": 0.3, "50-200": 0.3 },
    crimeFactor: 1,
    water: true,
    caravans: false,
  },
  {
    code: "0363",
    cadastral: "SYD00",
    name: "Amsterdam",
    provinceCode: "PV27",
    provinceName: "Noord-Holland",
    corop: "Groot-Amsterdam",
    wozPerM2: 5751,
    pc4: [1011, 1109],
    centre: [52.3731, 4.8924],
    addressesPerBuurt: 1100,
    dwellings: 470_000,
    wijken: [
      { suffix: "AF", buurten: ["06", "07", "08"] },
      { suffix: "91", buurten: ["01", "02", "03"] },
    ],
    eras: ["pre-1906", "1906-1944", "1945-1964", "1965-1974", "1992-2005", "2021+"],
    apartmentBias: 1.4,
    walkupStyle: "floors",
    soil: { peat: 0.65, clay: 0.35 },
    flood: { "0-20": 0.1, "20-50": 0.2, "50-200": 0.45, ">200": 0.25 },
    crimeFactor: 1.3,
    water: true,
    caravans: false,
  },
  {
    code: "0599",
    cadastral: "SYR00",
    name: "Rotterdam",
    provinceCode: "PV28",
    provinceName: "Zuid-Holland",
    corop: "Groot-Rijnmond",
    wozPerM2: 3537,
    pc4: [3011, 3089],
    centre: [51.9225, 4.4792],
    addressesPerBuurt: 1000,
    dwellings: 320_000,
    wijken: [
      { suffix: "91", buurten: ["01", "02", "03"] },
      { suffix: "92", buurten: ["01", "02", "03"] },
    ],
    eras: ["pre-1906", "1906-1944", "1945-1964", "1965-1974", "1975-1991", "2006-2020"],
    apartmentBias: 1.2,
    walkupStyle: "letters",
    soil: { clay: 0.55, peat: 0.45 },
    flood: { "20-50": 0.15, "50-200": 0.4, ">200": 0.45 },
    crimeFactor: 1.2,
    water: false,
    caravans: true,
  },
];

/**
 * Build eras. `types` are dwelling shares (apartment, row of terraced houses, semi-detached,
 * detached); `walkup` is the share of apartments in small portiek/bovenwoning buildings (the rest
 * are larger blocks, the galerij flats of 1955–75 among them). `km` is how far from the city
 * centre such a buurt lies. The other figures steer the neighbourhood statistics.
 */
const ERAS = {
  "pre-1906": {
    from: 1850,
    to: 1905,
    types: [0.68, 0.26, 0.02, 0.04],
    walkup: 0.9,
    km: [0.2, 0.9],
    owner: 45,
    woz: [1.1, 1.3],
    liveability: 7,
    crime: 90,
    suffixes: { straat: 3, gracht: 2, steeg: 1, kade: 1, plein: 0.5, dijk: 0.5 },
  },
  "1906-1944": {
    from: 1906,
    to: 1944,
    types: [0.58, 0.32, 0.06, 0.04],
    walkup: 0.85,
    km: [1.0, 2.2],
    owner: 40,
    woz: [1.0, 1.2],
    liveability: 6,
    crime: 55,
    suffixes: { straat: 4, laan: 1.5, plein: 0.7, kade: 0.6, singel: 0.5 },
  },
  "1945-1964": {
    from: 1945,
    to: 1964,
    types: [0.62, 0.3, 0.05, 0.03],
    walkup: 0.55,
    km: [2.0, 3.5],
    owner: 30,
    woz: [0.8, 0.95],
    liveability: 5,
    crime: 60,
    suffixes: { straat: 3, laan: 2, hof: 1, plein: 0.5, weg: 0.5 },
  },
  "1965-1974": {
    from: 1965,
    to: 1974,
    types: [0.72, 0.22, 0.04, 0.02],
    walkup: 0.15,
    km: [3.0, 5.0],
    owner: 25,
    woz: [0.8, 0.92],
    liveability: 4,
    crime: 65,
    suffixes: { laan: 2, straat: 2, weg: 1, hof: 1, dreef: 0.7 },
  },
  "1975-1991": {
    from: 1975,
    to: 1991,
    types: [0.32, 0.52, 0.1, 0.06],
    walkup: 0.3,
    km: [3.0, 5.5],
    owner: 50,
    woz: [0.85, 1.0],
    liveability: 6,
    crime: 40,
    suffixes: { hof: 2, straat: 2, laan: 1, pad: 1, weg: 0.5 },
  },
  "1992-2005": {
    from: 1992,
    to: 2005,
    types: [0.25, 0.5, 0.15, 0.1],
    walkup: 0.15,
    km: [3.5, 6.0],
    owner: 65,
    woz: [0.9, 1.1],
    liveability: 7,
    crime: 30,
    suffixes: { laan: 2, straat: 2, hof: 1.5, weg: 1, kade: 0.5, singel: 0.5 },
  },
  "2006-2020": {
    from: 2006,
    to: 2020,
    types: [0.4, 0.38, 0.13, 0.09],
    walkup: 0.15,
    km: [4.0, 6.5],
    owner: 60,
    woz: [0.95, 1.15],
    liveability: 7,
    crime: 32,
    suffixes: { laan: 2, straat: 2, hof: 1, kade: 1, pad: 0.5 },
  },
  "2021+": {
    from: 2021,
    to: 2025,
    types: [0.55, 0.3, 0.09, 0.06],
    walkup: 0.1,
    km: [1.5, 5.0],
    owner: 55,
    woz: [1.0, 1.2],
    liveability: 7,
    crime: 35,
    suffixes: { laan: 2, straat: 1.5, hof: 1, kade: 1 },
  },
};
const ERA_KEYS = Object.keys(ERAS);

/**
 * Synthetic cadastral parcels: plot sizes in m² (lognormal median and bounds) of the parcel a
 * building stands on, by dwelling type ("office" for a building without dwellings, "walkup" and
 * "block" for the two kinds of apartment building). The kadastrale gemeente codes start "SY",
 * which no real one does; each buurt is a sectie of its own.
 */
const PLOTS = {
  walkup: { median: 140, sigma: 0.35, lo: 60, hi: 400 },
  block: { median: 1400, sigma: 0.4, lo: 500, hi: 4000 },
  tussenwoning: { median: 150, sigma: 0.25, lo: 80, hi: 300 },
  hoekwoning: { median: 230, sigma: 0.3, lo: 110, hi: 500 },
  "twee-onder-een-kap": { median: 380, sigma: 0.3, lo: 180, hi: 900 },
  vrijstaand: { median: 700, sigma: 0.45, lo: 250, hi: 3000 },
  office: { median: 450, sigma: 0.5, lo: 120, hi: 2500 },
};
/** `soort_grootte` of a synthetic parcel: most areas are established, a few provisional. */
const AREA_KINDS = { Vastgesteld: 0.96, Voorlopig: 0.04 };
/** Share of buildings that are (synthetic) rijksmonumenten, by build year. */
const MONUMENT_SHARE = [
  [1850, 0.12],
  [1906, 0.03],
  [1945, 0.004],
];
/** Synthetic monument numbers start here, far above the register's real numbers (under a million). */
const MONUMENT_BASE = 9_000_000_000;

/** Lognormal floor areas per dwelling type: median and bounds in m². */
const AREAS = {
  appartement: { median: 65, sigma: 0.33, lo: 25, hi: 160 },
  tussenwoning: { median: 110, sigma: 0.17, lo: 70, hi: 170 },
  hoekwoning: { median: 120, sigma: 0.18, lo: 75, hi: 190 },
  "twee-onder-een-kap": { median: 140, sigma: 0.2, lo: 90, hi: 260 },
  vrijstaand: { median: 170, sigma: 0.28, lo: 100, hi: 400 },
};
/** EP-Online `Gebouwtype` for each dwelling type. */
const LABEL_BUILDING_TYPE = {
  appartement: "Appartement",
  tussenwoning: "Tussenwoning",
  hoekwoning: "Hoekwoning",
  "twee-onder-een-kap": "Twee-onder-een-kap",
  vrijstaand: "Vrijstaande woning",
};

/** Energy classes from worst to best. */
const CLASSES = ["G", "F", "E", "D", "C", "B", "A", "A+", "A++", "A+++", "A++++"];
/**
 * NTA 8800 EP2 bands for woningen in kWh/m²·yr (A..G per the official table; the split of A into
 * A+..A++++ is the commonly cited one), as [lowest, highest] values drawn, in hundredths.
 */
const EP2_BANDS = {
  "A++++": [-3000, 0],
  "A+++": [1, 5000],
  "A++": [5001, 7500],
  "A+": [7501, 10500],
  A: [10501, 16000],
  B: [16001, 19000],
  C: [19001, 25000],
  D: [25001, 29000],
  E: [29001, 33500],
  F: [33501, 38000],
  G: [38001, 52000],
};
/** Old-method (Energie-Index) woning bands, in hundredths; A++ is the best old class. */
const EI_BANDS = {
  "A++": [35, 50],
  "A+": [51, 70],
  A: [71, 105],
  B: [106, 130],
  C: [131, 160],
  D: [161, 200],
  E: [201, 240],
  F: [241, 290],
  G: [291, 360],
};

/** The WWS build-year fallback: the class a dwelling of that year is treated as (shared table). */
function priorClass(year) {
  for (const [from, label] of labelTables.buildYearPrior) if (year >= from) return label;
  return "G";
}

// Word lists for fictional names. Street names are word + suffix ("Merel" + "hof").
const THEMES = {
  trees:
    "Eiken Beuken Linden Wilgen Essen Berken Populieren Kastanje Iepen Elzen Hazelaar Vlier Meidoorn Hulst Taxus Lijsterbes Esdoorn Plataan Acacia Notelaar Lariks Sparren",
  birds:
    "Merel Lijster Vink Spreeuw Zwaluw Reiger Kievit Grutto Wulp Meeuw Mees Specht Valk Buizerd Ekster Gaai Roodborst Koekoek Tureluur Scholekster Ijsvogel Zwaan",
  flowers:
    "Rozen Tulpen Narcis Krokus Lelie Iris Anjer Violier Klaproos Korenbloem Zonnebloem Margriet Madelief Hyacint Lavendel Akelei Dahlia Pioen Boterbloem Klaver Sering Goudsbloem",
  crafts:
    "Smids Kuipers Wevers Bakkers Molenaars Timmer Touwslagers Schilders Metselaars Zadelmakers Potten Glazenmakers Lijndraaiers Zeilmakers Brouwers Kaarsenmakers Hoefsmids Ververs Vollers Tinnegieters Kopergieters Leerlooiers",
  fields:
    "Weide Akker Beemd Gaarde Hoeve Brink Kamp Horst Donk Venne Wetering Vaart Polder Ven Heuvel Duin Zand Veld Meent Esch Hooiland Rietland",
  stars:
    "Poolster Orion Vega Sirius Lier Pegasus Andromeda Cassiopeia Draak Zwaan Arend Lyra Castor Pollux Capella Rigel Altair Deneb Regulus Spica Antares Aldebaran",
  waters: "Rijn Vecht Amstel Eem Lek Linge Berkel Dommel Regge Dinkel Mark Aa Roer Geul Hunze Drecht Gein Angstel Kromme Leij Zaan Schie",
  minerals:
    "Kwarts Graniet Basalt Agaat Jaspis Opaal Topaas Saffier Robijn Smaragd Parel Barnsteen Onyx Malachiet Marmer Leisteen Kalksteen Zandsteen Lava Obsidiaan Pyriet Amethist",
};
const THEME_KEYS = Object.keys(THEMES);
/** For the streets of a large city, once the themed names run out: a title or first name and a surname. */
const NAME_TITLES =
  "Burgemeester Dokter Pastoor Dominee Meester Notaris Professor Kapitein Jan Pieter Willem Hendrik Cornelis Johan Jacob Dirk Anna Maria Catharina Geertruida".split(
    " ",
  );
const SURNAMES = [
  ..."Jansen Bakker Visser Smit Meijer Mulder Bos Vos Peters Hendriks Dekker Brouwer Dijkstra Smits Kok Jacobs Vermeulen Schouten Willems Hoekstra Maas Verhoeven Koster Prins Blom Huisman Kuipers Post Kramer Scholten Postma Martens Vink Timmermans Groen Gerritsen Jonker Boer Willemsen Smeets Bosch Schipper Koning Driessen Hermans Evers Hofman Bosman Wolters Sanders Molenaar Verbeek".split(
    " ",
  ),
  ..."de Jong|de Vries|van den Berg|van Dijk|de Boer|de Groot|van Leeuwen|de Wit|de Graaf|van der Meer|van der Linden|de Haan|van den Heuvel|van der Veen|van den Broek|de Bruin|van der Heijden|van Beek|van Vliet|van de Ven|van Dam|van der Wal|de Jonge|van Veen|van den Brink|van Wijk|de Ruiter|van Loon|van der Velde|de Lange|de Vos|van Dongen|de Koning|van der Laan|van Doorn|van den Bosch|van der Meulen|van der Horst|de Leeuw".split(
    "|",
  ),
];
const STREET_PREFIXES = ["Korte", "Lange", "Oude", "Nieuwe", "Hoge", "Lage", "Noorder", "Zuider", "Ooster", "Wester"];
/** Fictional wijk and buurt names are compounds of these ("Riet" + "zoom"), plus a direction. */
const PLACE_HEADS =
  "Eik Veld Riet Brink Zand Meent Linden Wilgen Es Hulst Berken Elzen Vliet Akker Beemd Duin Heuvel Polder Watering Gaarden".split(" ");
const PLACE_TAILS = "horst hoeve wijk zicht oord donk rode hage zoom hoven rijk veld kamp hof".split(" ");
/** Compounds that are names of real places, which a fictional buurt should not borrow. */
const REAL_PLACES = new Set(["Veldhoven", "Zandhoven", "Eikhof", "Duinoord", "Rietveld", "Brinkhorst", "Heuvelrijk"]);
const PLACE_SUFFIXES = ["", "-Noord", "-Zuid", "-Oost", "-West"];

const POSTCODE_LETTERS = (() => {
  const pairs = [];
  for (let a = 65; a <= 90; a++) {
    for (let b = 65; b <= 90; b++) {
      const pair = String.fromCharCode(a, b);
      if (pair !== "SA" && pair !== "SD" && pair !== "SS") pairs.push(pair);
    }
  }
  return pairs;
})();

// ---------------------------------------------------------------------------------------------
// Dates (UTC day numbers; no clock).

const DAY_MS = 86_400_000;
const day = (y, m, d) => Date.UTC(y, m - 1, d);
function isoDate(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}
/** A day between two UTC dates, never 29 February (so "+10 years" stays a real date). */
function drawDate(rng, from, to) {
  if (to < from) throw new Error(`empty date range ${isoDate(from)}..${isoDate(to)}`);
  let ms = from + rng.int(0, Math.floor((to - from) / DAY_MS)) * DAY_MS;
  const d = new Date(ms);
  if (d.getUTCMonth() === 1 && d.getUTCDate() === 29) ms -= DAY_MS;
  return ms;
}
function plusTenYears(iso) {
  return `${Number(iso.slice(0, 4)) + 10}${iso.slice(4)}`;
}

// ---------------------------------------------------------------------------------------------
// Generation.

const round = (x, digits) => Number(x.toFixed(digits));
const roundTo5 = (x) => Math.max(0, Math.round(x / 5) * 5);
const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));

function drawBuildYear(rng, eraKey) {
  const era = ERAS[eraKey];
  if (eraKey === "pre-1906" && rng.chance(0.2)) return rng.int(1620, 1849);
  return rng.int(era.from, era.to);
}

/** Addresses at scale 1 in the listed buurten of all four municipalities (before the ±10 % per buurt). */
const BASE_ADDRESSES = MUNICIPALITIES.reduce(
  (sum, m) => sum + m.addressesPerBuurt * m.wijken.reduce((n, wijk) => n + wijk.buurten.length, 0),
  0,
);
const TOTAL_DWELLINGS = MUNICIPALITIES.reduce((sum, m) => sum + m.dwellings, 0);

function emptyData() {
  return {
    municipalities: [],
    districts: [],
    neighbourhoods: [],
    buildings: [],
    units: [],
    unitBuildings: [],
    addresses: [],
    labels: [],
    parcels: [],
    unitParcels: [],
    monuments: [],
    unitMonuments: [],
  };
}

/**
 * Generates everything. Up to scale 1, `scale` sizes the 24 listed buurten (scale 1 is the
 * committed seed). Above it the listed buurten stay as at scale 1 and each municipality gets
 * extra wijken of buurten of the usual size, (scale − 1) × about 22,600 addresses in all, shared
 * out by real housing stock; so a larger dataset has more buurten, streets and postcodes, not
 * bigger ones, and the same mix of eras, dwelling types, labels and statistics.
 *
 * Rows go to `data`, whose members need only `push(row)`: arrays by default (returned), or sinks
 * that write them out as they come (`writeDataset`).
 */
export function generate({ seed = DEFAULT_SEED, scale = DEFAULT_SCALE, data = emptyData() } = {}) {
  const usedPlaceNames = new Set();
  for (const m of MUNICIPALITIES) new MunicipalityGenerator(data, m, seed, scale, usedPlaceNames).run();
  return data;
}

class MunicipalityGenerator {
  constructor(data, m, seed, scale, usedPlaceNames) {
    this.data = data;
    this.m = m;
    this.seed = seed;
    this.scale = scale;
    this.usedPlaceNames = usedPlaceNames;
    this.rng = new Rng(seed, `GM${m.code}`);
    this.serials = { "01": 0, "02": 0, "03": 0, 10: 0, 20: 0 };
    this.labelSerial = 0;
    this.pendingNeighbourhoods = [];
    this.streetNames = new Set();
    this.freePc4 = this.rng.shuffle(rangeList(m.pc4[0], m.pc4[1]));
    this.mPerDegLat = 111_320;
    this.mPerDegLon = 111_320 * Math.cos((m.centre[0] * Math.PI) / 180);
    this.ligplaatsen = 0;
    this.standplaatsen = 0;
    /** PC4s a buurt left with letters to spare, with the last letter pair used; extra buurten go on there. */
    this.openPc4s = [];
    /** Parcels and monuments draw from a stream of their own, so the rest of the dataset is as it was without them. */
    this.parcelRng = new Rng(seed, `GM${m.code}/parcels`);
    this.sections = 0;
    this.monumentSerial = 0;
    /** The parcel (and monument) of the building the last unit was put in: the units of one building share them. */
    this.plot = null;
  }

  /** The next sectie: A … Z, then AA … ZZ. */
  nextSection() {
    const n = this.sections++;
    const letter = (i) => String.fromCharCode(65 + i);
    if (n < 26) return letter(n);
    if (n < 26 + 26 * 26) return letter(Math.floor((n - 26) / 26)) + letter((n - 26) % 26);
    throw new Error(`GM${this.m.code}: ran out of cadastral sections; use a smaller --scale`);
  }

  /** The parcel, and monument if any, of `building`: made for the first unit in it, shared by the rest. */
  plotOf(b, building, plotType) {
    if (this.plot?.buildingId === building.id) return this.plot;
    const rng = this.parcelRng;
    if (b.section === undefined) {
      b.section = this.nextSection();
      b.parcelNumber = 0;
    }
    b.parcelNumber += 1 + rng.int(0, 3);
    if (b.parcelNumber > 99999) throw new Error(`GM${this.m.code}: ran out of parcel numbers in sectie ${b.section}`);
    const a = PLOTS[plotType];
    const parcel = {
      id: `${this.m.cadastral}-${b.section}-${b.parcelNumber}`,
      cadastral_code: this.m.cadastral,
      cadastral_name: `${this.m.name} (synthetic)`,
      section: b.section,
      parcel_number: b.parcelNumber,
      area_m2: Math.round(rng.lognormal(a.median, a.sigma, a.lo, a.hi)),
      area_kind: rng.weighted(AREA_KINDS),
    };
    this.data.parcels.push(parcel);
    let monument = null;
    const share = MONUMENT_SHARE.find(([before]) => building.year < before)?.[1] ?? 0;
    if (rng.chance(share)) {
      this.monumentSerial += 1;
      if (this.monumentSerial > 99999) throw new Error(`GM${this.m.code}: ran out of synthetic monument numbers`);
      monument = MONUMENT_BASE + Number(this.m.code) * 100_000 + this.monumentSerial;
      this.data.monuments.push({ number: monument, url: null });
    }
    this.plot = { buildingId: building.id, parcelId: parcel.id, monument };
    return this.plot;
  }

  bagId(type) {
    this.serials[type] += 1;
    return `${this.m.code}${type}${BAG_SERIAL_BASE + this.serials[type]}`;
  }

  placeName(rng, suffixes) {
    for (let i = 0; i < 200; i++) {
      const head = rng.pick(PLACE_HEADS);
      const tail = rng.pick(PLACE_TAILS);
      const name = `${i < 100 ? "" : "De "}${head}${tail}${rng.pick(suffixes)}`;
      if (head.toLowerCase() !== tail && !REAL_PLACES.has(`${head}${tail}`) && !this.usedPlaceNames.has(name)) {
        this.usedPlaceNames.add(name);
        return name;
      }
    }
    throw new Error("ran out of fictional place names");
  }

  run() {
    const { m, rng } = this;
    this.data.municipalities.push({
      code: `GM${m.code}`,
      name: m.name,
      province_code: m.provinceCode,
      province_name: m.provinceName,
      corop_name: m.corop,
      woz_per_m2: m.wozPerM2,
      woz_per_m2_year: 2024,
    });
    const eras = rng.shuffle(m.eras);
    let eraIndex = 0;
    const firstBearing = rng.range(0, 360);
    m.wijken.forEach((wijk, w) => {
      const code = `WK${m.code}${wijk.suffix}`;
      this.data.districts.push({ code, municipality_code: `GM${m.code}`, name: this.placeName(rng, [""]) });
      const bearing = firstBearing + w * rng.range(120, 220);
      for (const b of wijk.buurten) {
        const eraKey = eras[eraIndex++ % eras.length];
        this.buurt(`BU${m.code}${wijk.suffix}${b}`, code, eraKey, bearing + rng.range(-30, 30));
      }
    });
    if (this.scale > 1) this.extraWijken(eras);
    this.flushNeighbourhoods();
    this.edgeCases();
  }

  /**
   * The buurt rows, once the municipality's are all made: each carries the municipality's average
   * WOZ as CBS's GM row would give it (the dwelling-weighted mean of its buurten), so the
   * neighbourhood factor compares figures of one table, as it does with the real KWB.
   */
  flushNeighbourhoods() {
    const rows = this.pendingNeighbourhoods;
    const dwellings = rows.reduce((sum, r) => sum + r.dwellings, 0);
    const avg = Math.round(rows.reduce((sum, r) => sum + r.avg_woz_thousands * r.dwellings, 0) / Math.max(1, dwellings));
    for (const row of rows) this.data.neighbourhoods.push({ ...row, municipality_avg_woz_thousands: avg });
    this.pendingNeighbourhoods = [];
  }

  /**
   * Two kinds of address BAG has but the buurten above never make, added last (from a stream of
   * their own, so every row before them is as it was): in a municipality with caravan pitches, a
   * standplaats whose address has no postcode (BAG gives none to some pitches and moorings), on a
   * street of its own in the last buurt; and in Amersfoort a new-build detached house outside any
   * buurt (neighbourhood_code NULL: a new development CBS has not yet put in its buurt table).
   */
  edgeCases() {
    const { m } = this;
    const rng = new Rng(this.seed, `GM${m.code}/edge`);
    const last = this.lastBuurt;
    if (m.caravans && last) {
      const b = { code: last.code, rng, themes: last.themes, count: 0, dwellings: [] };
      const street = {
        name: this.streetName(b, "pad"),
        suffix: "pad",
        start: { x: last.centre.x + 420, y: last.centre.y },
        dir: { x: 1, y: 0 },
        numbers: [1, 2],
      };
      this.standplaatsGroup(b, { street, sideIndex: 0, postcode: null, t: 0, count: 0 }, 1);
    }
    if (m.code === "0307") {
      const b = { code: null, rng, themes: this.lastBuurt?.themes ?? THEME_KEYS.slice(0, 2), count: 0, dwellings: [] };
      const street = {
        name: this.streetName(b, "laan"),
        suffix: "laan",
        start: { x: 2600, y: -2600 },
        dir: { x: 0, y: 1 },
        numbers: [1, 2],
      };
      const pc4 = this.freePc4.shift();
      if (pc4 === undefined) throw new Error(`GM${m.code}: PC4 range exhausted; use a smaller --scale`);
      const side = { street, sideIndex: 0, postcode: `${pc4}${POSTCODE_LETTERS[0]}`, t: 0, count: 0 };
      this.house(b, side, ERA_KEYS[ERA_KEYS.length - 1], "vrijstaand", 16, 2024);
    }
  }

  /**
   * Above scale 1: this municipality's share of the extra addresses, as wijken (codes 00..90) of
   * 4–9 buurten each, their eras taken in turn from the municipality's own mix and spread further
   * out from the centre as the city grows. Drawn from their own streams, after everything else.
   */
  extraWijken(eras) {
    const { m } = this;
    const rng = new Rng(this.seed, `GM${m.code}/wijken`);
    const extra = (this.scale - 1) * BASE_ADDRESSES * (m.dwellings / TOTAL_DWELLINGS);
    let remaining = Math.round(extra / m.addressesPerBuurt);
    const listed = m.wijken.reduce((n, wijk) => n + wijk.buurten.length, 0);
    const spread = Math.min(2.5, Math.sqrt((listed + remaining) / listed));
    let eraIndex = rng.int(0, eras.length - 1);
    for (let w = 0; remaining > 0; w++) {
      if (w > 90) throw new Error(`GM${m.code}: ran out of wijk codes; use a smaller --scale`);
      const suffix = String(w).padStart(2, "0");
      const code = `WK${m.code}${suffix}`;
      this.data.districts.push({ code, municipality_code: `GM${m.code}`, name: this.placeName(rng, [""]) });
      const bearing = rng.range(0, 360);
      const n = Math.min(remaining, rng.int(4, 9));
      for (let i = 1; i <= n; i++) {
        const eraKey = eras[eraIndex++ % eras.length];
        this.buurt(`BU${m.code}${suffix}${String(i).padStart(2, "0")}`, code, eraKey, bearing + rng.range(-30, 30), {
          extra: true,
          spread,
        });
      }
      remaining -= n;
    }
  }

  toLatLon(x, y) {
    return [round(this.m.centre[0] + y / this.mPerDegLat, 6), round(this.m.centre[1] + x / this.mPerDegLon, 6)];
  }

  buurt(code, districtCode, eraKey, bearingDeg, { extra = false, spread = 1 } = {}) {
    const { m } = this;
    const rng = new Rng(this.seed, code);
    const era = ERAS[eraKey];
    const km = rng.range(era.km[0], era.km[1]);
    const bearing = (bearingDeg * Math.PI) / 180;
    const reach = extra ? km * spread : km;
    const centre = { x: Math.sin(bearing) * reach * 1000, y: Math.cos(bearing) * reach * 1000 };
    const themes = rng.shuffle(THEME_KEYS).slice(0, 2);
    const b = {
      code,
      rng,
      eraKey,
      centre,
      themes,
      pc4s: [],
      letterCursor: -1,
      count: 0,
      dwellings: [],
      extra,
    };
    // A listed buurt starts a PC4 of its own; an extra one goes on where the last one stopped.
    if (extra) b.letterCursor = POSTCODE_LETTERS.length;
    else this.nextPc4(b);
    const target = Math.max(1, Math.round(m.addressesPerBuurt * Math.min(this.scale, 1) * rng.range(0.9, 1.1)));
    while (b.count < target) this.street(b, target);
    this.pendingNeighbourhoods.push(this.statistics(b, districtCode, km));
    this.lastBuurt = b;
    const last = b.pc4s[b.pc4s.length - 1];
    if (last !== undefined && b.letterCursor < POSTCODE_LETTERS.length - 3) {
      if (extra) this.openPc4s.unshift({ pc4: last, cursor: b.letterCursor });
      else this.openPc4s.push({ pc4: last, cursor: b.letterCursor });
    }
  }

  /** An extra buurt's next PC4: the rest of an open one if there is one, else a fresh one. */
  continuePc4(b) {
    for (;;) {
      const open = this.openPc4s.shift();
      if (open === undefined) break;
      const cursor = open.cursor + 1 + b.rng.int(0, 2);
      if (cursor < POSTCODE_LETTERS.length) {
        b.pc4s.push(open.pc4);
        b.letterCursor = cursor;
        return;
      }
    }
    this.nextPc4(b);
    b.letterCursor = b.rng.int(0, 2);
  }

  nextPc4(b) {
    const pc4 = this.freePc4.shift();
    if (pc4 === undefined) throw new Error(`GM${this.m.code}: PC4 range exhausted; use a smaller --scale`);
    b.pc4s.push(pc4);
    b.letterCursor = -1;
  }

  /** The next unused PC6 of the buurt: letters ascend with small gaps, as real ones do. */
  postcode(b) {
    b.letterCursor += 1 + b.rng.int(0, 2);
    if (b.letterCursor >= POSTCODE_LETTERS.length && b.extra) {
      this.continuePc4(b);
    } else if (b.letterCursor >= POSTCODE_LETTERS.length) {
      this.nextPc4(b);
      b.letterCursor = b.rng.int(0, 2);
    }
    return `${b.pc4s[b.pc4s.length - 1]}${POSTCODE_LETTERS[b.letterCursor]}`;
  }

  streetName(b, suffix) {
    const { rng } = b;
    const words = (key) => THEMES[key].split(" ");
    const attempt = (prefix, theme) => {
      const name = `${prefix ? `${prefix} ` : ""}${rng.pick(words(theme))}${suffix}`;
      if (this.streetNames.has(name)) return null;
      this.streetNames.add(name);
      return name;
    };
    for (let i = 0; i < 40; i++) {
      const name = attempt("", b.themes[i % 2]);
      if (name) return name;
    }
    for (let i = 0; i < 400; i++) {
      const name = attempt(i < 200 ? rng.pick(STREET_PREFIXES) : "", i < 100 ? b.themes[i % 2] : rng.pick(THEME_KEYS));
      if (name) return name;
    }
    // Only a large city gets this far: streets named after fictional people ("Dokter de Wittlaan").
    for (let i = 0; i < 400; i++) {
      const name = `${rng.pick(NAME_TITLES)} ${rng.pick(SURNAMES)}${suffix}`;
      if (!this.streetNames.has(name)) {
        this.streetNames.add(name);
        return name;
      }
    }
    throw new Error(`GM${this.m.code}: ran out of fictional street names; use a smaller --scale`);
  }

  street(b, target) {
    const { rng } = b;
    const suffixes = { ...ERAS[b.eraKey].suffixes };
    if (!this.m.water) delete suffixes.gracht;
    const suffix = rng.weighted(suffixes);
    const name = this.streetName(b, suffix);
    const short = ["plein", "hof", "steeg", "pad"].includes(suffix);
    const segments = short ? 1 : rng.int(1, 3);
    const waterfront = suffix === "kade" || suffix === "dijk";
    const angle = rng.range(0, Math.PI);
    const street = {
      name,
      suffix,
      start: { x: b.centre.x + rng.range(-380, 380), y: b.centre.y + rng.range(-380, 380) },
      dir: { x: Math.cos(angle), y: Math.sin(angle) },
      numbers: [1, 2],
    };
    let t0 = 0;
    for (let s = 0; s < segments && b.count < target; s++) {
      let longest = 0;
      for (const sideIndex of [0, 1]) {
        // A kade or dijk has houses on one side and water (sometimes with houseboats) on the other.
        const waterSide = waterfront && sideIndex === 1;
        if (waterSide && !(this.m.water && rng.chance(0.6))) continue;
        const side = { street, sideIndex, postcode: this.postcode(b), t: t0, count: 0 };
        if (waterSide) this.ligplaatsGroup(b, side, rng.int(3, 8));
        else this.fillSide(b, side);
        longest = Math.max(longest, side.t - t0);
      }
      t0 += longest + 18;
    }
  }

  point(side, along, offset = 0) {
    const { street } = side;
    const normal = side.sideIndex === 0 ? 1 : -1;
    const across = normal * (9 + offset);
    const x = street.start.x + street.dir.x * along - street.dir.y * across;
    const y = street.start.y + street.dir.y * along + street.dir.x * across;
    return this.toLatLon(x, y);
  }

  number(side) {
    const n = side.street.numbers[side.sideIndex];
    side.street.numbers[side.sideIndex] = n + 2;
    return n;
  }

  fillSide(b, side) {
    const { rng } = b;
    const size = rng.int(8, 25);
    let gracht = this.m.water && side.street.suffix === "gracht" && side.sideIndex === 1 && rng.chance(0.5);
    while (side.count < size) {
      const room = size - side.count;
      if (gracht && room <= 6) {
        this.ligplaatsGroup(b, side, room);
        gracht = false;
        continue;
      }
      const eraKey = this.groupEra(b);
      const kind = this.groupKind(b, eraKey, side.street.suffix);
      this.group(b, side, kind, eraKey, room);
    }
  }

  groupEra(b) {
    const { rng } = b;
    const i = ERA_KEYS.indexOf(b.eraKey);
    if (rng.chance(0.75)) return b.eraKey;
    if (rng.chance(0.7)) {
      const j = clamp(i + (rng.chance(0.5) ? -1 : 1), 0, ERA_KEYS.length - 1);
      return ERA_KEYS[j];
    }
    return ERA_KEYS[rng.int(0, i)];
  }

  groupKind(b, eraKey, suffix) {
    const era = ERAS[eraKey];
    const [app, row, pair, detached] = era.types;
    const apartments = app * this.m.apartmentBias;
    const weights = {
      walkup: (apartments * era.walkup) / 6,
      block: (apartments * (1 - era.walkup)) / 16,
      row: row / 5.5,
      pair: pair / 2,
      detached,
      office: 0.011,
    };
    const caravanEra = eraKey === "1945-1964" || eraKey === "1965-1974" || eraKey === "1975-1991";
    if (this.m.caravans && caravanEra && (suffix === "hof" || suffix === "pad" || suffix === "weg")) {
      weights.standplaats = this.standplaatsen === 0 ? 0.2 : 0.004;
    }
    return b.rng.weighted(weights);
  }

  group(b, side, kind, eraKey, room) {
    const { rng } = b;
    if (kind === "standplaats") return this.standplaatsGroup(b, side, Math.min(room, rng.int(3, 6)));
    if (kind === "office") return this.office(b, side, eraKey);
    if (kind === "block" && room >= 6) return this.block(b, side, eraKey, Math.min(room, rng.int(8, 24)));
    if (kind === "walkup" || kind === "block") return this.walkup(b, side, eraKey, room);
    if (kind === "row" && room >= 3) return this.row(b, side, eraKey, Math.min(room, rng.int(3, 8)));
    if ((kind === "row" || kind === "pair") && room >= 2) return this.pair(b, side, eraKey);
    return this.house(b, side, eraKey, "vrijstaand", 16);
  }

  building(rng, year) {
    const id = this.bagId("10");
    let status = "Pand in gebruik";
    if (rng.chance(0.006)) status = "Verbouwing pand";
    else if (rng.chance(year >= 2015 ? 0.04 : 0.004)) status = "Pand in gebruik (niet ingemeten)";
    this.data.buildings.push({ id, build_year: year, status });
    return { id, year, status };
  }

  /** One verblijfsobject in `buildings`, with its main address and, if residential, maybe labels. */
  unit(b, side, { buildings, type, purposes, area, number, letter = null, addition = null, point, plotType }) {
    const { rng } = b;
    const id = this.bagId("01");
    let status = "Verblijfsobject in gebruik";
    if (buildings[0].status === "Verbouwing pand" && rng.chance(0.5)) status = "Verbouwing verblijfsobject";
    else if (rng.chance(0.01)) status = "Verblijfsobject in gebruik (niet ingemeten)";
    this.data.units.push({
      id,
      kind: "verblijfsobject",
      surface_m2: Math.round(area),
      use_purposes: JSON.stringify(purposes),
      status,
      dwelling_type: type,
      in_research: rng.chance(0.007) ? 1 : 0,
    });
    for (const building of buildings) this.data.unitBuildings.push({ unit_id: id, building_id: building.id });
    const plot = this.plotOf(b, buildings[0], plotType ?? type ?? "office");
    this.data.unitParcels.push({ unit_id: id, parcel_id: plot.parcelId });
    if (plot.monument !== null) this.data.unitMonuments.push({ unit_id: id, monument_number: plot.monument });
    this.address(b, side, { unitId: id, number, letter, addition, point });
    if (purposes.includes("woonfunctie")) {
      b.dwellings.push({ type, area, year: buildings[0].year });
      this.labels(rng, id, type, area, buildings[0].year);
    }
    return id;
  }

  address(b, side, { unitId, number, letter = null, addition = null, point, isMain = 1 }) {
    this.data.addresses.push({
      id: this.bagId("20"),
      unit_id: unitId,
      is_main: isMain,
      postcode: side.postcode,
      house_number: number,
      house_letter: letter,
      house_number_addition: addition,
      street: side.street.name,
      place: this.m.name,
      municipality_code: `GM${this.m.code}`,
      neighbourhood_code: b.code,
      lat: point[0],
      lon: point[1],
    });
    side.count += 1;
    b.count += 1;
  }

  area(rng, type, eraKey) {
    const a = AREAS[type];
    let median = a.median;
    const i = ERA_KEYS.indexOf(eraKey);
    if (type === "appartement") median *= i <= 0 ? 0.95 : i <= 3 ? 0.97 : 1.15;
    else median *= i >= 2 && i <= 3 ? 0.92 : i >= 5 ? 1.05 : 1;
    return rng.lognormal(median, a.sigma, a.lo, a.hi);
  }

  /** Terraced houses: corner houses at both ends, each house its own pand. */
  row(b, side, eraKey, n) {
    const { rng } = b;
    const year = drawBuildYear(rng, eraKey);
    for (let i = 0; i < n; i++) {
      const type = i === 0 || i === n - 1 ? "hoekwoning" : "tussenwoning";
      this.house(b, side, eraKey, type, type === "hoekwoning" ? 7 : 5.5, year);
    }
    side.t += 4;
  }

  pair(b, side, eraKey) {
    const year = drawBuildYear(b.rng, eraKey);
    this.house(b, side, eraKey, "twee-onder-een-kap", 9, year);
    this.house(b, side, eraKey, "twee-onder-een-kap", 9, year);
    side.t += 5;
  }

  house(b, side, eraKey, type, frontage, year = drawBuildYear(b.rng, eraKey)) {
    const { rng } = b;
    const buildings = [this.building(rng, year)];
    // Now and then a house spans two panden (an annex registered as its own pand).
    if (rng.chance(0.01)) buildings.push(this.building(rng, Math.min(2024, year + rng.int(8, 60))));
    const number = this.number(side);
    const point = this.point(side, side.t + frontage / 2);
    const unitId = this.unit(b, side, { buildings, type, purposes: ["woonfunctie"], area: this.area(rng, type, eraKey), number, point });
    // A few houses carry a second address (nevenadres), e.g. a side entrance.
    if (rng.chance(type === "hoekwoning" ? 0.04 : 0.008)) {
      this.address(b, side, { unitId, number, letter: "A", point: this.point(side, side.t + frontage / 2, 2), isMain: 0 });
    }
    side.t += frontage;
  }

  /** A small portiek or bovenwoning building: 1–3 numbers with 2–4 units each, one pand. */
  walkup(b, side, eraKey, room) {
    const { rng } = b;
    const year = drawBuildYear(rng, eraKey);
    const building = this.building(rng, year);
    const floors = Math.min(room, rng.int(2, 4));
    const numbers = Math.max(1, Math.min(rng.int(1, 3), Math.floor(room / floors)));
    const oldCentre = ERA_KEYS.indexOf(eraKey) <= 2;
    for (let n = 0; n < numbers; n++) {
      const number = this.number(side);
      const withLetterAndAddition = rng.chance(0.03);
      for (let f = 0; f < floors; f++) {
        let letter = null;
        let addition = null;
        if (withLetterAndAddition) {
          letter = "A";
          addition = String(f + 1);
        } else if (this.m.walkupStyle === "floors") {
          addition = f === 0 ? "H" : String(f);
        } else if (floors > 1) {
          letter = String.fromCharCode(65 + f);
        }
        const shop = f === 0 && oldCentre && rng.chance(0.1);
        const purposes = shop ? ["woonfunctie", "winkelfunctie"] : ["woonfunctie"];
        const area = this.area(rng, "appartement", eraKey) * (shop ? 1.5 : 1);
        const jitter = [rng.range(-1.5, 1.5), rng.range(-1.5, 1.5)];
        const point = this.point(side, side.t + 3 + jitter[0], 3 + jitter[1]);
        this.unit(b, side, {
          buildings: [building],
          type: "appartement",
          purposes,
          area,
          number,
          letter,
          addition,
          point,
          plotType: "walkup",
        });
      }
      side.t += 6;
    }
  }

  /** An apartment block (a galerij flat in the 1955–75 era): one pand, a number per unit. */
  block(b, side, eraKey, n) {
    const { rng } = b;
    const year = drawBuildYear(rng, eraKey);
    const building = this.building(rng, year);
    const length = 12 + n * 1.5;
    for (let i = 0; i < n; i++) {
      const number = this.number(side);
      const point = this.point(side, side.t + (i % 8) * (length / 8) + rng.range(0, 1.5), 6 + rng.range(0, 4));
      const area = this.area(rng, "appartement", eraKey);
      this.unit(b, side, { buildings: [building], type: "appartement", purposes: ["woonfunctie"], area, number, point, plotType: "block" });
    }
    side.t += length + 6;
  }

  office(b, side, eraKey) {
    const { rng } = b;
    const building = this.building(rng, drawBuildYear(rng, eraKey));
    const number = this.number(side);
    const area = rng.lognormal(180, 0.5, 40, 900);
    this.unit(b, side, {
      buildings: [building],
      type: null,
      purposes: ["kantoorfunctie"],
      area,
      number,
      point: this.point(side, side.t + 7),
    });
    side.t += 15;
  }

  /** Houseboat moorings (ligplaatsen): no pand, no gebruiksdoel, no floor area in BAG. */
  ligplaatsGroup(b, side, n) {
    for (let i = 0; i < n; i++) {
      const id = this.bagId("02");
      this.data.units.push({
        id,
        kind: "ligplaats",
        surface_m2: null,
        use_purposes: "[]",
        status: "Plaats aangewezen",
        dwelling_type: "woonboot",
        in_research: 0,
      });
      this.address(b, side, { unitId: id, number: this.number(side), point: this.point(side, side.t + 9, 14) });
      side.t += 18;
      this.ligplaatsen += 1;
    }
  }

  /** Caravan pitches (standplaatsen): no pand, no gebruiksdoel, no floor area in BAG. */
  standplaatsGroup(b, side, n) {
    for (let i = 0; i < n; i++) {
      const id = this.bagId("03");
      this.data.units.push({
        id,
        kind: "standplaats",
        surface_m2: null,
        use_purposes: "[]",
        status: "Plaats aangewezen",
        dwelling_type: "woonwagen",
        in_research: 0,
      });
      this.address(b, side, { unitId: id, number: this.number(side), point: this.point(side, side.t + 6, 4) });
      side.t += 12;
      this.standplaatsen += 1;
    }
  }

  /** EP-Online-shaped registrations for a dwelling: none (about 30 %), a current one, maybe an older one. */
  labels(rng, unitId, type, area, year) {
    const none = year >= 2021 ? 0.04 : year >= 2006 ? 0.22 : 0.32;
    if (rng.chance(none)) return;
    const prior = priorClass(year);
    let index = CLASSES.indexOf(prior);
    const improve = year < 1945 ? 0.35 : year < 1992 ? 0.25 : year < 2021 ? 0.15 : 0;
    if (rng.chance(improve)) index += year < 1992 ? rng.int(1, 3) : rng.int(1, 2);
    let energyClass = CLASSES[Math.min(index, CLASSES.indexOf("A++"))];
    if (year >= 2021) energyClass = rng.chance(0.6) ? "A+++" : "A++++";
    const labelYear = rng.chance(0.04) ? year + rng.int(-4, 4) : year;
    const thermal = area * (rng.chance(0.01) ? rng.range(1.35, 1.6) : rng.range(0.88, 1.08));
    const common = {
      unit_id: unitId,
      building_type: LABEL_BUILDING_TYPE[type],
      label_build_year: labelYear,
      thermal_area_m2: round(thermal, 1),
    };

    const oldMethod = year < 2020 && rng.chance(0.2);
    if (oldMethod) {
      const from = Math.max(day(2008, 1, 1), day(year + 1, 1, 1));
      this.pushLabel(
        rng,
        { ...common, energyClass: capOldClass(energyClass), method: "Energie-Index" },
        drawDate(rng, from, day(2020, 12, 31)),
      );
      return;
    }
    const from = year >= 2021 ? Math.max(day(2021, 2, 1), day(year, 4, 1)) : day(2021, 2, 1);
    const registered = drawDate(rng, Math.min(from, LAST_REGISTRATION - 30 * DAY_MS), LAST_REGISTRATION);
    // Some dwellings were labelled before under the old method; that record is superseded.
    if (year < 2019 && rng.chance(0.18)) {
      const older = capOldClass(prior);
      this.pushLabel(
        rng,
        { ...common, energyClass: older, method: "Energie-Index" },
        drawDate(rng, Math.max(day(2008, 1, 1), day(year + 1, 1, 1)), day(2020, 6, 30)),
      );
    }
    this.pushLabel(rng, { ...common, energyClass, method: "NTA 8800" }, registered);
  }

  pushLabel(rng, { energyClass, method, ...rest }, registeredMs) {
    const inspected = isoDate(drawDate(rng, registeredMs - 40 * DAY_MS, registeredMs));
    const registered = isoDate(registeredMs);
    const nta = method === "NTA 8800";
    const band = nta ? EP2_BANDS[energyClass] : EI_BANDS[energyClass];
    const value = rng.int(band[0], band[1]) / 100;
    this.labelSerial += 1;
    this.data.labels.push({
      id: `syn-ep-${this.m.code}-${String(this.labelSerial).padStart(6, "0")}`,
      unit_id: rest.unit_id,
      energy_class: energyClass,
      registered_at: registered,
      inspected_at: inspected,
      valid_until: plusTenYears(inspected),
      method,
      calculation_type: nta ? (registered < "2024" ? "NTA 8800:2020" : "NTA 8800:2024") : "EI (ISSO 82.3)",
      ep2_kwh_m2: nta ? value : null,
      energy_index: nta ? null : value,
      building_type: rest.building_type,
      label_build_year: rest.label_build_year,
      thermal_area_m2: rest.thermal_area_m2,
    });
  }

  /** CBS-like figures for a buurt, derived from what was generated in it. */
  statistics(b, districtCode, km) {
    const { m } = this;
    const { rng, dwellings, eraKey } = b;
    const era = ERAS[eraKey];
    const n = Math.max(1, dwellings.length);
    const apartments = dwellings.filter((d) => d.type === "appartement").length / n;
    const meanArea = dwellings.reduce((sum, d) => sum + d.area, 0) / n;
    const before1945 = dwellings.filter((d) => d.year < 1945).length / n;
    const before1970 = dwellings.filter((d) => d.year < 1970).length / n;
    const householdSize = round(1.55 + 1.05 * (1 - apartments) + rng.range(-0.1, 0.15), 1);
    const households = roundTo5(dwellings.length * rng.range(0.94, 0.99));
    const centrality = clamp(1 - km / 7, 0, 1);
    const near = (far, close, lo, hi) => round(clamp((far + (close - far) * centrality) * rng.range(0.8, 1.2), lo, hi), 1);
    const liveability = clamp(era.liveability + rng.int(-1, 1), 1, 9);
    const soil = rng.weighted(m.soil);
    const riskySoil = soil !== "sand";
    return {
      code: b.code,
      district_code: districtCode,
      municipality_code: `GM${m.code}`,
      name: this.placeName(rng, eraKey === "pre-1906" && !b.extra ? [" Centrum", "-Binnenstad"] : PLACE_SUFFIXES),
      dataset_year: 2024,
      inhabitants: roundTo5(households * householdSize),
      households,
      avg_household_size: householdSize,
      avg_woz_thousands: Math.round((m.wozPerM2 * meanArea * rng.range(era.woz[0], era.woz[1])) / 1000),
      dwellings: dwellings.length,
      pct_owner_occupied: Math.round(clamp(era.owner + 25 * (1 - apartments) - 10 + rng.range(-8, 8), 5, 95)),
      pct_built_before_1945: Math.round(before1945 * 100),
      dist_gp_km: near(2.2, 0.4, 0.3, 2.5),
      dist_supermarket_km: near(1.6, 0.3, 0.2, 2),
      dist_school_km: near(1.5, 0.4, 0.3, 2),
      dist_station_km: round(clamp(km * rng.range(0.5, 1.1) + 0.5, 0.8, 8), 1),
      liveability_class: liveability,
      liveability_deviation: round((liveability - 5) * 0.045 + rng.range(-0.02, 0.02), 3),
      crime_per_1000: round(era.crime * m.crimeFactor * rng.range(0.75, 1.25), 1),
      flood_depth_class: rng.weighted(m.flood),
      soil_type: soil,
      foundation_risk_area: rng.chance(riskySoil && before1970 > 0.3 ? 0.85 : 0.05) ? 1 : 0,
    };
  }
}

function capOldClass(energyClass) {
  return CLASSES.indexOf(energyClass) > CLASSES.indexOf("A++") ? "A++" : energyClass;
}

function rangeList(from, to) {
  const out = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}

// ---------------------------------------------------------------------------------------------
// SQL.

const PROVENANCE = { is_synthetic: 1, source: SOURCE, retrieved_at: GENERATED_AT };

function sqlValue(value) {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
    return String(value);
  }
  const text = String(value);
  if (/[\r\n]/.test(text)) throw new Error(`a value may not contain a line break: ${JSON.stringify(text)}`);
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * Multi-row INSERTs, each a single line below MAX_STATEMENT_BYTES, made as rows arrive: `add`
 * hands each finished statement to `emit`, `end` the last one. With `provenance`, the constant
 * provenance columns are added in SQL rather than repeated on every row:
 *   WITH v (a, b) AS (VALUES (…), (…)) INSERT INTO t (a, b, is_synthetic, source, retrieved_at) SELECT *, 1, 'synthetic', '…' FROM v;
 * Tables with `upsertKey` (geography, which live data may reference) update rows in place instead,
 * only where `upsertWhere` holds.
 */
class InsertWriter {
  constructor(table, emit, { provenance = true, upsertKey, upsertWhere } = {}) {
    this.table = table;
    this.emit = emit;
    this.options = { provenance, upsertKey, upsertWhere };
    this.columns = null;
    this.batch = [];
    this.bytes = 0;
  }

  /** The statement shape, from the first row's columns. */
  start(columns) {
    const { provenance, upsertKey, upsertWhere } = this.options;
    const { table } = this;
    this.columns = columns;
    const constants = Object.values(PROVENANCE).map(sqlValue).join(",");
    this.tupleOf = (row) => `(${columns.map((c) => sqlValue(row[c])).join(",")})`;
    if (upsertKey) {
      const all = [...columns, ...Object.keys(PROVENANCE)];
      const updates = all.filter((c) => c !== upsertKey).map((c) => `${c} = excluded.${c}`);
      this.head = `INSERT INTO ${table} (${all.join(", ")}) VALUES `;
      this.tail = ` ON CONFLICT (${upsertKey}) DO UPDATE SET ${updates.join(", ")}${upsertWhere ? ` WHERE ${upsertWhere}` : ""};`;
      this.tupleOf = (row) => `(${columns.map((c) => sqlValue(row[c])).join(",")},${constants})`;
    } else if (provenance) {
      const all = [...columns, ...Object.keys(PROVENANCE)];
      this.head = `WITH v (${columns.join(", ")}) AS (VALUES `;
      this.tail = `) INSERT INTO ${table} (${all.join(", ")}) SELECT *, ${constants} FROM v;`;
    } else {
      this.head = `INSERT INTO ${table} (${columns.join(", ")}) VALUES `;
      this.tail = ";";
    }
    this.bytes = this.head.length + this.tail.length;
  }

  add(row) {
    if (this.columns === null) this.start(Object.keys(row));
    const { columns } = this;
    for (const c of Object.keys(row)) if (!columns.includes(c)) throw new Error(`${this.table}: unexpected column ${c}`);
    const tuple = this.tupleOf(row);
    if (this.batch.length && (this.bytes + tuple.length + 1 > MAX_STATEMENT_BYTES || this.batch.length >= MAX_ROWS_PER_STATEMENT)) {
      this.emit(this.head + this.batch.join(",") + this.tail);
      this.batch = [];
      this.bytes = this.head.length + this.tail.length;
    }
    this.batch.push(tuple);
    this.bytes += tuple.length + 1;
  }

  end() {
    if (this.batch.length) this.emit(this.head + this.batch.join(",") + this.tail);
    this.batch = [];
  }
}

function inserts(table, rows, options) {
  const statements = [];
  const writer = new InsertWriter(table, (statement) => statements.push(statement), options);
  for (const row of rows) writer.add(row);
  writer.end();
  return statements;
}

/** The tables in the order the file fills them: the generator's name for each, its SQL table and how it is written. */
const TABLES = [
  ["municipalities", "municipalities", { upsertKey: "code" }],
  // The municipality rows are public facts, so they may replace a live placeholder; a wijk or
  // buurt the live registers cached (is_synthetic = 0) is left as it is.
  ["districts", "districts", { upsertKey: "code", upsertWhere: "districts.is_synthetic = 1" }],
  ["neighbourhoods", "neighbourhoods", { upsertKey: "code", upsertWhere: "neighbourhoods.is_synthetic = 1" }],
  ["buildings", "buildings", {}],
  ["units", "units", {}],
  ["unitBuildings", "unit_buildings", { provenance: false }],
  ["addresses", "addresses", {}],
  ["labels", "energy_labels", {}],
  ["parcels", "parcels", {}],
  ["unitParcels", "unit_parcels", { provenance: false }],
  ["monuments", "monuments", {}],
  ["unitMonuments", "unit_monuments", { provenance: false }],
];

/** Clears earlier synthetic rows in dependency order; geography still referenced elsewhere stays and is updated. */
const CLEAR = [
  "DELETE FROM assessments WHERE address_id IN (SELECT id FROM addresses WHERE is_synthetic = 1);",
  "DELETE FROM energy_labels WHERE is_synthetic = 1 OR unit_id IN (SELECT id FROM units WHERE is_synthetic = 1);",
  "DELETE FROM unit_parcels WHERE unit_id IN (SELECT id FROM units WHERE is_synthetic = 1) OR parcel_id IN (SELECT id FROM parcels WHERE is_synthetic = 1);",
  "DELETE FROM unit_monuments WHERE unit_id IN (SELECT id FROM units WHERE is_synthetic = 1) OR monument_number IN (SELECT number FROM monuments WHERE is_synthetic = 1);",
  "DELETE FROM parcels WHERE is_synthetic = 1;",
  "DELETE FROM monuments WHERE is_synthetic = 1;",
  "DELETE FROM unit_buildings WHERE unit_id IN (SELECT id FROM units WHERE is_synthetic = 1) OR building_id IN (SELECT id FROM buildings WHERE is_synthetic = 1);",
  "DELETE FROM addresses WHERE is_synthetic = 1;",
  "DELETE FROM units WHERE is_synthetic = 1;",
  "DELETE FROM buildings WHERE is_synthetic = 1;",
  "DELETE FROM neighbourhoods WHERE is_synthetic = 1 AND code NOT IN (SELECT neighbourhood_code FROM addresses WHERE neighbourhood_code IS NOT NULL);",
  "DELETE FROM districts WHERE is_synthetic = 1 AND code NOT IN (SELECT district_code FROM neighbourhoods);",
  "DELETE FROM municipalities WHERE is_synthetic = 1 AND code NOT IN (SELECT municipality_code FROM districts) AND code NOT IN (SELECT municipality_code FROM neighbourhoods) AND code NOT IN (SELECT municipality_code FROM addresses);",
];

export function datasetValue(seed, scale, hash) {
  return `${DATASET_NAME} seed=${seed} scale=${scale} sha256=${hash}`;
}

function headerLines({ seed, scale, dataset, rows }) {
  const command = `node scripts/seed.mjs --seed ${seed} --scale ${scale}`;
  return [
    "-- pandgate synthetic seed dataset: SYNTHETIC Dutch property data (fictional buurten, streets, postcodes,",
    "-- panden, units, addresses, energy labels, cadastral parcels and monuments in four real municipalities). Not real",
    "-- data about any address or parcel.",
    `-- GENERATED by \`${command}\` (npm run seed); do not edit by hand. Licences: seed/README.md.`,
    "-- Load: npx wrangler d1 execute DB --remote --file seed/seed.sql (or --local). Safe to re-run: it replaces earlier",
    "-- synthetic rows. One SQL statement per line; no transactions (D1 rejects them in files).",
    `-- Dataset: ${dataset}`,
    `-- Rows: ${rows.addresses} addresses, ${rows.units} units, ${rows.buildings} buildings, ${rows.labels} energy labels, ${rows.neighbourhoods} buurten, ${rows.parcels} parcels, ${rows.monuments} monuments.`,
  ];
}

const metaStatement = (dataset) => `INSERT OR REPLACE INTO service_meta (key, value) VALUES ('dataset', ${sqlValue(dataset)});`;

function rowCounts(data) {
  return Object.fromEntries(TABLES.map(([key]) => [key, data[key].length]));
}

/** Renders the whole file in memory (for --check, and small scales). */
export function render({ seed = DEFAULT_SEED, scale = DEFAULT_SCALE } = {}) {
  const data = generate({ seed, scale });
  const body = [...CLEAR, ...TABLES.flatMap(([key, table, options]) => inserts(table, data[key], options))];
  const hash = createHash("sha256").update(body.join("\n")).digest("hex").slice(0, 16);
  const dataset = datasetValue(seed, scale, hash);
  const header = headerLines({ seed, scale, dataset, rows: rowCounts(data) });
  const sql = `${[...header, ...body, metaStatement(dataset)].join("\n")}\n`;
  return { sql, dataset, data };
}

const CHUNK_BYTES = 8 * 1024 * 1024;

/** An append-only file written in large synchronous chunks. */
class ChunkedFile {
  constructor(file) {
    this.file = file;
    this.fd = openSync(file, "w");
    this.chunks = [];
    this.pending = 0;
    this.bytes = 0;
  }

  write(text) {
    this.chunks.push(text);
    this.pending += text.length;
    if (this.pending >= CHUNK_BYTES) this.flush();
  }

  flush() {
    if (this.chunks.length === 0) return;
    this.bytes += writeSync(this.fd, this.chunks.join(""));
    this.chunks = [];
    this.pending = 0;
  }

  close() {
    this.flush();
    closeSync(this.fd);
  }
}

/** Calls `each(buffer)` with the first `limit` bytes of `file`, chunk by chunk. */
function readChunks(file, limit, each) {
  const fd = openSync(file, "r");
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  try {
    let left = limit;
    while (left > 0) {
      const n = readSync(fd, buffer, 0, Math.min(CHUNK_BYTES, left), null);
      if (n === 0) break;
      each(buffer.subarray(0, n));
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the same file as `render` without holding it in memory: the generator's rows become
 * statements as they are made, each table's into a file of its own next to `out`; then the body
 * is hashed and the file assembled (header, the tables in order, the dataset row) under a
 * temporary name and renamed into place, so a reader never sees half a file.
 */
export function writeDataset({ seed = DEFAULT_SEED, scale = DEFAULT_SCALE, out = DEFAULT_OUT } = {}) {
  const file = path.resolve(ROOT, out);
  mkdirSync(path.dirname(file), { recursive: true });
  const dir = mkdtempSync(path.join(path.dirname(file), ".seed-"));
  try {
    const parts = ["clear", ...TABLES.map(([key]) => key)].map((name, i) => new ChunkedFile(path.join(dir, `${i}-${name}.sql`)));
    parts[0].write(CLEAR.map((statement) => `${statement}\n`).join(""));
    const writers = [];
    const data = {};
    TABLES.forEach(([key, table, options], i) => {
      const part = parts[i + 1];
      const writer = new InsertWriter(table, (statement) => part.write(`${statement}\n`), options);
      writers.push(writer);
      let count = 0;
      data[key] = {
        push(row) {
          count += 1;
          writer.add(row);
        },
        get length() {
          return count;
        },
      };
    });
    generate({ seed, scale, data });
    for (const writer of writers) writer.end();
    for (const part of parts) part.close();

    // The body is every statement joined by newlines: the parts' bytes without the last newline.
    const bodyBytes = parts.reduce((sum, part) => sum + part.bytes, 0);
    const hasher = createHash("sha256");
    let left = bodyBytes - 1;
    for (const part of parts) {
      const take = Math.min(part.bytes, left);
      readChunks(part.file, take, (chunk) => hasher.update(chunk));
      left -= take;
    }
    const dataset = datasetValue(seed, scale, hasher.digest("hex").slice(0, 16));
    const rows = rowCounts(data);

    const temporary = `${file}.tmp`;
    const fd = openSync(temporary, "w");
    let bytes = 0;
    try {
      bytes += writeSync(
        fd,
        headerLines({ seed, scale, dataset, rows })
          .map((line) => `${line}\n`)
          .join(""),
      );
      for (const part of parts) {
        readChunks(part.file, part.bytes, (chunk) => {
          bytes += writeSync(fd, chunk);
        });
      }
      bytes += writeSync(fd, `${metaStatement(dataset)}\n`);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
    return { file, dataset, rows, bytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// CLI.

function parseArgs(argv) {
  const options = { seed: DEFAULT_SEED, scale: DEFAULT_SCALE, out: DEFAULT_OUT, check: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--seed") options.seed = Number(value());
    else if (arg === "--scale") options.scale = Number(value());
    else if (arg === "--out") options.out = value();
    else if (arg === "--check") options.check = true;
    else if (arg === "--help" || arg === "-h") options.help = true;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) throw new Error("--seed must be a non-negative integer");
  if (!(options.scale > 0 && options.scale <= MAX_SCALE)) throw new Error(`--scale must be a number above 0 and at most ${MAX_SCALE}`);
  return options;
}

function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(
      `seed: ${error.message}\nusage: node scripts/seed.mjs [--seed ${DEFAULT_SEED}] [--scale 1] [--out ${DEFAULT_OUT}] [--check]`,
    );
    process.exit(2);
  }
  if (options.help) {
    console.log(`usage: node scripts/seed.mjs [--seed ${DEFAULT_SEED}] [--scale 1] [--out ${DEFAULT_OUT}] [--check]`);
    return;
  }
  const file = path.resolve(ROOT, options.out);
  const shown = path.relative(ROOT, file) || file;
  if (options.check) {
    // Generated next to nothing that matters, then compared byte for byte with the file on disk.
    const scratch = mkdtempSync(path.join(tmpdir(), "pandgate-seed-check-"));
    let same;
    let dataset;
    try {
      const made = writeDataset({ seed: options.seed, scale: options.scale, out: path.join(scratch, "seed.sql") });
      dataset = made.dataset;
      same = existsSync(file) ? sameBytes(made.file, file) : null;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    if (!same) {
      const defaults = options.seed === DEFAULT_SEED && options.scale === DEFAULT_SCALE && options.out === DEFAULT_OUT;
      const regenerate = defaults
        ? "npm run seed"
        : `node scripts/seed.mjs --seed ${options.seed} --scale ${options.scale} --out ${options.out}`;
      console.error(
        `seed:check failed: ${shown} ${same === null ? "is missing" : "differs from what scripts/seed.mjs generates"} ` +
          `(seed ${options.seed}, scale ${options.scale}). Regenerate it with \`${regenerate}\` and commit the result.`,
      );
      process.exit(1);
    }
    console.log(`seed:check ok: ${shown} is up to date (${dataset}).`);
    return;
  }
  const started = performance.now();
  const { dataset, rows, bytes } = writeDataset(options);
  const kb = Math.round(bytes / 1024);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `wrote ${shown} (${kb} KB in ${seconds} s): ${rows.addresses} addresses, ${rows.units} units, ` +
      `${rows.buildings} buildings, ${rows.labels} energy labels; ${dataset}`,
  );
}

/** Whether two files hold the same bytes (read in chunks, so any size will do). */
function sameBytes(a, b) {
  const size = statSync(a).size;
  if (statSync(b).size !== size) return false;
  const fd = openSync(b, "r");
  const other = Buffer.allocUnsafe(CHUNK_BYTES);
  let equal = true;
  try {
    readChunks(a, size, (chunk) => {
      if (!equal) return;
      const n = readSync(fd, other, 0, chunk.length, null);
      equal = n === chunk.length && other.subarray(0, n).equals(chunk);
    });
  } finally {
    closeSync(fd);
  }
  return equal;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();

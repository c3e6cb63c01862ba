import { newestRegistrationFirst } from "../domain/energy-label";
import type {
  Address,
  AddressKey,
  AddressLookup,
  D1Queryable,
  EnergyLabel,
  Fact,
  Monument,
  Municipality,
  Neighbourhood,
  Parcel,
  PropertyFacts,
  PropertySource,
  Settled,
  Source,
  Unit,
} from "./types";

/**
 * Reads property data from D1: the synthetic dataset, and whatever the live registers put in the
 * cache. Every query is an index search (test/data/query-plans.test.ts runs EXPLAIN QUERY PLAN
 * on each statement this store sends), and the batch reads (`property`, `properties`,
 * `factsFor`) send all their statements in one `batch`, one round trip
 * (test/data/round-trips.test.ts counts them).
 */

type Row = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" ? v : null);

function sourceOf(row: Row): Source {
  return { register: String(row.source), retrievedAt: String(row.retrieved_at), synthetic: row.is_synthetic === 1 };
}

const ADDRESS_COLUMNS = `a.id, a.unit_id, a.is_main, a.postcode, a.house_number, a.house_letter, a.house_number_addition,
  a.street, a.place, a.municipality_code, m.name AS municipality_name, a.neighbourhood_code, a.lat, a.lon,
  a.is_synthetic, a.source, a.retrieved_at`;
const ADDRESS_FROM = "addresses a LEFT JOIN municipalities m ON m.code = a.municipality_code";
/** Sort order for addresses at a postcode: number, then letter, then addition (no letter first); the order of `addresses_by_key`. */
const ADDRESS_ORDER = "a.house_number, ifnull(a.house_letter, ''), ifnull(a.house_number_addition, '')";
const keyParams = (key: AddressKey) => [key.postcode, key.houseNumber, key.houseLetter ?? "", key.houseNumberAddition ?? ""];

/**
 * Which addresses a batch read is about: a condition on `addresses` under the alias given, and
 * its parameters (?1 …). Every statement of the batch selects its rows through it, so the batch
 * needs no answer from an earlier statement and goes to D1 in one round trip.
 */
interface AddressSet {
  where: (alias: string) => string;
  params: unknown[];
}

/** A lookup's key as `keyOf` gives it for an address row, to match rows to lookups. */
const lookupKey = (k: AddressKey) => `${k.postcode}|${k.houseNumber}|${k.houseLetter ?? ""}|${k.houseNumberAddition ?? ""}`;
const keyOf = (a: Address) => `${a.postcode}|${a.houseNumber}|${a.houseLetter ?? ""}|${a.houseNumberAddition ?? ""}`;

/** The addresses some lookups name: the BAG ids as they are, the keys through `addresses_by_key`. */
function setOfLookups(lookups: readonly AddressLookup[]): AddressSet {
  const ids: string[] = [];
  const keys: unknown[][] = [];
  for (const lookup of lookups) {
    if ("addressId" in lookup) ids.push(lookup.addressId);
    else keys.push(keyParams(lookup.key));
  }
  return {
    where: (x) => `${x}.id IN (SELECT value FROM json_each(?1) UNION ALL
      SELECT kx.id FROM json_each(?2) k JOIN addresses kx ON kx.postcode = json_extract(k.value, '$[0]')
        AND kx.house_number = json_extract(k.value, '$[1]') AND ifnull(kx.house_letter, '') = json_extract(k.value, '$[2]')
        AND ifnull(kx.house_number_addition, '') = json_extract(k.value, '$[3]'))`,
    params: [JSON.stringify(ids), JSON.stringify(keys)],
  };
}

function setOfIds(ids: readonly string[]): AddressSet {
  return { where: (x) => `${x}.id IN (SELECT value FROM json_each(?1))`, params: [JSON.stringify(ids)] };
}

export function toAddress(row: Row): Address {
  return {
    id: String(row.id),
    unitId: String(row.unit_id),
    isMain: row.is_main === 1,
    postcode: row.postcode === null ? null : String(row.postcode),
    houseNumber: Number(row.house_number),
    houseLetter: str(row.house_letter),
    houseNumberAddition: str(row.house_number_addition),
    street: String(row.street),
    place: String(row.place),
    municipalityCode: String(row.municipality_code),
    municipalityName: str(row.municipality_name),
    neighbourhoodCode: str(row.neighbourhood_code),
    lat: Number(row.lat),
    lon: Number(row.lon),
    source: sourceOf(row),
  };
}

function toLabel(row: Row): EnergyLabel {
  return {
    id: String(row.id),
    unitId: String(row.unit_id),
    energyClass: String(row.energy_class),
    registeredAt: String(row.registered_at),
    inspectedAt: str(row.inspected_at),
    validUntil: String(row.valid_until),
    method: row.method === "Energie-Index" ? "Energie-Index" : "NTA 8800",
    calculationType: str(row.calculation_type),
    ep2KwhM2: num(row.ep2_kwh_m2),
    energyIndex: num(row.energy_index),
    buildingType: str(row.building_type),
    source: sourceOf(row),
  };
}

/** A unit row and its buildings' rows (each with `unit_id`, in building id order). */
function toUnit(row: Row, buildings: Row[]): Unit {
  let usePurposes: string[] = [];
  try {
    const parsed: unknown = JSON.parse(String(row.use_purposes));
    if (Array.isArray(parsed)) usePurposes = parsed.filter((p): p is string => typeof p === "string");
  } catch {
    usePurposes = [];
  }
  return {
    id: String(row.id),
    kind: row.kind as Unit["kind"],
    surfaceM2: num(row.surface_m2),
    usePurposes,
    status: String(row.status),
    dwellingType: str(row.dwelling_type),
    inResearch: row.in_research === null || row.in_research === undefined ? null : row.in_research === 1,
    buildings: buildings.map((b) => ({
      id: String(b.id),
      buildYear: num(b.build_year),
      status: String(b.status),
      source: sourceOf(b),
    })),
    source: sourceOf(row),
  };
}

function toNeighbourhood(row: Row): Neighbourhood {
  return {
    code: String(row.code),
    name: String(row.name),
    districtCode: String(row.district_code),
    districtName: str(row.district_name),
    municipalityCode: String(row.municipality_code),
    municipalityName: str(row.municipality_name),
    datasetYear: Number(row.dataset_year),
    inhabitants: num(row.inhabitants),
    households: num(row.households),
    avgHouseholdSize: num(row.avg_household_size),
    avgWozThousands: num(row.avg_woz_thousands),
    dwellings: num(row.dwellings),
    municipalityAvgWozThousands: num(row.municipality_avg_woz_thousands),
    pctOwnerOccupied: num(row.pct_owner_occupied),
    pctBuiltBefore1945: num(row.pct_built_before_1945),
    distancesKm: {
      gp: num(row.dist_gp_km),
      supermarket: num(row.dist_supermarket_km),
      school: num(row.dist_school_km),
      station: num(row.dist_station_km),
    },
    liveabilityClass: num(row.liveability_class),
    liveabilityDeviation: num(row.liveability_deviation),
    crimePer1000: num(row.crime_per_1000),
    floodDepthClass: str(row.flood_depth_class),
    soilType: (str(row.soil_type) as Neighbourhood["soilType"]) ?? null,
    foundationRiskArea: row.foundation_risk_area === null || row.foundation_risk_area === undefined ? null : row.foundation_risk_area === 1,
    source: sourceOf(row),
  };
}

function toMunicipality(row: Row): Municipality {
  return {
    code: String(row.code),
    name: String(row.name),
    provinceCode: String(row.province_code),
    provinceName: String(row.province_name),
    coropName: String(row.corop_name),
    wozPerM2: Number(row.woz_per_m2),
    wozPerM2Year: Number(row.woz_per_m2_year),
    source: sourceOf(row),
  };
}

function toParcel(row: Row): Parcel {
  return {
    id: String(row.id),
    cadastralCode: String(row.cadastral_code),
    cadastralName: str(row.cadastral_name),
    section: String(row.section),
    parcelNumber: Number(row.parcel_number),
    areaM2: num(row.area_m2),
    areaKind: str(row.area_kind),
    source: sourceOf(row),
  };
}

function toMonument(row: Row): Monument {
  return { number: Number(row.number), url: str(row.url), source: sourceOf(row) };
}

/** The first of each unit's rows (the statements order them by unit, then by what decides "first"). */
function firstByUnit<T>(rows: Row[], map: (row: Row) => T): Map<string, T> {
  const byUnit = new Map<string, T>();
  for (const row of rows) {
    const unitId = String(row.unit_id);
    if (!byUnit.has(unitId)) byUnit.set(unitId, map(row));
  }
  return byUnit;
}

function first<T>(result: D1Result<Row> | undefined, map: (row: Row) => T): T | null {
  const row = result?.results[0];
  return row ? map(row) : null;
}

function groupBy<T>(rows: Row[], key: string, map: (row: Row) => T): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = String(row[key]);
    const group = groups.get(k);
    if (group) group.push(map(row));
    else groups.set(k, [map(row)]);
  }
  return groups;
}

/** What D1 holds about a set of addresses, by key: what `factsOf` assembles per address. */
export interface FactRows {
  units: Map<string, Unit>;
  labels: Map<string, EnergyLabel[]>;
  neighbourhoods: Map<string, Neighbourhood>;
  municipalities: Map<string, Municipality>;
  atPostcode: Map<string, Address[]>;
  /** By unit id. */
  parcels: Map<string, Parcel>;
  /** By unit id. */
  monuments: Map<string, Monument>;
}

/** Statements of one batch read, with how to read their results back. */
export interface BatchRead<T> {
  statements: D1PreparedStatement[];
  parse(results: ReadonlyArray<D1Result<Row>>): T;
}

/** One address's facts out of the rows read for its set; a fact not asked for is null or []. */
export function factsOf(address: Address, rows: FactRows): PropertyFacts {
  return {
    address,
    unit: rows.units.get(address.unitId) ?? null,
    labels: rows.labels.get(address.unitId) ?? [],
    neighbourhood: address.neighbourhoodCode ? (rows.neighbourhoods.get(address.neighbourhoodCode) ?? null) : null,
    municipality: rows.municipalities.get(address.municipalityCode) ?? null,
    atPostcode: address.postcode !== null ? (rows.atPostcode.get(address.postcode) ?? []) : [],
    parcel: rows.parcels.get(address.unitId) ?? null,
    monument: rows.monuments.get(address.unitId) ?? null,
    gaps: [],
  };
}

export class D1PropertyStore implements PropertySource {
  constructor(private readonly db: D1Queryable) {}

  /** Runs a read: one statement as itself, several in one batch; one round trip either way. */
  async read<T>(r: BatchRead<T>): Promise<T> {
    const [only, ...more] = r.statements;
    if (only && more.length === 0) return r.parse([await only.all<Row>()]);
    return r.parse(await this.db.batch<Row>(r.statements));
  }

  // The single reads, as statements a caller can put in a batch of its own (the live source adds
  // its cache records) and as methods.

  postcodeRead(postcode: string, houseNumber?: number): BatchRead<Address[]> {
    const byNumber = houseNumber !== undefined;
    const sql = `SELECT ${ADDRESS_COLUMNS} FROM ${ADDRESS_FROM} WHERE a.postcode = ?1 ${byNumber ? "AND a.house_number = ?2" : ""} ORDER BY ${ADDRESS_ORDER}`;
    return {
      statements: [byNumber ? this.db.prepare(sql).bind(postcode, houseNumber) : this.db.prepare(sql).bind(postcode)],
      parse: ([result]) => (result?.results ?? []).map(toAddress),
    };
  }

  addressRead(lookup: AddressLookup): BatchRead<Address | null> {
    const statement =
      "addressId" in lookup
        ? this.db.prepare(`SELECT ${ADDRESS_COLUMNS} FROM ${ADDRESS_FROM} WHERE a.id = ?1`).bind(lookup.addressId)
        : this.db
            .prepare(
              `SELECT ${ADDRESS_COLUMNS} FROM ${ADDRESS_FROM}
               WHERE a.postcode = ?1 AND a.house_number = ?2 AND ifnull(a.house_letter, '') = ?3 AND ifnull(a.house_number_addition, '') = ?4`,
            )
            .bind(...keyParams(lookup.key));
    return { statements: [statement], parse: ([result]) => first(result, toAddress) };
  }

  unitRead(unitId: string): BatchRead<Unit | null> {
    return {
      statements: [
        this.db.prepare("SELECT * FROM units WHERE id = ?1").bind(unitId),
        this.db
          .prepare(
            `SELECT ub.unit_id, b.id, b.build_year, b.status, b.is_synthetic, b.source, b.retrieved_at
             FROM unit_buildings ub JOIN buildings b ON b.id = ub.building_id WHERE ub.unit_id = ?1 ORDER BY ub.building_id`,
          )
          .bind(unitId),
      ],
      parse: ([unit, buildings]) => first(unit, (row) => toUnit(row, buildings?.results ?? [])),
    };
  }

  labelsRead(unitId: string): BatchRead<EnergyLabel[]> {
    return {
      statements: [this.db.prepare("SELECT * FROM energy_labels WHERE unit_id = ?1 ORDER BY registered_at DESC").bind(unitId)],
      // Newest first by the parsed registration time (registers write it in more than one form).
      parse: ([result]) => (result?.results ?? []).map(toLabel).sort(newestRegistrationFirst),
    };
  }

  neighbourhoodRead(code: string): BatchRead<Neighbourhood | null> {
    return {
      statements: [
        this.db
          .prepare(
            `SELECT n.*, d.name AS district_name, m.name AS municipality_name FROM neighbourhoods n
             LEFT JOIN districts d ON d.code = n.district_code LEFT JOIN municipalities m ON m.code = n.municipality_code
             WHERE n.code = ?1`,
          )
          .bind(code),
      ],
      parse: ([result]) => first(result, toNeighbourhood),
    };
  }

  municipalityRead(code: string): BatchRead<Municipality | null> {
    return {
      statements: [this.db.prepare("SELECT * FROM municipalities WHERE code = ?1").bind(code)],
      parse: ([result]) => first(result, toMunicipality),
    };
  }

  addressesForPostcode(postcode: string, houseNumber?: number): Promise<Address[]> {
    return this.read(this.postcodeRead(postcode, houseNumber));
  }

  findAddress(key: AddressKey): Promise<Address | null> {
    return this.read(this.addressRead({ key }));
  }

  addressById(id: string): Promise<Address | null> {
    return this.read(this.addressRead({ addressId: id }));
  }

  unit(unitId: string): Promise<Unit | null> {
    return this.read(this.unitRead(unitId));
  }

  energyLabels(unitId: string): Promise<EnergyLabel[]> {
    return this.read(this.labelsRead(unitId));
  }

  neighbourhood(code: string): Promise<Neighbourhood | null> {
    return this.read(this.neighbourhoodRead(code));
  }

  municipality(code: string): Promise<Municipality | null> {
    return this.read(this.municipalityRead(code));
  }

  /** One round trip: the address and every fact asked for, each statement selecting through the lookup. */
  async property(lookup: AddressLookup, want: readonly Fact[]): Promise<PropertyFacts | null> {
    const [found] = await this.properties([lookup], want);
    return found?.ok ? found.value : null;
  }

  /**
   * One round trip for any number of lookups: one batch whose every statement selects its rows
   * through the addresses the lookups name (ids as given, keys through `addresses_by_key`).
   */
  async properties(lookups: readonly AddressLookup[], want: readonly Fact[]): Promise<Array<Settled<PropertyFacts | null>>> {
    const set = setOfLookups(lookups);
    const facts = this.factReads(set, want);
    const [addressResult, ...rest] = await this.db.batch<Row>([this.addressStatement(set), ...facts.statements]);
    const rows = facts.parse(rest);
    const addresses = (addressResult?.results ?? []).map(toAddress);
    const byId = new Map(addresses.map((a) => [a.id, a]));
    const byKey = new Map(addresses.map((a) => [keyOf(a), a]));
    return lookups.map((lookup) => {
      const address = "addressId" in lookup ? byId.get(lookup.addressId) : byKey.get(lookupKey(lookup.key));
      return { ok: true as const, value: address ? factsOf(address, rows) : null };
    });
  }

  /** One round trip for any number of addresses. */
  async factsFor(addresses: readonly Address[], want: readonly Fact[]): Promise<Array<Settled<PropertyFacts>>> {
    const rows = await this.readFacts(addresses, want);
    return addresses.map((address) => ({ ok: true as const, value: factsOf(address, rows) }));
  }

  /** What D1 holds about these addresses for the facts asked for, in one round trip. */
  async readFacts(addresses: readonly Address[], want: readonly Fact[]): Promise<FactRows> {
    const facts = this.factReadsFor(addresses, want);
    return facts.statements.length > 0 ? this.read(facts) : facts.parse([]);
  }

  /** The statements that read the facts asked for about these addresses (for a batch of the caller's). */
  factReadsFor(addresses: readonly Address[], want: readonly Fact[]): BatchRead<FactRows> {
    return this.factReads(setOfIds([...new Set(addresses.map((a) => a.id))]), want);
  }

  private addressStatement(set: AddressSet): D1PreparedStatement {
    return this.db.prepare(`SELECT ${ADDRESS_COLUMNS} FROM ${ADDRESS_FROM} WHERE ${set.where("a")}`).bind(...set.params);
  }

  /**
   * The statements that read each fact asked for about the addresses in `set`, and the parser of
   * their results. Lists come back in index order (buildings by id, labels newest first), as the
   * single-unit reads above return them.
   */
  private factReads(set: AddressSet, want: readonly Fact[]): BatchRead<FactRows> {
    type Kind = "units" | "buildings" | "labels" | "neighbourhoods" | "municipalities" | "atPostcode" | "parcels" | "monuments";
    const kinds: Kind[] = [];
    const statements: D1PreparedStatement[] = [];
    const add = (kind: (typeof kinds)[number], sql: string) => {
      kinds.push(kind);
      statements.push(this.db.prepare(sql).bind(...set.params));
    };
    const addressesOf = (column: string) => `(SELECT x.${column} FROM addresses x WHERE ${set.where("x")})`;
    if (want.includes("unit")) {
      add("units", `SELECT * FROM units WHERE id IN ${addressesOf("unit_id")}`);
      add(
        "buildings",
        `SELECT ub.unit_id, b.id, b.build_year, b.status, b.is_synthetic, b.source, b.retrieved_at
         FROM unit_buildings ub JOIN buildings b ON b.id = ub.building_id
         WHERE ub.unit_id IN ${addressesOf("unit_id")} ORDER BY ub.unit_id, ub.building_id`,
      );
    }
    if (want.includes("labels")) {
      add("labels", `SELECT * FROM energy_labels WHERE unit_id IN ${addressesOf("unit_id")} ORDER BY unit_id, registered_at DESC`);
    }
    if (want.includes("neighbourhood")) {
      add(
        "neighbourhoods",
        `SELECT n.*, d.name AS district_name, m.name AS municipality_name FROM neighbourhoods n
         LEFT JOIN districts d ON d.code = n.district_code LEFT JOIN municipalities m ON m.code = n.municipality_code
         WHERE n.code IN ${addressesOf("neighbourhood_code")}`,
      );
    }
    if (want.includes("municipality")) {
      add("municipalities", `SELECT * FROM municipalities WHERE code IN ${addressesOf("municipality_code")}`);
    }
    if (want.includes("atPostcode")) {
      add(
        "atPostcode",
        `SELECT ${ADDRESS_COLUMNS} FROM ${ADDRESS_FROM} WHERE a.postcode IN ${addressesOf("postcode")} ORDER BY a.postcode, ${ADDRESS_ORDER}`,
      );
    }
    if (want.includes("parcel")) {
      add(
        "parcels",
        `SELECT up.unit_id, p.* FROM unit_parcels up JOIN parcels p ON p.id = up.parcel_id
         WHERE up.unit_id IN ${addressesOf("unit_id")} ORDER BY up.unit_id, up.parcel_id`,
      );
    }
    if (want.includes("monument")) {
      add(
        "monuments",
        `SELECT um.unit_id, mo.* FROM unit_monuments um JOIN monuments mo ON mo.number = um.monument_number
         WHERE um.unit_id IN ${addressesOf("unit_id")} ORDER BY um.unit_id, um.monument_number`,
      );
    }
    return {
      statements,
      parse(results) {
        const of = (kind: (typeof kinds)[number]) => results[kinds.indexOf(kind)]?.results ?? [];
        const buildings = groupBy(of("buildings"), "unit_id", (row) => row);
        return {
          units: new Map(of("units").map((row) => [String(row.id), toUnit(row, buildings.get(String(row.id)) ?? [])])),
          labels: new Map(
            [...groupBy(of("labels"), "unit_id", toLabel)].map(([unit, labels]) => [unit, labels.sort(newestRegistrationFirst)]),
          ),
          neighbourhoods: new Map(of("neighbourhoods").map((row) => [String(row.code), toNeighbourhood(row)])),
          municipalities: new Map(of("municipalities").map((row) => [String(row.code), toMunicipality(row)])),
          atPostcode: groupBy(of("atPostcode"), "postcode", toAddress),
          parcels: firstByUnit(of("parcels"), toParcel),
          monuments: firstByUnit(of("monuments"), toMonument),
        };
      },
    };
  }
}

import type { Address, AddressKey, EnergyLabel, Municipality, Neighbourhood, PropertySource, Source, Unit } from "./types";

/**
 * Reads property data from D1: the synthetic dataset, and whatever the live registers put in the
 * cache. Every query is a single indexed lookup (see test/data/query-plans.test.ts).
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
/** Sort order for addresses at a postcode: number, then letter, then addition (no letter first). */
const ADDRESS_ORDER = "a.house_number, ifnull(a.house_letter, ''), ifnull(a.house_number_addition, '')";

function toAddress(row: Row): Address {
  return {
    id: String(row.id),
    unitId: String(row.unit_id),
    isMain: row.is_main === 1,
    postcode: String(row.postcode),
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

export class D1PropertyStore implements PropertySource {
  constructor(private readonly db: D1Database) {}

  async addressesForPostcode(postcode: string, houseNumber?: number): Promise<Address[]> {
    const byNumber = houseNumber !== undefined;
    const sql = `SELECT ${ADDRESS_COLUMNS} FROM ${ADDRESS_FROM} WHERE a.postcode = ?1 ${byNumber ? "AND a.house_number = ?2" : ""} ORDER BY ${ADDRESS_ORDER}`;
    const stmt = byNumber ? this.db.prepare(sql).bind(postcode, houseNumber) : this.db.prepare(sql).bind(postcode);
    const { results } = await stmt.all<Row>();
    return results.map(toAddress);
  }

  async findAddress(key: AddressKey): Promise<Address | null> {
    const row = await this.db
      .prepare(
        `SELECT ${ADDRESS_COLUMNS} FROM ${ADDRESS_FROM}
         WHERE a.postcode = ?1 AND a.house_number = ?2 AND ifnull(a.house_letter, '') = ?3 AND ifnull(a.house_number_addition, '') = ?4`,
      )
      .bind(key.postcode, key.houseNumber, key.houseLetter ?? "", key.houseNumberAddition ?? "")
      .first<Row>();
    return row ? toAddress(row) : null;
  }

  async addressById(id: string): Promise<Address | null> {
    const row = await this.db.prepare(`SELECT ${ADDRESS_COLUMNS} FROM ${ADDRESS_FROM} WHERE a.id = ?1`).bind(id).first<Row>();
    return row ? toAddress(row) : null;
  }

  async unit(unitId: string): Promise<Unit | null> {
    const [unitResult, buildingResult] = await this.db.batch<Row>([
      this.db.prepare("SELECT * FROM units WHERE id = ?1").bind(unitId),
      this.db
        .prepare(
          `SELECT b.id, b.build_year, b.status, b.is_synthetic, b.source, b.retrieved_at
           FROM unit_buildings ub JOIN buildings b ON b.id = ub.building_id WHERE ub.unit_id = ?1 ORDER BY b.id`,
        )
        .bind(unitId),
    ]);
    const row = unitResult?.results[0];
    if (!row) return null;
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
      inResearch: row.in_research === 1,
      buildings: (buildingResult?.results ?? []).map((b) => ({
        id: String(b.id),
        buildYear: num(b.build_year),
        status: String(b.status),
        source: sourceOf(b),
      })),
      source: sourceOf(row),
    };
  }

  async energyLabels(unitId: string): Promise<EnergyLabel[]> {
    const { results } = await this.db
      .prepare("SELECT * FROM energy_labels WHERE unit_id = ?1 ORDER BY registered_at DESC")
      .bind(unitId)
      .all<Row>();
    return results.map(toLabel);
  }

  async neighbourhood(code: string): Promise<Neighbourhood | null> {
    const row = await this.db
      .prepare(
        `SELECT n.*, d.name AS district_name, m.name AS municipality_name FROM neighbourhoods n
         LEFT JOIN districts d ON d.code = n.district_code LEFT JOIN municipalities m ON m.code = n.municipality_code
         WHERE n.code = ?1`,
      )
      .bind(code)
      .first<Row>();
    if (!row) return null;
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
      foundationRiskArea:
        row.foundation_risk_area === null || row.foundation_risk_area === undefined ? null : row.foundation_risk_area === 1,
      source: sourceOf(row),
    };
  }

  async municipality(code: string): Promise<Municipality | null> {
    const row = await this.db.prepare("SELECT * FROM municipalities WHERE code = ?1").bind(code).first<Row>();
    if (!row) return null;
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
}

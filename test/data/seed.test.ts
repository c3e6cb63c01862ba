import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { D1PropertyStore } from "../../src/data/d1-store";
import { AddressSchema, EnergyLabelSchema, MunicipalitySchema, NeighbourhoodSchema, UnitSchema } from "../../src/data/types";

/**
 * The synthetic dataset (seed/seed.sql, loaded by test/setup.ts) holds what the generator
 * promises: marked synthetic, BAG/CBS/EP-Online shapes that pass the format rules, label classes
 * that agree with their values, the edge cases, and intact foreign keys. That the file matches
 * its generator byte for byte is `npm run seed:check`'s job.
 */

type Row = Record<string, unknown>;

async function all<T = Row>(sql: string, ...params: unknown[]): Promise<T[]> {
  const { results } = await env.DB.prepare(sql)
    .bind(...params)
    .all<T>();
  return results;
}

async function count(sql: string, ...params: unknown[]): Promise<number> {
  const row = await env.DB.prepare(sql)
    .bind(...params)
    .first<{ n: number }>();
  return row?.n ?? -1;
}

const MUNICIPALITIES = {
  GM0307: { name: "Amersfoort", province: "PV26", corop: "Utrecht", woz: 4197, pc4: [3811, 3829], centre: [52.1561, 5.3878] },
  GM0344: { name: "Utrecht", province: "PV26", corop: "Utrecht", woz: 4197, pc4: [3511, 3585], centre: [52.0907, 5.1214] },
  GM0363: { name: "Amsterdam", province: "PV27", corop: "Groot-Amsterdam", woz: 5751, pc4: [1011, 1109], centre: [52.3731, 4.8924] },
  GM0599: { name: "Rotterdam", province: "PV28", corop: "Groot-Rijnmond", woz: 3537, pc4: [3011, 3089], centre: [51.9225, 4.4792] },
} as const;
type MunicipalityCode = keyof typeof MUNICIPALITIES;

const BAG_ID = /^\d{4}(01|02|03|10|20|30)\d{10}$/;
const POSTCODE = /^[1-9][0-9]{3}(?!SA|SD|SS)[A-Z]{2}$/;
const BUURT_CODE = /^BU[0-9]{4}[0-9A-Z]{4}$/;
const DATA_TABLES = [
  "municipalities",
  "districts",
  "neighbourhoods",
  "buildings",
  "units",
  "addresses",
  "energy_labels",
  "parcels",
  "monuments",
];

/** The highest EP2 (kWh/m²·yr) of each NTA 8800 woning class; above F's is G. */
const EP2_UPPER: Array<[string, number]> = [
  ["A++++", 0],
  ["A+++", 50],
  ["A++", 75],
  ["A+", 105],
  ["A", 160],
  ["B", 190],
  ["C", 250],
  ["D", 290],
  ["E", 335],
  ["F", 380],
];
/** The highest Energie-Index of each old-method woning class; above F's is G. */
const EI_UPPER: Array<[string, number]> = [
  ["A++", 0.5],
  ["A+", 0.7],
  ["A", 1.05],
  ["B", 1.3],
  ["C", 1.6],
  ["D", 2.0],
  ["E", 2.4],
  ["F", 2.9],
];
const classFor = (bands: Array<[string, number]>, value: number) => bands.find(([, upper]) => value <= upper)?.[0] ?? "G";

/** The 10-digit serial of a BAG-shaped id. */
const serial = (id: string) => Number(id.slice(6));

describe("synthetic seed dataset", () => {
  it("links each verblijfsobject to one clearly synthetic parcel, and some old buildings to a synthetic rijksmonument", async () => {
    expect(await count("SELECT count(*) AS n FROM parcels")).toBeGreaterThan(10_000);
    expect(await count("SELECT count(*) AS n FROM monuments")).toBeGreaterThan(20);
    // Every verblijfsobject has exactly one parcel; ligplaatsen and standplaatsen none.
    expect(
      await count(
        "SELECT count(*) AS n FROM units u WHERE u.kind = 'verblijfsobject' AND (SELECT count(*) FROM unit_parcels p WHERE p.unit_id = u.id) != 1",
      ),
    ).toBe(0);
    expect(await count("SELECT count(*) AS n FROM unit_parcels p JOIN units u ON u.id = p.unit_id WHERE u.kind != 'verblijfsobject'")).toBe(
      0,
    );
    // Kadastrale aanduiding with a gemeente code no real one has, and a plausible plot area.
    const parcels = await all<Row>("SELECT * FROM parcels");
    for (const p of parcels) {
      expect(p.id).toBe(`${p.cadastral_code}-${p.section}-${p.parcel_number}`);
      expect(p.cadastral_code).toMatch(/^SY[A-Z]00$/);
      expect(p.area_m2 as number).toBeGreaterThanOrEqual(60);
      expect(["Vastgesteld", "Voorlopig"]).toContain(p.area_kind);
    }
    // Units of one building share its parcel; every parcel is used.
    expect(
      await count(
        `SELECT count(*) AS n FROM (SELECT ub.building_id FROM unit_buildings ub JOIN unit_parcels up ON up.unit_id = ub.unit_id
           GROUP BY ub.building_id HAVING count(DISTINCT up.parcel_id) > 1)`,
      ),
    ).toBe(0);
    expect(await count("SELECT count(*) AS n FROM parcels WHERE id NOT IN (SELECT parcel_id FROM unit_parcels)")).toBe(0);
    // Monument numbers far above the register's, no link to the real register, only on old buildings.
    expect(await count("SELECT count(*) AS n FROM monuments WHERE number < 9000000000 OR url IS NOT NULL")).toBe(0);
    expect(
      await count(
        `SELECT count(*) AS n FROM unit_monuments um JOIN unit_buildings ub ON ub.unit_id = um.unit_id JOIN buildings b ON b.id = ub.building_id
         WHERE b.build_year >= 1945`,
      ),
    ).toBe(0);
  });

  it("covers four real municipalities with 2 wijken × 3 buurten each and tens of thousands of addresses", async () => {
    const municipalities = await all<Row>("SELECT * FROM municipalities ORDER BY code");
    expect(municipalities.map((m) => m.code)).toEqual(Object.keys(MUNICIPALITIES));
    for (const m of municipalities) {
      const expected = MUNICIPALITIES[m.code as MunicipalityCode];
      expect(m).toMatchObject({
        name: expected.name,
        province_code: expected.province,
        corop_name: expected.corop,
        woz_per_m2: expected.woz,
      });
      expect(m.woz_per_m2_year).toBe(2024);
      expect(await count("SELECT count(*) AS n FROM districts WHERE municipality_code = ?1", m.code)).toBe(2);
      expect(await count("SELECT count(*) AS n FROM neighbourhoods WHERE municipality_code = ?1", m.code)).toBe(6);
    }
    expect(await count("SELECT count(*) AS n FROM neighbourhoods")).toBe(24);
    expect(await count("SELECT count(*) AS n FROM addresses")).toBeGreaterThanOrEqual(20_000);
    expect(await count("SELECT count(*) AS n FROM energy_labels")).toBeGreaterThan(10_000);
    const dataset = await env.DB.prepare("SELECT value FROM service_meta WHERE key = 'dataset'").first<{ value: string }>();
    expect(dataset?.value).toMatch(/^pandgate-synthetic-nl seed=\d+ scale=1 sha256=[0-9a-f]{16}$/);
  });

  it("marks every row synthetic", async () => {
    for (const table of DATA_TABLES) {
      expect(await count(`SELECT count(*) AS n FROM ${table}`), table).toBeGreaterThan(0);
      expect(await count(`SELECT count(*) AS n FROM ${table} WHERE is_synthetic != 1 OR source != 'synthetic'`), table).toBe(0);
      expect(await count(`SELECT count(*) AS n FROM ${table} WHERE retrieved_at != '2026-11-01T00:00:00Z'`), table).toBe(0);
    }
  });

  it("uses wijk and buurt codes of the real pattern, one of them letter-bearing", async () => {
    const buurten = await all<{ code: string; district_code: string; municipality_code: string }>(
      "SELECT code, district_code, municipality_code FROM neighbourhoods",
    );
    for (const b of buurten) {
      expect(b.code).toMatch(BUURT_CODE);
      expect(b.district_code).toBe(`WK${b.code.slice(2, 8)}`);
      expect(b.municipality_code).toBe(`GM${b.code.slice(2, 6)}`);
    }
    expect(buurten.find((b) => b.code === "BU0363AF08")?.district_code).toBe("WK0363AF");
  });

  it("gives BAG-shaped ids of the right type with serials of 9000000000 and up, prefixed by the gemeentecode", async () => {
    const wellFormed = (id: string, type: string) => BAG_ID.test(id) && id.slice(4, 6) === type && serial(id) >= 9_000_000_000;
    const units = await all<{ id: string; kind: string }>("SELECT id, kind FROM units");
    const typeOfKind: Record<string, string> = { verblijfsobject: "01", ligplaats: "02", standplaats: "03" };
    expect(units.filter((u) => !wellFormed(u.id, typeOfKind[u.kind] ?? "?"))).toEqual([]);
    const buildings = await all<{ id: string }>("SELECT id FROM buildings");
    expect(buildings.filter((b) => !wellFormed(b.id, "10"))).toEqual([]);
    const addresses = await all<{ id: string; unit_id: string; municipality_code: string }>(
      "SELECT id, unit_id, municipality_code FROM addresses",
    );
    expect(addresses.length).toBeGreaterThan(0);
    expect(
      addresses.filter(
        (a) =>
          !wellFormed(a.id, "20") ||
          `GM${a.id.slice(0, 4)}` !== a.municipality_code ||
          `GM${a.unit_id.slice(0, 4)}` !== a.municipality_code,
      ),
    ).toEqual([]);
  });

  it("issues valid postcodes inside each municipality's PC4 range, each for one street in one buurt", async () => {
    const postcodes = await all<{
      postcode: string;
      municipality_code: MunicipalityCode;
      n: number;
      streets: number;
      buurten: number;
      places: number;
    }>(
      `SELECT postcode, min(municipality_code) AS municipality_code, count(*) AS n, count(DISTINCT street) AS streets,
              count(DISTINCT neighbourhood_code) AS buurten, count(DISTINCT municipality_code) AS places
       FROM addresses WHERE postcode IS NOT NULL AND neighbourhood_code IS NOT NULL GROUP BY postcode`,
    );
    const wrong = postcodes.filter((p) => {
      const [lo, hi] = MUNICIPALITIES[p.municipality_code].pc4;
      const pc4 = Number(p.postcode.slice(0, 4));
      return !POSTCODE.test(p.postcode) || pc4 < lo || pc4 > hi || p.streets !== 1 || p.buurten !== 1 || p.places !== 1 || p.n > 26;
    });
    expect(postcodes.length).toBeGreaterThan(800);
    expect(wrong).toEqual([]);
    // Most PC6s cover one side of a street segment with 8–25 addresses (a quay with only houseboats has fewer).
    expect(postcodes.filter((p) => p.n >= 8).length / postcodes.length).toBeGreaterThan(0.9);
  });

  it("keeps house numbers, letters and additions inside the BAG formats, and each address key unique", async () => {
    expect(await count("SELECT count(*) AS n FROM addresses WHERE house_number NOT BETWEEN 1 AND 99999")).toBe(0);
    expect(await count("SELECT count(*) AS n FROM addresses WHERE house_letter IS NOT NULL AND house_letter NOT GLOB '[A-Za-z]'")).toBe(0);
    expect(
      await count(
        "SELECT count(*) AS n FROM addresses WHERE house_number_addition IS NOT NULL AND house_number_addition GLOB '*[^0-9A-Za-z]*'",
      ),
    ).toBe(0);
    expect(
      await count(
        "SELECT count(*) AS n FROM units u WHERE (SELECT count(*) FROM addresses a WHERE a.unit_id = u.id AND a.is_main = 1) != 1",
      ),
    ).toBe(0);
  });

  it("places every address inside its city", async () => {
    const rows = await all<{ municipality_code: MunicipalityCode; lat: number; lon: number }>(
      "SELECT municipality_code, lat, lon FROM addresses",
    );
    // within ~9 km of the centre (0.08° latitude, 0.13° longitude at 52° N)
    const outside = rows.filter((r) => {
      const [lat, lon] = MUNICIPALITIES[r.municipality_code].centre;
      return Math.abs(r.lat - lat) >= 0.08 || Math.abs(r.lon - lon) >= 0.13;
    });
    expect(rows.length).toBeGreaterThan(0);
    expect(outside).toEqual([]);
  });

  it("links units to panden: houses one each, apartments sharing, ligplaatsen and standplaatsen none", async () => {
    expect(
      await count(
        "SELECT count(*) AS n FROM units u WHERE u.kind = 'verblijfsobject' AND NOT EXISTS (SELECT 1 FROM unit_buildings ub WHERE ub.unit_id = u.id)",
      ),
    ).toBe(0);
    expect(
      await count("SELECT count(*) AS n FROM unit_buildings ub JOIN units u ON u.id = ub.unit_id WHERE u.kind != 'verblijfsobject'"),
    ).toBe(0);
    const houses = "('tussenwoning', 'hoekwoning', 'twee-onder-een-kap', 'vrijstaand')";
    expect(
      await count(
        `SELECT count(*) AS n FROM unit_buildings ub JOIN units u ON u.id = ub.unit_id WHERE u.dwelling_type IN ${houses}
         AND (SELECT count(*) FROM unit_buildings o WHERE o.building_id = ub.building_id) != 1`,
      ),
    ).toBe(0);
    expect(
      await count(
        `SELECT count(*) AS n FROM (SELECT ub.building_id FROM unit_buildings ub JOIN units u ON u.id = ub.unit_id
         WHERE u.dwelling_type = 'appartement' GROUP BY ub.building_id HAVING count(*) > 1)`,
      ),
    ).toBeGreaterThan(100);
  });

  it("gives energy classes that agree with their EP2 (NTA 8800) or Energie-Index band", async () => {
    const labels = await all<{
      energy_class: string;
      method: string;
      ep2_kwh_m2: number | null;
      energy_index: number | null;
      registered_at: string;
      calculation_type: string;
    }>("SELECT energy_class, method, ep2_kwh_m2, energy_index, registered_at, calculation_type FROM energy_labels");
    const consistent = (l: (typeof labels)[number]) =>
      l.method === "NTA 8800"
        ? l.energy_index === null &&
          l.ep2_kwh_m2 !== null &&
          classFor(EP2_UPPER, l.ep2_kwh_m2) === l.energy_class &&
          l.registered_at >= "2021-01-01" &&
          /^NTA 8800:20\d\d$/.test(l.calculation_type)
        : l.method === "Energie-Index" &&
          l.ep2_kwh_m2 === null &&
          l.energy_index !== null &&
          classFor(EI_UPPER, l.energy_index) === l.energy_class &&
          l.registered_at < "2021-01-01" &&
          l.calculation_type === "EI (ISSO 82.3)";
    expect(labels.length).toBeGreaterThan(0);
    expect(labels.filter((l) => !consistent(l))).toEqual([]);
    const oldMethod = labels.filter((l) => l.method === "Energie-Index").length;
    expect(oldMethod / labels.length).toBeGreaterThan(0.1);
    expect(oldMethod / labels.length).toBeLessThan(0.4);
  });

  it("makes labels valid for ten years from the inspection, some of them expired, some superseded", async () => {
    const labels = await all<{ inspected_at: string; registered_at: string; valid_until: string }>(
      "SELECT inspected_at, registered_at, valid_until FROM energy_labels",
    );
    const tenYearsOn = (date: string) => `${Number(date.slice(0, 4)) + 10}${date.slice(4)}`;
    const wrong = labels.filter(
      (l) =>
        !/^\d{4}-\d\d-\d\d$/.test(l.inspected_at) ||
        l.valid_until !== tenYearsOn(l.inspected_at) ||
        l.inspected_at > l.registered_at ||
        l.registered_at > "2026-11-01",
    );
    expect(labels.length).toBeGreaterThan(0);
    expect(wrong).toEqual([]);
    // The latest registration of a unit is its current label; some of those have expired.
    const expiredCurrent = await count(
      `SELECT count(*) AS n FROM energy_labels l WHERE l.valid_until < '2026-11-01'
       AND l.registered_at = (SELECT max(o.registered_at) FROM energy_labels o WHERE o.unit_id = l.unit_id)`,
    );
    expect(expiredCurrent).toBeGreaterThan(0);
    expect(
      await count("SELECT count(*) AS n FROM (SELECT unit_id FROM energy_labels GROUP BY unit_id HAVING count(*) > 1)"),
    ).toBeGreaterThan(0);
    // New-build dwellings (2021+) are labelled A+++ or A++++ (a later annex does not make a house new).
    const newBuild = await all<{ energy_class: string }>(
      `SELECT DISTINCT l.energy_class FROM energy_labels l WHERE l.unit_id IN (
         SELECT ub.unit_id FROM unit_buildings ub JOIN buildings b ON b.id = ub.building_id GROUP BY ub.unit_id HAVING min(b.build_year) >= 2021)`,
    );
    expect(newBuild.length).toBeGreaterThan(0);
    for (const l of newBuild) expect(["A+++", "A++++"]).toContain(l.energy_class);
  });

  it("leaves about 30 % of verblijfsobjecten without a label", async () => {
    const total = await count("SELECT count(*) AS n FROM units WHERE kind = 'verblijfsobject'");
    const unlabelled = await count(
      "SELECT count(*) AS n FROM units u WHERE u.kind = 'verblijfsobject' AND NOT EXISTS (SELECT 1 FROM energy_labels l WHERE l.unit_id = u.id)",
    );
    expect(unlabelled / total).toBeGreaterThan(0.25);
    expect(unlabelled / total).toBeLessThan(0.35);
  });

  it("includes each edge case", async () => {
    const cases: Record<string, string> = {
      "pand under renovation": "SELECT count(*) AS n FROM buildings WHERE status = 'Verbouwing pand'",
      "unit not measured": "SELECT count(*) AS n FROM units WHERE status = 'Verblijfsobject in gebruik (niet ingemeten)'",
      "mixed use": `SELECT count(*) AS n FROM units WHERE use_purposes = '["woonfunctie","winkelfunctie"]'`,
      "unit in two panden": "SELECT count(*) AS n FROM (SELECT unit_id FROM unit_buildings GROUP BY unit_id HAVING count(*) = 2)",
      "house letter with addition":
        "SELECT count(*) AS n FROM addresses WHERE house_letter IS NOT NULL AND house_number_addition IS NOT NULL",
      nevenadres:
        "SELECT count(*) AS n FROM addresses a WHERE a.is_main = 0 AND EXISTS (SELECT 1 FROM addresses m WHERE m.unit_id = a.unit_id AND m.is_main = 1)",
      ligplaats:
        "SELECT count(*) AS n FROM units u JOIN addresses a ON a.unit_id = u.id WHERE u.kind = 'ligplaats' AND substr(u.id, 5, 2) = '02'",
      standplaats:
        "SELECT count(*) AS n FROM units u JOIN addresses a ON a.unit_id = u.id WHERE u.kind = 'standplaats' AND substr(u.id, 5, 2) = '03'",
      "in research": "SELECT count(*) AS n FROM units WHERE in_research = 1",
      "office only": `SELECT count(*) AS n FROM units WHERE use_purposes = '["kantoorfunctie"]' AND dwelling_type IS NULL`,
      "standplaats without postcode":
        "SELECT count(*) AS n FROM units u JOIN addresses a ON a.unit_id = u.id WHERE u.kind = 'standplaats' AND a.postcode IS NULL",
      "dwelling outside any buurt": `SELECT count(*) AS n FROM units u JOIN addresses a ON a.unit_id = u.id
         WHERE a.neighbourhood_code IS NULL AND u.use_purposes = '["woonfunctie"]'`,
    };
    // The two kinds added last by the generator's edgeCases(): one pitch per caravan municipality, one house.
    expect(await count("SELECT count(*) AS n FROM addresses WHERE postcode IS NULL")).toBe(2);
    expect(await count("SELECT count(*) AS n FROM addresses WHERE neighbourhood_code IS NULL")).toBe(1);
    expect(await count("SELECT count(*) AS n FROM addresses")).toBe(22_641);
    const units = await count("SELECT count(*) AS n FROM units");
    for (const [name, sql] of Object.entries(cases)) {
      const n = await count(sql);
      expect(n, name).toBeGreaterThan(0);
      expect(n / units, name).toBeLessThan(0.03);
    }
  });

  it("derives neighbourhood statistics in the documented ranges", async () => {
    const rows = await all<Row>("SELECT n.*, m.woz_per_m2 FROM neighbourhoods n JOIN municipalities m ON m.code = n.municipality_code");
    for (const n of rows) {
      expect(n.dataset_year).toBe(2024);
      expect(n.inhabitants as number).toBeGreaterThan(n.households as number);
      expect(n.dist_gp_km as number).toBeGreaterThanOrEqual(0.3);
      expect(n.dist_gp_km as number).toBeLessThanOrEqual(2.5);
      expect(n.dist_supermarket_km as number).toBeGreaterThanOrEqual(0.2);
      expect(n.dist_supermarket_km as number).toBeLessThanOrEqual(2);
      expect(n.dist_school_km as number).toBeGreaterThanOrEqual(0.3);
      expect(n.dist_school_km as number).toBeLessThanOrEqual(2);
      expect(n.dist_station_km as number).toBeGreaterThanOrEqual(0.8);
      expect(n.dist_station_km as number).toBeLessThanOrEqual(8);
      expect(["0", "0-20", "20-50", "50-200", ">200"]).toContain(n.flood_depth_class);
      // avg WOZ (×1000 EUR) = COROP €/m² × mean area × 0.8–1.3
      const meanArea = await env.DB.prepare(
        `SELECT avg(u.surface_m2) AS a FROM units u JOIN addresses ad ON ad.unit_id = u.id AND ad.is_main = 1
         WHERE ad.neighbourhood_code = ?1 AND u.use_purposes LIKE '%woonfunctie%'`,
      )
        .bind(n.code)
        .first<{ a: number }>();
      const factor = ((n.avg_woz_thousands as number) * 1000) / ((n.woz_per_m2 as number) * (meanArea?.a ?? 0));
      expect(factor).toBeGreaterThan(0.78);
      expect(factor).toBeLessThan(1.32);
    }
  });

  it("holds every foreign key", async () => {
    expect(await all("PRAGMA foreign_key_check")).toEqual([]);
  });

  it("reads back through D1PropertyStore in the record shapes", async () => {
    const store = new D1PropertyStore(env.DB);
    for (const code of Object.keys(MUNICIPALITIES)) {
      expect(MunicipalitySchema.parse(await store.municipality(code)).source).toEqual({
        register: "synthetic",
        retrievedAt: "2026-11-01T00:00:00Z",
        synthetic: true,
      });
    }
    const sample = await all<{ postcode: string; neighbourhood_code: string; unit_id: string }>(
      "SELECT postcode, neighbourhood_code, unit_id FROM addresses WHERE id IN (SELECT min(id) FROM addresses WHERE neighbourhood_code IS NOT NULL GROUP BY neighbourhood_code)",
    );
    expect(sample).toHaveLength(24);
    for (const s of sample) {
      const addresses = await store.addressesForPostcode(s.postcode);
      expect(addresses.length).toBeGreaterThan(0);
      for (const a of addresses) AddressSchema.parse(a);
      const unit = UnitSchema.parse(await store.unit(s.unit_id));
      expect(unit.source.synthetic).toBe(true);
      for (const l of await store.energyLabels(s.unit_id)) EnergyLabelSchema.parse(l);
      NeighbourhoodSchema.parse(await store.neighbourhood(s.neighbourhood_code));
    }
  });

  // The heaviest test of the suite: it runs all 9 MB of the seed's SQL once more (4 s at load 7 on
  // 2 cores, 41 s at load 20 in `npm run test:stress`), so it names its own hang guard.
  it("can be loaded again over itself, dropping assessments of synthetic addresses", { timeout: 180_000 }, async () => {
    const before = await all(
      "SELECT (SELECT count(*) FROM addresses) AS a, (SELECT count(*) FROM energy_labels) AS l, (SELECT count(*) FROM units) AS u",
    );
    const address = await env.DB.prepare("SELECT id FROM addresses LIMIT 1").first<{ id: string }>();
    await env.DB.prepare(
      `INSERT INTO assessments (id, owner_key, tenant_id, address_id, address_label, inputs, result, engine_version, created_at)
       VALUES ('seed-test', 'owner', 'tenant', ?1, 'label', '{}', '{}', 'v', '2026-11-01T00:00:00Z')`,
    )
      .bind(address?.id)
      .run();
    for (let i = 0; i < env.TEST_SEED.length; i += 16) {
      await env.DB.batch(env.TEST_SEED.slice(i, i + 16).map((sql) => env.DB.prepare(sql)));
    }
    expect(
      await all(
        "SELECT (SELECT count(*) FROM addresses) AS a, (SELECT count(*) FROM energy_labels) AS l, (SELECT count(*) FROM units) AS u",
      ),
    ).toEqual(before);
    expect(await count("SELECT count(*) AS n FROM assessments WHERE id = 'seed-test'")).toBe(0);
    expect(await all("PRAGMA foreign_key_check")).toEqual([]);
  });
});

describe("migration 0008 (addresses.postcode optional)", () => {
  it("keeps every address, its search row and its children when run over the loaded dataset", async () => {
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0008_"));
    if (!migration) throw new Error("no migration 0008");
    const snapshot = () =>
      Promise.all([
        all(
          "SELECT id, unit_id, is_main, postcode, house_number, house_letter, house_number_addition, street, place FROM addresses ORDER BY id",
        ),
        count("SELECT count(*) AS n FROM address_search"),
        count("SELECT count(*) AS n FROM energy_labels"),
        count("SELECT count(*) AS n FROM unit_buildings"),
        count("SELECT count(*) AS n FROM assessments"),
      ]);
    const before = await snapshot();
    expect(before[0].length).toBeGreaterThan(1000);
    // Its statements again (they hold for a database already migrated), over the seeded rows.
    await env.DB.batch(migration.queries.map((sql) => env.DB.prepare(sql)));
    expect(await snapshot()).toEqual(before);
    expect(await all("PRAGMA foreign_key_check")).toEqual([]);

    // The index and triggers are back as 0002 and 0005 made them.
    const schema = await all<{ name: string; sql: string }>(
      "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'addresses' AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY name",
    );
    expect(schema.map((s) => s.name)).toEqual([
      "addresses_by_key",
      "addresses_by_neighbourhood",
      "addresses_by_unit",
      "addresses_search_delete",
      "addresses_search_insert",
      "addresses_search_update",
    ]);
    const plan = await all<{ detail: string }>(
      "EXPLAIN QUERY PLAN SELECT id FROM addresses WHERE postcode = '3817AC' AND house_number = 1 AND ifnull(house_letter, '') = '' AND ifnull(house_number_addition, '') = ''",
    );
    expect(plan.map((p) => p.detail).join(" ")).toContain("addresses_by_key");

    // The search still finds a seeded address, and follows a change to its postcode.
    const [first] = before[0] as Array<{ id: string; street: string; postcode: string }>;
    if (!first) throw new Error("no address");
    const search = (match: string) =>
      all<{ id: number }>(
        "SELECT rowid AS id FROM address_search WHERE address_search MATCH ?1 AND rowid = CAST(?2 AS INTEGER)",
        match,
        first.id,
      );
    expect(await search(`postcode:${first.postcode}`)).toHaveLength(1);
    await env.DB.prepare("UPDATE addresses SET postcode = '9999ZZ' WHERE id = ?1").bind(first.id).run();
    expect(await search("postcode:9999ZZ")).toHaveLength(1);
    expect(await search(`postcode:${first.postcode}`)).toHaveLength(0);
    await env.DB.prepare("UPDATE addresses SET postcode = ?2 WHERE id = ?1").bind(first.id, first.postcode).run();
    expect(await search(`postcode:${first.postcode}`)).toHaveLength(1);

    // NULL is allowed now; a postcode that is there must still be a compact Dutch one.
    await expect(env.DB.prepare("UPDATE addresses SET postcode = '3817 AC' WHERE id = ?1").bind(first.id).run()).rejects.toThrow(
      /CHECK constraint failed/,
    );
    await env.DB.prepare("UPDATE addresses SET postcode = NULL WHERE id = ?1").bind(first.id).run();
    expect(await search(first.street.split(" ")[0] ?? "")).toHaveLength(1);
    await env.DB.prepare("UPDATE addresses SET postcode = ?2 WHERE id = ?1").bind(first.id, first.postcode).run();
  });
});

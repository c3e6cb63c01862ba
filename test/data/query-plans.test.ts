import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

/**
 * Every lookup a tool makes is an index search, never a table scan: EXPLAIN QUERY PLAN of the
 * exact shapes src/data/d1-store.ts and src/data/assessments.ts run.
 */
const HOT_QUERIES: Array<[string, string, unknown[]]> = [
  [
    "addresses at a postcode",
    "SELECT * FROM addresses a WHERE a.postcode = ?1 ORDER BY a.house_number, ifnull(a.house_letter, ''), ifnull(a.house_number_addition, '')",
    ["3811AB"],
  ],
  ["addresses at a postcode and number", "SELECT * FROM addresses a WHERE a.postcode = ?1 AND a.house_number = ?2", ["3811AB", 1]],
  [
    "address by its key",
    "SELECT * FROM addresses a WHERE a.postcode = ?1 AND a.house_number = ?2 AND ifnull(a.house_letter, '') = ?3 AND ifnull(a.house_number_addition, '') = ?4",
    ["3811AB", 1, "", ""],
  ],
  [
    "address by id",
    "SELECT * FROM addresses a LEFT JOIN municipalities m ON m.code = a.municipality_code WHERE a.id = ?1",
    ["0307209000000001"],
  ],
  ["addresses of a unit", "SELECT * FROM addresses WHERE unit_id = ?1", ["0307019000000001"]],
  ["unit", "SELECT * FROM units WHERE id = ?1", ["0307019000000001"]],
  [
    "buildings of a unit",
    "SELECT b.* FROM unit_buildings ub JOIN buildings b ON b.id = ub.building_id WHERE ub.unit_id = ?1",
    ["0307019000000001"],
  ],
  ["labels of a unit", "SELECT * FROM energy_labels WHERE unit_id = ?1 ORDER BY registered_at DESC", ["0307019000000001"]],
  ["neighbourhood", "SELECT n.* FROM neighbourhoods n LEFT JOIN districts d ON d.code = n.district_code WHERE n.code = ?1", ["BU03071001"]],
  ["my assessments", "SELECT * FROM assessments WHERE owner_key = ?1 ORDER BY created_at DESC LIMIT 25", ["k"]],
  [
    "my assessments of an address",
    "SELECT * FROM assessments WHERE owner_key = ?1 AND address_id = ?2 ORDER BY created_at DESC",
    ["k", "a"],
  ],
  ["one of my assessments", "SELECT * FROM assessments WHERE owner_key = ?1 AND id = ?2", ["k", "i"]],
  [
    "my assessed properties, latest each",
    `SELECT a.* FROM assessments a WHERE a.owner_key = ?1 AND a.id = (
       SELECT b.id FROM assessments b WHERE b.owner_key = a.owner_key AND b.address_id = a.address_id ORDER BY b.created_at DESC, b.id DESC LIMIT 1)
     ORDER BY a.created_at DESC, a.id DESC LIMIT 25`,
    ["k"],
  ],
  ["my tenant's assessments", "SELECT * FROM assessments WHERE tenant_id = ?1 ORDER BY created_at DESC LIMIT 25", ["t"]],
];

describe("query plans", () => {
  it.each(HOT_QUERIES)("%s uses an index", async (_name, sql, params) => {
    const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .bind(...params)
      .all<{ detail: string }>();
    const plan = results.map((r) => r.detail);
    expect(plan.length).toBeGreaterThan(0);
    for (const step of plan.filter((d) => /^(SCAN|SEARCH)/.test(d))) {
      expect(step, plan.join(" | ")).toMatch(/^SEARCH .* USING (INDEX|COVERING INDEX|INTEGER PRIMARY KEY|PRIMARY KEY)/);
    }
    expect(plan.join(" ")).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/);
  });
});

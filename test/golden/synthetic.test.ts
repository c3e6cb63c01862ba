import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { formatAddress } from "../../src/domain/address-input";
import { catalog } from "../../src/mcp/tools";
import { caseTenant, deterministicIds, FROZEN_AT, session } from "./harness";
import { type GoldenCase, pinCase, TOOL_ORDER } from "./run-case";

/**
 * Golden answers on the synthetic dataset (seed/seed.sql): every tool on eleven representative
 * addresses, each picked by what makes it representative (the first by BAG id among those that
 * qualify), so a change to the seed shows in the files as a different address. The answers are
 * pinned in test/golden/answers/synthetic/<case>/ (update with `npx vitest run test/golden -u`, then review the diff).
 */

interface Row {
  id: string;
  postcode: string | null;
  house_number: number;
  house_letter: string | null;
  house_number_addition: string | null;
  street: string;
  place: string;
}

const TODAY = FROZEN_AT.toISOString().slice(0, 10);
const CURRENT_LABEL = `(SELECT l.valid_until FROM energy_labels l WHERE l.unit_id = u.id ORDER BY l.registered_at DESC LIMIT 1)`;
const HAS_MONUMENT = "EXISTS (SELECT 1 FROM unit_monuments m WHERE m.unit_id = u.id)";
const PLAIN = `a.is_main = 1 AND a.neighbourhood_code IS NOT NULL AND NOT ${HAS_MONUMENT}`;

/** slug, title, why, and the SQL condition (over addresses a JOIN units u) that qualifies an address; `order` breaks ties. */
const CASES: Array<{ slug: string; title: string; why: string; where: string; order?: string }> = [
  {
    slug: "complete-dwelling",
    title: "complete dwelling",
    why: "A terraced house in use with every fact registered: area, build year, a valid NTA 8800 label, its buurt and parcel.",
    where: `${PLAIN} AND u.dwelling_type = 'tussenwoning' AND u.use_purposes = '["woonfunctie"]' AND u.in_research = 0
      AND u.status = 'Verblijfsobject in gebruik' AND ${CURRENT_LABEL} >= '${TODAY}'
      AND (SELECT l.method FROM energy_labels l WHERE l.unit_id = u.id ORDER BY l.registered_at DESC LIMIT 1) = 'NTA 8800'`,
  },
  {
    slug: "no-label",
    title: "dwelling without a label",
    why: "A dwelling with no registered energy label: the value names the label it assumed, the WWS substitute label is shown as a stand-in.",
    where: `${PLAIN} AND u.use_purposes = '["woonfunctie"]' AND u.status = 'Verblijfsobject in gebruik' AND ${CURRENT_LABEL} IS NULL`,
  },
  {
    slug: "expired-label",
    title: "dwelling with an expired label",
    why: "A dwelling whose latest registered label is past its validity: named as expired, a risk and a data gap.",
    where: `${PLAIN} AND u.use_purposes = '["woonfunctie"]' AND ${CURRENT_LABEL} < '${TODAY}'`,
  },
  {
    slug: "mixed-use",
    title: "mixed use (dwelling with shop)",
    why: "A unit registered for living and a shop: the registered area covers both.",
    where: `${PLAIN} AND u.use_purposes = '["woonfunctie","winkelfunctie"]'`,
  },
  {
    slug: "office",
    title: "office unit",
    why: "A unit with office use only: not a dwelling, so no dwelling value basis and no WWS stand-in.",
    where: `${PLAIN} AND u.use_purposes = '["kantoorfunctie"]'`,
  },
  {
    slug: "ligplaats",
    title: "houseboat mooring (ligplaats)",
    why: "A ligplaats: no pand, no use purpose, no floor area in BAG, so no build year and no value range.",
    where: `${PLAIN} AND u.kind = 'ligplaats'`,
  },
  {
    slug: "standplaats-no-postcode",
    title: "caravan pitch without a postcode (standplaats)",
    why: "A standplaats whose BAG address has no postcode: found by search and by id, never by postcode.",
    where: `a.is_main = 1 AND u.kind = 'standplaats' AND a.postcode IS NULL`,
  },
  {
    slug: "large-detached",
    title: "large detached house",
    why: "The largest detached house (vrijstaand) in the dataset: where a per-m² basis is most likely to overshoot.",
    where: `${PLAIN} AND u.dwelling_type = 'vrijstaand' AND u.use_purposes = '["woonfunctie"]'`,
    order: "u.surface_m2 DESC, a.id",
  },
  {
    slug: "apartment-addition",
    title: "apartment with a house number addition",
    why: "An apartment whose address has a house number addition (and letter), as written in one house number.",
    where: `${PLAIN} AND u.dwelling_type = 'appartement' AND a.house_number_addition IS NOT NULL AND a.house_letter IS NOT NULL`,
  },
  {
    slug: "monument",
    title: "rijksmonument",
    why: "A dwelling in a (synthetic) rijksmonument: the monument number, and no register page since it is synthetic.",
    where: `a.is_main = 1 AND a.neighbourhood_code IS NOT NULL AND ${HAS_MONUMENT} AND u.use_purposes = '["woonfunctie"]'`,
  },
  {
    slug: "outside-buurt",
    title: "address outside any buurt",
    why: "A new-build house CBS has no buurt for: no neighbourhood statistics or flags, said as such.",
    where: `a.is_main = 1 AND a.neighbourhood_code IS NULL`,
  },
];

async function pick(where: string, order = "a.id"): Promise<Row> {
  const row = await env.DB.prepare(
    `SELECT a.id, a.postcode, a.house_number, a.house_letter, a.house_number_addition, a.street, a.place
     FROM addresses a JOIN units u ON u.id = a.unit_id WHERE a.is_synthetic = 1 AND ${where} ORDER BY ${order} LIMIT 1`,
  ).first<Row>();
  if (!row) throw new Error(`no seeded address where ${where}`);
  return row;
}

function goldenCase(spec: (typeof CASES)[number], row: Row): GoldenCase {
  const label = formatAddress({
    street: row.street,
    houseNumber: row.house_number,
    houseLetter: row.house_letter,
    houseNumberAddition: row.house_number_addition,
    postcode: null,
    place: row.place,
  });
  return {
    slug: spec.slug,
    title: spec.title,
    why: spec.why,
    addressId: row.id,
    query: label.replace(",", ""),
    postcode: row.postcode ? { postcode: row.postcode, houseNumber: row.house_number } : null,
  };
}

const ids = deterministicIds();
const picked = new Map<string, GoldenCase>();

beforeAll(async () => {
  for (const spec of CASES) picked.set(spec.slug, goldenCase(spec, await pick(spec.where, spec.order)));
});

describe("golden answers, synthetic dataset", () => {
  it("covers every tool of the catalog", () => {
    expect(
      catalog
        .all()
        .map((t) => t.name)
        .sort(),
    ).toEqual([...TOOL_ORDER].sort());
  });

  it("publishes output schemas that draft-07 validators read as meant (no tuples)", async () => {
    // MCP TypeScript SDK v1 clients check structuredContent with Ajv in draft-07 mode, where a
    // tuple's `prefixItems` is unknown and its `items: false` forbids every element: a tuple in an
    // output schema makes every answer with that field fail in those clients.
    ids.scope("schemas/sign-in");
    const s = await session({
      userKey: "golden-schemas",
      tenantId: caseTenant("schemas"),
      displayName: "Golden Schemas",
      email: "golden-schemas@golden.example",
      roles: ["Admin"],
      idp: "entra",
    });
    const { tools } = await s.client.listTools();
    const tuples: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (Array.isArray(node)) {
        for (const [i, child] of node.entries()) walk(child, `${where}[${i}]`);
        return;
      }
      if (node === null || typeof node !== "object") return;
      for (const [key, child] of Object.entries(node)) {
        if (key === "prefixItems" || (key === "items" && child === false)) tuples.push(`${where}.${key}`);
        walk(child, `${where}.${key}`);
      }
    };
    for (const tool of tools) walk(tool.outputSchema, tool.name);
    expect(tools.length).toBe(TOOL_ORDER.length);
    expect(tuples).toEqual([]);
  });

  it("picks eleven different addresses", () => {
    expect(new Set([...picked.values()].map((c) => c.addressId)).size).toBe(CASES.length);
  });

  for (const spec of CASES) {
    it(spec.title, { timeout: 180_000 }, async () => {
      const c = picked.get(spec.slug);
      if (!c) throw new Error(`case ${spec.slug} not picked`);
      await pinCase("synthetic", c, ids);
    });
  }
});

import { env } from "cloudflare:workers";
import type { Client } from "@modelcontextprotocol/client";
import { beforeAll, describe, expect, it } from "vitest";
import { D1PropertyStore } from "../src/data/d1-store";
import { formatAddress } from "../src/domain/address-input";
import { assess } from "../src/domain/assessment";
import { catalog } from "../src/mcp/tools";
import { connectClient } from "./helpers/mcp";
import { mintToken, newIdentity } from "./helpers/oauth";

/** The property tools through the real Worker and the MCP SDK client, on the synthetic dataset. */
const TENANT_A = "3f1c2a6e-8b4d-4e21-9a57-0c6d2e8f4b11";
const TENANT_B = "7a9e4b20-5c3f-4d8a-b1e6-2f0d9c7a3e55";

interface Row {
  id: string;
  postcode: string;
  house_number: number;
  house_letter: string | null;
  house_number_addition: string | null;
  unit_id: string;
}

async function pick(where: string): Promise<Row> {
  const row = await env.DB.prepare(
    `SELECT a.id, a.postcode, a.house_number, a.house_letter, a.house_number_addition, a.unit_id FROM addresses a JOIN units u ON u.id = a.unit_id WHERE a.is_synthetic = 1 AND ${where} ORDER BY a.id LIMIT 1`,
  ).first<Row>();
  if (!row) throw new Error(`no seeded address where ${where}`);
  return row;
}

async function client(identity = newIdentity({ tenantId: TENANT_A }), scopes = ["mcp:read", "mcp:write"]): Promise<Client> {
  return connectClient((await mintToken(identity, scopes)).accessToken);
}

type Result = Awaited<ReturnType<Client["callTool"]>>;
const text = (r: Result) => (r.content as Array<{ text?: string }>).map((c) => c.text ?? "").join("\n");

async function call(c: Client, name: string, args: Record<string, unknown>): Promise<Result> {
  const result = await c.callTool({ name, arguments: args });
  const tool = catalog.get(name);
  if (!result.isError && tool) tool.output.parse(result.structuredContent);
  return result;
}

async function assessmentCount(): Promise<number> {
  return Number((await env.DB.prepare("SELECT count(*) AS n FROM assessments").first<{ n: number }>())?.n ?? 0);
}

let labelled: Row;
let unlabelled: Row;
let withLetter: Row;
beforeAll(async () => {
  labelled = await pick(
    "EXISTS (SELECT 1 FROM energy_labels l WHERE l.unit_id = a.unit_id) AND u.surface_m2 IS NOT NULL AND a.house_letter IS NULL AND a.house_number_addition IS NULL",
  );
  unlabelled = await pick("NOT EXISTS (SELECT 1 FROM energy_labels l WHERE l.unit_id = a.unit_id) AND u.kind = 'verblijfsobject'");
  withLetter = await pick("a.house_letter IS NOT NULL AND a.house_number_addition IS NOT NULL");
});

describe("lookups", () => {
  it("lists the addresses at a postcode written any common way, sorted and paged, with synthetic sources", async () => {
    const c = await client();
    const spaced = `${labelled.postcode.slice(0, 4)} ${labelled.postcode.slice(4).toLowerCase()}`;
    const r = await call(c, "Get_Addresses_for_Postcode", { postcode: spaced, pageSize: 2 });
    expect(r.isError).toBeFalsy();
    const out = r.structuredContent as {
      postcode: string;
      total: number;
      addresses: Array<{ houseNumber: number; postcode: string }>;
      sources: Array<{ synthetic: boolean }>;
    };
    expect(out.postcode).toBe(labelled.postcode);
    expect(out.addresses.length).toBeLessThanOrEqual(2);
    expect(out.total).toBeGreaterThanOrEqual(out.addresses.length);
    expect(out.sources.every((s) => s.synthetic)).toBe(true);
    const all = await call(c, "Get_Addresses_for_Postcode", { postcode: labelled.postcode, pageSize: 100 });
    const numbers = (all.structuredContent as typeof out).addresses.map((a) => a.houseNumber);
    expect(numbers).toEqual([...numbers].sort((x, y) => x - y));
    expect(text(all)).toContain("Synthetic");
  });

  it("gives property data, the energy label and the location for an address", async () => {
    const c = await client();
    const key = { postcode: labelled.postcode, houseNumber: labelled.house_number };
    const data = await call(c, "Get_Property_Data", key);
    expect(data.isError).toBeFalsy();
    expect((data.structuredContent as { unit: { id: string } }).unit.id).toBe(labelled.unit_id);
    const label = await call(c, "Get_Property_Energy_Label", { addressId: labelled.id });
    expect((label.structuredContent as { current: { energyClass: string } | null }).current?.energyClass).toBeTruthy();
    const none = await call(c, "Get_Property_Energy_Label", { addressId: unlabelled.id });
    const noneOut = none.structuredContent as {
      current: null;
      validity: { status: string };
      substituteLabelForBuildYear: { label: string } | null;
    };
    expect(noneOut.current).toBeNull();
    expect(noneOut.validity.status).toBe("none");
    const location = await call(c, "Analyze_Property_Location", key);
    const loc = location.structuredContent as { neighbourhood: { code: string; avgWozEur: number | null } | null; note: string };
    expect(loc.neighbourhood?.code).toMatch(/^BU[0-9]{4}[0-9A-Z]{4}$/);
    // Euros, as the assessment gives them (CBS publishes thousands).
    expect(loc.neighbourhood).not.toHaveProperty("avgWozThousands");
    expect(loc.neighbourhood?.avgWozEur).toBeGreaterThan(10_000);
    expect(loc.note).toContain("not this property");
  });

  it("finds an address with a letter and an addition written as one house number", async () => {
    const c = await client();
    const r = await call(c, "Get_Property_Data", {
      postcode: withLetter.postcode,
      houseNumber: `${withLetter.house_number} ${withLetter.house_letter} ${withLetter.house_number_addition}`,
    });
    expect(r.isError).toBeFalsy();
    expect((r.structuredContent as { address: { addressId: string } }).address.addressId).toBe(withLetter.id);
  });
});

describe("bad input gets a specific error and changes nothing", () => {
  it.each([
    [{ postcode: "0123 AB" }, "first digit is never 0"],
    [{ postcode: "1234 SS" }, "SA, SD and SS are never used"],
    [{ postcode: "1234AB' OR '1'='1" }, "four digits and two letters"],
  ])("Get_Addresses_for_Postcode %j", async (args, message) => {
    const r = await call(await client(), "Get_Addresses_for_Postcode", args);
    expect(r.isError).toBe(true);
    expect(text(r)).toContain(message);
  });

  it("rejects an oversized argument at the schema", async () => {
    const r = await call(await client(), "Get_Addresses_for_Postcode", { postcode: "1".repeat(500) });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/postcode/i);
  });

  it("answers an unknown address with the nearest valid forms", async () => {
    const c = await client();
    const r = await call(c, "Get_Property_Data", { postcode: labelled.postcode, houseNumber: 99999 });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/No address .* is known\. The nearest house numbers at .* are: /);
    const letter = await call(c, "Get_Property_Data", { postcode: labelled.postcode, houseNumber: `${labelled.house_number}Q` });
    expect(letter.isError).toBe(true);
    expect(text(letter)).toContain(
      `At ${labelled.postcode.slice(0, 4)} ${labelled.postcode.slice(4)} ${labelled.house_number} there are: ${labelled.house_number}`,
    );
  });

  it("writes nothing when an assessment cannot be made", async () => {
    const c = await client();
    const before = await assessmentCount();
    for (const args of [
      { postcode: "1234 SA", houseNumber: 1 },
      { postcode: labelled.postcode, houseNumber: 99999 },
      { addressId: "0307010000463990" },
      {},
    ]) {
      const r = await call(c, "Quick_Assess_Property", args);
      expect(r.isError, JSON.stringify(args)).toBe(true);
    }
    expect(await assessmentCount()).toBe(before);
  });
});

describe("quick assessment", () => {
  it("reports progress at each step in order, saves the assessment and returns its id", async () => {
    const identity = newIdentity({ tenantId: TENANT_A });
    const c = await client(identity);
    const steps: Array<{ progress: number; total?: number; message?: string }> = [];
    const r = await c.callTool(
      { name: "Quick_Assess_Property", arguments: { addressId: labelled.id } },
      { onprogress: (p) => steps.push(p) },
    );
    expect(r.isError).toBeFalsy();
    const out = catalog.get("Quick_Assess_Property")?.output.parse(r.structuredContent) as {
      assessmentId: string;
      disclaimer: string;
      value: { mid: number } | null;
      engineVersion: string;
    };
    expect(steps.map((s) => s.progress)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(steps.every((s) => s.total === 5)).toBe(true);
    expect(steps.at(-1)?.message).toBe(`Saved as ${out.assessmentId}`);
    expect(out.disclaimer).toContain("not an appraisal");
    const row = await env.DB.prepare("SELECT owner_key, tenant_id, address_id, engine_version FROM assessments WHERE id = ?")
      .bind(out.assessmentId)
      .first();
    expect(row).toEqual({ owner_key: identity.userKey, tenant_id: TENANT_A, address_id: labelled.id, engine_version: out.engineVersion });
  });

  it("needs mcp:write: listed to a read-only grant, but refused with a step-up and nothing saved", async () => {
    const reader = await client(newIdentity(), ["mcp:read"]);
    expect((await reader.listTools()).tools.map((t) => t.name)).toContain("Quick_Assess_Property");
    const before = await assessmentCount();
    await expect(reader.callTool({ name: "Quick_Assess_Property", arguments: { addressId: labelled.id } })).rejects.toThrow(
      /Insufficient scope/,
    );
    expect(await assessmentCount()).toBe(before);
  });
});

describe("one assessment path", () => {
  it("returns from Quick_Assess_Property exactly what assess() computes on the same rows, for every kind of address", async () => {
    const kinds: Record<string, string> = {
      "complete data, valid label":
        "EXISTS (SELECT 1 FROM energy_labels l WHERE l.unit_id = a.unit_id AND l.valid_until > '2027-01-01') AND u.surface_m2 IS NOT NULL AND a.neighbourhood_code IS NOT NULL",
      "missing label": "NOT EXISTS (SELECT 1 FROM energy_labels l WHERE l.unit_id = a.unit_id) AND u.kind = 'verblijfsobject'",
      "expired label":
        "EXISTS (SELECT 1 FROM energy_labels l WHERE l.unit_id = a.unit_id AND l.valid_until < '2026-01-01') AND NOT EXISTS (SELECT 1 FROM energy_labels l WHERE l.unit_id = a.unit_id AND l.valid_until >= '2026-01-01')",
      "mixed use": `u.use_purposes = '["woonfunctie","winkelfunctie"]'`,
      "no neighbourhood": "a.neighbourhood_code IS NULL",
      ligplaats: "u.kind = 'ligplaats'",
    };
    // The seed places every address in a neighbourhood (as the live registers usually do); this
    // file adds one outside any, the way a fresh BAG address can be before CBS maps it.
    await env.DB.prepare(
      `INSERT INTO addresses (id, unit_id, is_main, postcode, house_number, house_letter, house_number_addition, street, place,
         municipality_code, neighbourhood_code, lat, lon, is_synthetic, source, retrieved_at)
       SELECT '0307209999999001', unit_id, 0, postcode, 99999, NULL, NULL, street, place, municipality_code, NULL, lat, lon, 1, source, retrieved_at
       FROM addresses WHERE is_synthetic = 1 ORDER BY id LIMIT 1`,
    ).run();
    const c = await client();
    const store = new D1PropertyStore(env.DB);
    for (const [kind, where] of Object.entries(kinds)) {
      const row = await pick(where);
      const r = await call(c, "Quick_Assess_Property", { addressId: row.id });
      expect(r.isError, `${kind}: ${JSON.stringify(r.content)}`).toBeFalsy();
      const out = r.structuredContent as { assessedAt: string } & Record<string, unknown>;
      const address = await store.addressById(row.id);
      if (!address) throw new Error(`${kind}: ${row.id} vanished`);
      const unit = await store.unit(address.unitId);
      const expected = assess({
        address,
        addressLabel: formatAddress(address),
        unit,
        labels: await store.energyLabels(address.unitId),
        neighbourhood: address.neighbourhoodCode ? await store.neighbourhood(address.neighbourhoodCode) : null,
        municipality: await store.municipality(address.municipalityCode),
        now: new Date(out.assessedAt),
      });
      const { assessmentId: _id, sources: _sources, registerGaps, ...assessed } = out;
      expect(assessed, kind).toEqual(expected);
      expect(registerGaps, kind).toEqual([]);
    }
  });
});

describe("the tenant view names who saved each assessment", () => {
  it("shows the name and e-mail as signed in at save time, 'unknown' for rows saved before they were kept, never another tenant's", async () => {
    const tenant = `tenant-names-${crypto.randomUUID()}`;
    const other = `tenant-names-${crypto.randomUUID()}`;
    const anna = newIdentity({ tenantId: tenant, displayName: "Anna de Vries", email: "anna@contoso.example", roles: ["Admin"] });
    const noMail = newIdentity({ tenantId: tenant, displayName: "Bram Jansen" });
    const stranger = newIdentity({ tenantId: other, displayName: "Chris Bakker", email: "chris@fabrikam.example" });
    const [a, b, s] = await Promise.all([client(anna), client(noMail), client(stranger)]);
    const assessed = async (c: Client) =>
      ((await call(c, "Quick_Assess_Property", { addressId: labelled.id })).structuredContent as { assessmentId: string }).assessmentId;
    const annaId = await assessed(a);
    const bramId = await assessed(b);
    const chrisId = await assessed(s);
    // A row saved before migration 0009: no name or e-mail columns filled.
    const oldId = crypto.randomUUID();
    await env.DB.prepare(
      `INSERT INTO assessments (id, owner_key, tenant_id, address_id, address_label, inputs, result, engine_version, created_at, job_id)
       SELECT ?1, 'entra.old.user', ?2, address_id, address_label, inputs, result, engine_version, '2025-01-01T00:00:00.000Z', NULL
       FROM assessments WHERE id = ?3`,
    )
      .bind(oldId, tenant, annaId)
      .run();
    // The same renamed owner saves again: the older row keeps the name it was saved under.
    const renamed = await client({ ...anna, displayName: "Anna Smit-de Vries" });
    const renamedId = await assessed(renamed);

    const r = await call(a, "Get_Tenant_Assessments", { pageSize: 100 });
    expect(r.isError, text(r)).toBeFalsy();
    catalog.get("Get_Tenant_Assessments")?.output.parse(r.structuredContent);
    const rows = (
      r.structuredContent as {
        assessments: Array<{
          assessmentId: string;
          owner: { userKey: string; name: string | null; email: string | null; recorded: boolean };
        }>;
      }
    ).assessments;
    const owner = (id: string) => rows.find((x) => x.assessmentId === id)?.owner;
    expect(rows.map((x) => x.assessmentId).sort()).toEqual([annaId, bramId, oldId, renamedId].sort());
    expect(owner(chrisId)).toBeUndefined();
    expect(owner(annaId)).toEqual({ userKey: anna.userKey, name: "Anna de Vries", email: "anna@contoso.example", recorded: true });
    expect(owner(renamedId)).toMatchObject({ name: "Anna Smit-de Vries", email: "anna@contoso.example" });
    expect(owner(bramId)).toEqual({ userKey: noMail.userKey, name: "Bram Jansen", email: null, recorded: true });
    expect(owner(oldId)).toEqual({ userKey: "entra.old.user", name: null, email: null, recorded: false });
    const shown = text(r);
    expect(shown).toContain("by Anna de Vries <anna@contoso.example>");
    expect(shown).toContain("by Bram Jansen (no e-mail given at sign-in)");
    expect(shown).toContain("by unknown (saved before names were recorded; user key entra.old.user)");
    expect(shown).not.toContain("Chris Bakker");
  });

  it("reads results saved when the address id was called id under today's name, addressId", async () => {
    const me = newIdentity({ tenantId: TENANT_A });
    const c = await client(me);
    const saved = ((await call(c, "Quick_Assess_Property", { addressId: labelled.id })).structuredContent as { assessmentId: string })
      .assessmentId;
    await env.DB.prepare(
      "UPDATE assessments SET result = json_remove(json_set(result, '$.address.id', json_extract(result, '$.address.addressId')), '$.address.addressId') WHERE id = ?1",
    )
      .bind(saved)
      .run();
    const r = await call(c, "Get_Property_Assessments", { assessmentId: saved });
    expect(r.isError, text(r)).toBeFalsy();
    const out = r.structuredContent as {
      address: { addressId: string };
      assessments: Array<{ result: { address: Record<string, unknown> } }>;
    };
    expect(out.address.addressId).toBe(labelled.id);
    expect(out.assessments[0]?.result.address).toEqual({ addressId: labelled.id, label: expect.any(String) });
  });
});

describe("isolation between users and tenants", () => {
  it("never shows, lists or deletes another user's assessments; admins see only their own tenant", async () => {
    const alice = newIdentity({ tenantId: TENANT_A });
    const bob = newIdentity({ tenantId: TENANT_A });
    const carol = newIdentity({ tenantId: TENANT_B, roles: ["Admin"] });
    const dave = newIdentity({ tenantId: TENANT_A, roles: ["Admin"] });
    const [a, b, cc, d] = await Promise.all([client(alice), client(bob), client(carol), client(dave)]);

    const assessed = async (c: Client, id: string) => {
      const result = await c.callTool({ name: "Quick_Assess_Property", arguments: { addressId: id } });
      return (result.structuredContent as { assessmentId: string }).assessmentId;
    };
    const aliceId = await assessed(a, labelled.id);
    const bobId = await assessed(b, unlabelled.id);
    const carolId = await assessed(cc, labelled.id);

    const listOf = async (c: Client) =>
      ((await call(c, "Get_Assessed_Properties", {})).structuredContent as { properties: Array<{ assessmentId: string }> }).properties.map(
        (p) => p.assessmentId,
      );
    expect(await listOf(a)).toEqual([aliceId]);
    expect(await listOf(b)).toEqual([bobId]);

    const peek = await call(b, "Get_Property_Assessments", { assessmentId: aliceId });
    expect(peek.isError).toBe(true);
    expect(text(peek)).toContain("You have no assessment with id");
    const byAddress = await call(b, "Get_Property_Assessments", { addressId: labelled.id });
    expect((byAddress.structuredContent as { assessments: unknown[] }).assessments).toEqual([]);

    const steal = await call(b, "Delete_Property_Assessment", { assessmentId: aliceId });
    expect(steal.isError).toBe(true);
    expect(await env.DB.prepare("SELECT id FROM assessments WHERE id = ?").bind(aliceId).first()).not.toBeNull();

    const tenantOf = async (c: Client) =>
      (
        (await call(c, "Get_Tenant_Assessments", { pageSize: 100 })).structuredContent as { assessments: Array<{ assessmentId: string }> }
      ).assessments.map((x) => x.assessmentId);
    const daveSees = await tenantOf(d);
    expect(daveSees).toEqual(expect.arrayContaining([aliceId, bobId]));
    expect(daveSees).not.toContain(carolId);
    const carolSees = await tenantOf(cc);
    expect(carolSees).toContain(carolId);
    expect(carolSees).not.toContain(aliceId);
    expect(carolSees).not.toContain(bobId);

    expect((await a.listTools()).tools.map((t) => t.name)).not.toContain("Get_Tenant_Assessments");
    expect((await d.listTools()).tools.map((t) => t.name)).toContain("Get_Tenant_Assessments");
    await expect(a.callTool({ name: "Get_Tenant_Assessments", arguments: {} })).rejects.toThrow(
      /only available to users with the app role Admin/,
    );

    const own = await call(a, "Delete_Property_Assessment", { assessmentId: aliceId });
    expect(own.isError).toBeFalsy();
    expect(await listOf(a)).toEqual([]);
    expect(await env.DB.prepare("SELECT id FROM assessments WHERE id = ?").bind(bobId).first()).not.toBeNull();
  });
});

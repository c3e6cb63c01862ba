import { env } from "cloudflare:workers";
import type { Client } from "@modelcontextprotocol/client";
import { beforeAll, describe, expect, it } from "vitest";
import { D1AddressSearch } from "../src/data/search";
import { parseAddressQuery } from "../src/domain/address-input";
import { catalog } from "../src/mcp/tools";
import { connectClient } from "./helpers/mcp";
import { mintToken, newIdentity } from "./helpers/oauth";

/**
 * Search_Addresses on the synthetic dataset: the FTS5 index (migrations/0005_address_search.sql)
 * is filled by its triggers as the seed is inserted after the migrations, and follows later
 * inserts, updates and deletes of `addresses`.
 */

const TENANT_A = "3f1c2a6e-8b4d-4e21-9a57-0c6d2e8f4b11";

interface Row {
  id: string;
  postcode: string;
  house_number: number;
  house_letter: string | null;
  house_number_addition: string | null;
  street: string;
  place: string;
}

async function pick(where: string): Promise<Row> {
  const row = await env.DB.prepare(
    `SELECT id, postcode, house_number, house_letter, house_number_addition, street, place FROM addresses WHERE is_synthetic = 1 AND ${where} ORDER BY id LIMIT 1`,
  ).first<Row>();
  if (!row) throw new Error(`no seeded address where ${where}`);
  return row;
}

type Result = Awaited<ReturnType<Client["callTool"]>>;
const text = (r: Result) => (r.content as Array<{ text?: string }>).map((c) => c.text ?? "").join("\n");
interface Out {
  total: number;
  note: string | null;
  candidates: Array<{ rank: number; addressId: string; label: string; postcode: string | null; exactNumber: boolean; score: number }>;
}

let c: Client;
async function call(args: Record<string, unknown>): Promise<Result> {
  const result = await c.callTool({ name: "Search_Addresses", arguments: args });
  if (!result.isError) catalog.get("Search_Addresses")?.output.parse(result.structuredContent);
  return result;
}
const out = (r: Result) => r.structuredContent as unknown as Out;

let plain: Row;
let lettered: Row;
beforeAll(async () => {
  c = await connectClient((await mintToken(newIdentity({ tenantId: TENANT_A }), ["mcp:read"])).accessToken);
  plain = await pick("house_letter IS NULL AND house_number_addition IS NULL");
  lettered = await pick("house_letter IS NOT NULL AND house_number_addition IS NULL");
});

describe("the address search index", () => {
  it("holds one row per address, filled by the triggers as the seed went in", async () => {
    const counts = await env.DB.prepare("SELECT (SELECT count(*) FROM addresses) AS a, (SELECT count(*) FROM address_search) AS s").first<{
      a: number;
      s: number;
    }>();
    expect(counts?.a).toBeGreaterThan(0);
    expect(counts?.s).toBe(counts?.a);
  });

  it("follows inserts, updates and deletes of addresses (as the live cache writes them)", async () => {
    const id = "0307209999999901";
    const q = parseAddressQuery("Zoekproefstraat 7 Amersfoort");
    if (!q.ok) throw new Error(q.error);
    const search = new D1AddressSearch(env.DB);
    await env.DB.prepare(
      `INSERT INTO addresses (id, unit_id, is_main, postcode, house_number, street, place, municipality_code, lat, lon, is_synthetic, source, retrieved_at)
       SELECT ?1, unit_id, 1, '3817ZZ', 7, 'Zoekproefstraat', 'Amersfoort', municipality_code, lat, lon, 0, 'pdok-locatieserver', '2026-11-01T00:00:00Z'
       FROM addresses WHERE id = ?2`,
    )
      .bind(id, plain.id)
      .run();
    expect((await search.search(q.value, 5)).candidates.map((a) => a.id)).toEqual([id]);
    await env.DB.prepare("UPDATE addresses SET street = 'Zoekandersstraat' WHERE id = ?1").bind(id).run();
    expect((await search.search(q.value, 5)).total).toBe(0);
    const moved = parseAddressQuery("Zoekandersstr 7");
    if (!moved.ok) throw new Error(moved.error);
    expect((await search.search(moved.value, 5)).candidates.map((a) => a.id)).toEqual([id]);
    await env.DB.prepare("DELETE FROM addresses WHERE id = ?1").bind(id).run();
    expect((await search.search(moved.value, 5)).total).toBe(0);
  });
});

describe("Search_Addresses", () => {
  it("finds street + number + place, the exact address first, with an id every tool takes", async () => {
    const r = await call({ query: `${plain.street} ${plain.house_number} ${plain.place}` });
    expect(r.isError).toBeFalsy();
    const first = out(r).candidates[0];
    expect(first?.addressId).toBe(plain.id);
    expect(first?.rank).toBe(1);
    expect(first?.exactNumber).toBe(true);
    const data = await c.callTool({ name: "Get_Property_Data", arguments: { addressId: first?.addressId } });
    expect(data.isError).toBeFalsy();
    expect(text(r)).toContain(plain.id);
  });

  it("finds postcode + number, with or without the space", async () => {
    for (const pc of [plain.postcode, `${plain.postcode.slice(0, 4)} ${plain.postcode.slice(4).toLowerCase()}`]) {
      const r = await call({ query: `${pc} ${plain.house_number}` });
      expect(out(r).candidates[0]?.addressId, pc).toBe(plain.id);
      for (const cand of out(r).candidates) expect(cand.postcode).toBe(plain.postcode);
    }
  });

  it("finds partial input: street and place prefixes", async () => {
    const r = await call({
      query: `${plain.street.slice(0, Math.max(4, plain.street.length - 3))} ${plain.house_number} ${plain.place.slice(0, 5)}`,
    });
    expect(out(r).candidates.map((x) => x.addressId)).toContain(plain.id);
    expect(out(r).candidates[0]?.exactNumber).toBe(true);
  });

  it("puts the exact letter first (20A), and reads a lone letter as letter or addition", async () => {
    for (const written of [`${lettered.house_number}${lettered.house_letter}`, `${lettered.house_number}-${lettered.house_letter}`]) {
      const r = await call({ query: `${lettered.postcode} ${written}` });
      expect(out(r).candidates[0]?.addressId, written).toBe(lettered.id);
    }
  });

  it("finds a lettered address in every tool when the letter is given as an addition (100-H read both ways)", async () => {
    const asAddition = {
      postcode: lettered.postcode,
      houseNumber: lettered.house_number,
      houseNumberAddition: lettered.house_letter,
    };
    const r = await c.callTool({ name: "Get_Property_Data", arguments: asAddition });
    expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
    expect((r.structuredContent as { address: { addressId: string } }).address.addressId).toBe(lettered.id);
  });

  it("says how many match and what to add when there are more than the limit", async () => {
    const r = await call({ query: plain.place, limit: 3 });
    expect(r.isError).toBeFalsy();
    expect(out(r).candidates).toHaveLength(3);
    expect(out(r).total).toBeGreaterThan(3);
    expect(out(r).note).toMatch(/addresses match; showing the best 3\. Add the house number/);
  });

  it("answers zero hits as a normal answer with what to try, naming the places the synthetic dataset covers", async () => {
    const none = await call({ query: "Qwxzyvstraat 1 Nergenshuizen" });
    expect(none.isError).toBeFalsy();
    expect(out(none)).toMatchObject({ total: 0, candidates: [], note: 'No address matches "Qwxzyvstraat 1 Nergenshuizen".' });
    const { suggestions } = none.structuredContent as { suggestions: string[] };
    expect(suggestions.join("\n")).toMatch(/Check the spelling/);
    const covered = suggestions.find((x) => x.includes("synthetic demonstration dataset")) ?? "";
    for (const place of ["Amersfoort", "Amsterdam", "Rotterdam", "Utrecht"]) expect(covered).toContain(place);
    // Every address offered to try is found, exactly, by the same tool.
    const tries = [...covered.matchAll(/"([^"]+)"/g)].map((m) => m[1] as string);
    expect(tries.length).toBeGreaterThanOrEqual(8);
    for (const q of tries) {
      const hit = await call({ query: q });
      expect(hit.isError, q).toBeFalsy();
      expect(out(hit).candidates[0]?.exactNumber, q).toBe(true);
    }
    // The text says what the structure says.
    for (const line of suggestions) expect(text(none)).toContain(line);
    const noNumber = await call({ query: `${plain.street} 99998 ${plain.place}` });
    expect(noNumber.isError).toBeFalsy();
    expect(out(noNumber).note).toMatch(/No address with house number 99998 matches/);
  });

  it("adds no narrowing note when the first hit is exactly the address given, and one when it is not", async () => {
    // Postcode + number where the number also carries letters or additions ("20", "20A", "20-2"):
    // more match than shown, but the first hit is exactly what was given.
    const shared = await pick(
      "house_letter IS NULL AND house_number_addition IS NULL AND (SELECT count(*) FROM addresses o WHERE o.postcode = addresses.postcode AND o.house_number = addresses.house_number) > 1",
    );
    const exact = await call({ query: `${shared.postcode} ${shared.house_number}`, limit: 1 });
    expect(out(exact).total).toBeGreaterThan(1);
    expect(out(exact).candidates[0]?.addressId).toBe(shared.id);
    expect(out(exact).note).toBeNull();
    expect(text(exact)).not.toMatch(/narrow it down/);
    const withLetter = await call({ query: `${lettered.postcode} ${lettered.house_number}${lettered.house_letter}`, limit: 1 });
    expect(out(withLetter).candidates[0]?.addressId).toBe(lettered.id);
    expect(out(withLetter).note).toBeNull();
    // Street and number without the place: the note stays while the first hit is not exactly what was given.
    const loose = await call({ query: plain.street.slice(0, 4), limit: 2 });
    expect(out(loose).total).toBeGreaterThan(2);
    expect(out(loose).note).toMatch(/showing the best 2/);
  });

  it("rejects empty, number-only and too long input with a clear error", async () => {
    expect(text(await call({ query: "   " }))).toMatch(/Give an address to search for/);
    expect(text(await call({ query: "12" }))).toMatch(/no street, place or postcode/);
    expect(text(await call({ query: "a".repeat(201) }))).toMatch(/too long \(201 characters; at most 200\)/);
    const tooMany = await call({ query: plain.place, limit: 26 });
    expect(tooMany.isError).toBe(true);
  });
});

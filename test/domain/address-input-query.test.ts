import { describe, expect, it } from "vitest";
import { houseNumberReadings, parseAddressQuery } from "../../src/domain/address-input";

function parts(text: string) {
  const q = parseAddressQuery(text);
  if (!q.ok) throw new Error(q.error);
  const n = q.value.houseNumber;
  return { words: q.value.words, postcode: q.value.postcode, number: n && [n.houseNumber, n.houseLetter, n.houseNumberAddition] };
}

describe("parseAddressQuery", () => {
  it("takes street + number + place apart", () => {
    expect(parts("Keizersgracht 123 Amsterdam")).toEqual({
      words: ["keizersgracht", "amsterdam"],
      postcode: null,
      number: [123, null, null],
    });
  });
  it("reads a postcode with or without space, in any case", () => {
    expect(parts("3817AC 1")).toEqual({ words: [], postcode: "3817AC", number: [1, null, null] });
    expect(parts("3817 ac 1")).toEqual({ words: [], postcode: "3817AC", number: [1, null, null] });
    expect(parts("Polluxstraat 1, 3817 AC Amersfoort").postcode).toBe("3817AC");
  });
  it("keeps partial words for prefix matching", () => {
    expect(parts("Polluxstr 1 Amersf")).toEqual({ words: ["polluxstr", "amersf"], postcode: null, number: [1, null, null] });
  });
  it("reads letters and additions written on or apart", () => {
    expect(parts("Lijsterstraat 20A").number).toEqual([20, "A", null]);
    expect(parts("Lijsterstraat 20-2").number).toEqual([20, null, "2"]);
    expect(parts("Lijsterstraat 20 A 2").number).toEqual([20, "A", "2"]);
    expect(parts("Keizersgracht 123-H Amsterdam").number).toEqual([123, "H", null]);
    expect(parts("Keizersgracht 123 H Amsterdam")).toEqual({
      words: ["keizersgracht", "amsterdam"],
      postcode: null,
      number: [123, "H", null],
    });
    expect(parts("Rozengracht 2 III Amsterdam").number).toEqual([2, null, "III"]);
  });
  it("takes the last number as the house number; a leading 1e belongs to the street", () => {
    expect(parts("1e Jan Steenstraat 12 Amsterdam")).toEqual({
      words: ["1e", "jan", "steenstraat", "amsterdam"],
      postcode: null,
      number: [12, null, null],
    });
    expect(parts("Amsterdam").number).toBeNull();
  });
  it("refuses empty and too long input with clear errors", () => {
    expect(parseAddressQuery("  ")).toMatchObject({ ok: false, error: expect.stringMatching(/Give an address/) });
    expect(parseAddressQuery("x".repeat(201))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/too long \(201 characters; at most 200\)/),
    });
    expect(parseAddressQuery("x".repeat(200)).ok).toBe(true);
  });
  it("ignores FTS and Solr syntax", () => {
    expect(parts('"Kerk*straat" OR (NEAR 5) Ede:').words).toEqual(["kerk", "straat", "or", "near", "ede"]);
  });
});

describe("houseNumberReadings", () => {
  it("tries a lone letter as letter and as addition (Amsterdam's H, 1, III are toevoegingen)", () => {
    expect(houseNumberReadings({ houseNumber: 100, houseLetter: "H", houseNumberAddition: null })).toEqual([
      { houseNumber: 100, houseLetter: "H", houseNumberAddition: null },
      { houseNumber: 100, houseLetter: null, houseNumberAddition: "H" },
    ]);
    expect(houseNumberReadings({ houseNumber: 100, houseLetter: null, houseNumberAddition: "h" })[1]).toEqual({
      houseNumber: 100,
      houseLetter: "H",
      houseNumberAddition: null,
    });
    expect(houseNumberReadings({ houseNumber: 100, houseLetter: null, houseNumberAddition: "III" })).toHaveLength(1);
    expect(houseNumberReadings({ houseNumber: 100, houseLetter: "A", houseNumberAddition: "2" })).toHaveLength(1);
  });
});

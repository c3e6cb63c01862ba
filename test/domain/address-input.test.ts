import { describe, expect, it } from "vitest";
import { formatAddress, parseAddressId, parseHouseNumber, parsePostcode } from "../../src/domain/address-input";

describe("postcodes", () => {
  it.each([
    ["1234 ab", "1234AB"],
    ["1234AB", "1234AB"],
    ["  3815dt ", "3815DT"],
    ["9999 ZZ", "9999ZZ"],
  ])("normalises %j to %s", (input, expected) => {
    expect(parsePostcode(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ["0123 AB", "first digit is never 0"],
    ["1234 SA", "SA, SD and SS are never used"],
    ["1234 sd", "SA, SD and SS are never used"],
    ["1234SS", "SA, SD and SS are never used"],
    ["123 AB", "four digits and two letters"],
    ["1234 A", "four digits and two letters"],
    ["1234 A1", "four digits and two letters"],
    ["1234AB'; DROP TABLE addresses;--", "four digits and two letters"],
    ["x".repeat(5000), "far too long"],
  ])("refuses %j naming the rule", (input, rule) => {
    const parsed = parsePostcode(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain(rule);
  });
});

describe("house numbers", () => {
  it.each([
    [12, [12, null, null]],
    ["12", [12, null, null]],
    ["12a", [12, "A", null]],
    ["12-A", [12, "A", null]],
    ["12 A 2", [12, "A", "2"]],
    ["12-2", [12, null, "2"]],
    ["12 bis", [12, null, "BIS"]],
    ["99999", [99999, null, null]],
  ] as const)("parses %j", (input, [n, letter, addition]) => {
    expect(parseHouseNumber(input)).toEqual({ ok: true, value: { houseNumber: n, houseLetter: letter, houseNumberAddition: addition } });
  });

  it("lets explicit letter and addition win", () => {
    expect(parseHouseNumber(7, "b", "h")).toEqual({ ok: true, value: { houseNumber: 7, houseLetter: "B", houseNumberAddition: "H" } });
  });

  it.each([
    [0, "1 to 99999"],
    ["100000", "1 to 99999"],
    ["-3", "not a house number"],
    ["12 ABCDE", "not a house number"],
    ["1 OR 1=1", "not a house number"],
  ])("refuses %j", (input, rule) => {
    const parsed = parseHouseNumber(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain(rule);
  });

  it("refuses a bad letter and a bad addition by their rules", () => {
    const letter = parseHouseNumber(5, "AB");
    expect(!letter.ok && letter.error).toContain("exactly one letter");
    const addition = parseHouseNumber(5, null, "TOOLONG");
    expect(!addition.ok && addition.error).toContain("1 to 4 letters or digits");
  });
});

describe("BAG address ids", () => {
  it("accepts a nummeraanduiding id and refuses other kinds and the placeholder", () => {
    expect(parseAddressId("0307200000463989")).toEqual({ ok: true, value: "0307200000463989" });
    const vbo = parseAddressId("0307010000463990");
    expect(!vbo.ok && vbo.error).toContain("another kind (type 01)");
    expect(parseAddressId("0000000000000000").ok).toBe(false);
    expect(parseAddressId("12345").ok).toBe(false);
  });

  it("formats addresses the Dutch way", () => {
    expect(
      formatAddress({
        street: "Lijsterstraat",
        houseNumber: 20,
        houseLetter: "A",
        houseNumberAddition: "2",
        postcode: "3815DT",
        place: "Amersfoort",
      }),
    ).toBe("Lijsterstraat 20A-2, 3815 DT Amersfoort");
  });
});

import { strToU8 } from "fflate";
import { describe, expect, it } from "vitest";
import { detectKind, MAX_ROW_ERRORS_KEPT, parseUpload, UploadRefused } from "../../src/uploads/parse";
import { bigCsv, bigRows, buildBombXlsx, buildXlsx } from "./fixtures";

const LIMITS = { maxRows: 50_000, maxUnpackedBytes: 64 * 1024 * 1024 };
const csv = (text: string) => strToU8(text);

function refusal(run: () => unknown): UploadRefused {
  try {
    run();
  } catch (error) {
    if (error instanceof UploadRefused) return error;
    throw error;
  }
  throw new Error("not refused");
}

describe("CSV", () => {
  it("reads , and ; and tab, a BOM, quoted fields, Dutch headers, and says which columns were ignored", () => {
    const comma = parseUpload(
      csv('\uFEFFPostcode,Huisnr.,Huis letter,"Toevoeging",Eigenaar\r\n3817 ac,1,,,"Jansen, P."\r\n"3815DT","20","A","2",x\n'),
      LIMITS,
    );
    expect(comma.inputs).toEqual([
      { postcode: "3817AC", houseNumber: 1 },
      { postcode: "3815DT", houseNumber: 20, houseLetter: "A", houseNumberAddition: "2" },
    ]);
    expect(comma.rows).toEqual([2, 3]);
    expect(comma.columns).toEqual({ postcode: "Postcode", houseNumber: "Huisnr.", letter: "Huis letter", addition: "Toevoeging" });
    expect(comma.ignoredColumns).toEqual(["Eigenaar"]);
    const semi = parseUpload(
      csv('PC;HUISNUMMER;huisnummertoevoeging;Notitie\n3817AC;"1";;"regel 1\nregel 2; met ;"\n3815 DT;20A-2;;\n'),
      LIMITS,
    );
    expect(semi.inputs).toEqual([
      { postcode: "3817AC", houseNumber: 1 },
      { postcode: "3815DT", houseNumber: 20, houseLetter: "A", houseNumberAddition: "2" },
    ]);
    expect(semi.rows).toEqual([2, 3]);
    const tab = parseUpload(csv("nummeraanduiding\tx\n0307200000463989\t1\n"), LIMITS);
    expect(tab.inputs).toEqual([{ addressId: "0307200000463989" }]);
  });

  it("reports rows that name no address or a malformed one, formulas and repeats, by row number", () => {
    const parsed = parseUpload(
      csv(
        [
          "bag id;postcode;huisnummer;naam",
          "0307200000463989;;;a", // 2 ok
          ";3817AC;1;b", // 3 ok
          ";;;only a name", // 4 no address
          ";3817AC;;c", // 5 no number
          ";0123AB;4;d", // 6 bad postcode
          "12345;;;e", // 7 bad id
          ';=HYPERLINK("x");1;f', // 8 formula
          ";3817 ac;1;g", // 9 repeat of 3
          "0307200000463989;;;h", // 10 repeat of 2
          ";;;", // 11 empty
          ";@SUM(1);2;i", // 12 formula
          ";+31;2;j", // 13 formula
          "-1;;;k", // 14 formula
        ].join("\n"),
      ),
      LIMITS,
    );
    expect(parsed.inputs).toHaveLength(2);
    expect(parsed.errors.map((e) => e.row)).toEqual([4, 5, 6, 7, 8, 12, 13, 14]);
    expect(parsed.errors[0]?.reason).toMatch(/names no address/);
    expect(parsed.errors[1]?.reason).toMatch(/houseNumber is missing/);
    expect(parsed.errors[2]?.reason).toMatch(/first digit is never 0/);
    expect(parsed.errors[3]?.reason).toMatch(/not a BAG address id/);
    for (const i of [4, 5, 6, 7]) expect(parsed.errors[i]?.reason).toMatch(/looks like a spreadsheet formula/);
    expect(parsed.duplicates).toEqual([
      { row: 9, sameAs: 3 },
      { row: 10, sameAs: 2 },
    ]);
    expect(parsed.emptyRows).toBe(1);
  });

  it("restores the leading zero Excel drops from a BAG id, and refuses files with no address columns or rows", () => {
    expect(parseUpload(csv("addressId\n307200000463989\n3.07200000463989E+14\n"), LIMITS).inputs).toEqual([
      { addressId: "0307200000463989" },
    ]);
    expect(refusal(() => parseUpload(csv("naam;plaats\nx;y\n"), LIMITS))).toMatchObject({ status: 422, reason: "no_address_columns" });
    expect(refusal(() => parseUpload(csv("postcode;huisnummer\n"), LIMITS))).toMatchObject({ status: 422, reason: "no_rows" });
    expect(refusal(() => parseUpload(csv(bigCsv(11)), { ...LIMITS, maxRows: 10 }))).toMatchObject({ status: 422, reason: "too_many_rows" });
  });

  it("keeps at most MAX_ROW_ERRORS_KEPT errors and counts them all", () => {
    const lines = ["postcode;huisnummer", ...Array.from({ length: MAX_ROW_ERRORS_KEPT + 5 }, () => "x;1"), "3817AC;1"];
    const parsed = parseUpload(csv(lines.join("\n")), LIMITS);
    expect(parsed.errorCount).toBe(MAX_ROW_ERRORS_KEPT + 5);
    expect(parsed.errors).toHaveLength(MAX_ROW_ERRORS_KEPT);
    expect(parsed.rows).toEqual([MAX_ROW_ERRORS_KEPT + 7]);
  });

  it("reads 50 000 rows", () => {
    const parsed = parseUpload(csv(bigCsv(50_000)), LIMITS);
    expect(parsed.inputs).toHaveLength(50_000);
    expect(parsed.rows[49_999]).toBe(50_001);
    expect(parsed.errorCount + parsed.duplicateCount).toBe(0);
  });
});

describe("XLSX", () => {
  it("reads the workbook's first sheet: shared, rich and inline strings, number cells, formulas refused", () => {
    const bytes = buildXlsx(
      [
        ["Postcode", "Huisnummer", "Huisletter", "Nummeraanduiding ID", "Opmerking"],
        ["3817 AC", { n: 1 }, null, null, "eerste"],
        [{ inline: "3815DT" }, { inline: "20" }, "A", null, null],
        [null, null, null, { n: "307200000463989" }, null],
        [{ f: 'CONCAT("38","17AC")', v: "3817AC" }, { n: 2 }, null, null, null],
        [null, null, null, null, "alleen een opmerking"],
        ["3817AC", { n: 1 }, null, null, "nogmaals"],
      ],
      {
        otherSheet: [
          ["postcode", "huisnummer"],
          ["9999ZZ", "1"],
        ],
      },
    );
    expect(detectKind(bytes)).toBe("xlsx");
    const parsed = parseUpload(bytes, LIMITS);
    expect(parsed.kind).toBe("xlsx");
    expect(parsed.inputs).toEqual([
      { postcode: "3817AC", houseNumber: 1 },
      { postcode: "3815DT", houseNumber: 20, houseLetter: "A" },
      { addressId: "0307200000463989" },
    ]);
    expect(parsed.rows).toEqual([2, 3, 4]);
    expect(parsed.errors).toEqual([
      { row: 5, reason: expect.stringMatching(/formula/) },
      { row: 6, reason: expect.stringMatching(/names no address/) },
    ]);
    expect(parsed.duplicates).toEqual([{ row: 7, sameAs: 2 }]);
    expect(parsed.ignoredColumns).toEqual(["Opmerking"]);
  });

  it("reads cells without references", () => {
    const parsed = parseUpload(
      buildXlsx(
        [
          ["pc", "nr"],
          ["3817AC", "1"],
        ],
        { refs: false },
      ),
      LIMITS,
    );
    expect(parsed.inputs).toEqual([{ postcode: "3817AC", houseNumber: 1 }]);
  });

  it("refuses a zip bomb from its table of contents, before inflating it", async () => {
    const bomb = await buildBombXlsx(1024 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(4 * 1024 * 1024);
    const started = performance.now();
    expect(refusal(() => parseUpload(bomb, LIMITS))).toMatchObject({ status: 413, reason: "xlsx_unpacked_too_large" });
    // Not a timing claim: inflating 1 GB would take many seconds; the refusal reads a few KB.
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it("stops a part that unpacks beyond the limit even when its size is not declared", async () => {
    const bomb = await buildBombXlsx(8 * 1024 * 1024, { declare: false });
    expect(refusal(() => parseUpload(bomb, { ...LIMITS, maxUnpackedBytes: 4 * 1024 * 1024 }))).toMatchObject({ status: 413 });
  });

  it("refuses other zips, damaged archives, .xls, PDF, images and binary by content", () => {
    expect(refusal(() => parseUpload(strToU8("PK\u0003\u0004garbage"), LIMITS))).toMatchObject({ status: 415, reason: "not_xlsx" });
    expect(refusal(() => parseUpload(new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), LIMITS))).toMatchObject({
      status: 415,
      reason: "xls",
    });
    expect(refusal(() => parseUpload(strToU8("%PDF-1.7\n"), LIMITS))).toMatchObject({ status: 415, reason: "pdf" });
    expect(refusal(() => parseUpload(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10]), LIMITS))).toMatchObject({
      status: 415,
      reason: "image",
    });
    expect(refusal(() => parseUpload(new Uint8Array([1, 2, 0, 4]), LIMITS))).toMatchObject({ status: 415, reason: "binary" });
    expect(refusal(() => parseUpload(new Uint8Array(), LIMITS))).toMatchObject({ status: 422, reason: "empty_file" });
  });

  it("reads 50 000 rows", () => {
    const parsed = parseUpload(buildXlsx(bigRows(50_000)), LIMITS);
    expect(parsed.inputs).toHaveLength(50_000);
    expect(parsed.rows[0]).toBe(2);
    expect(parsed.inputs[0]).toEqual({ postcode: "1000AB", houseNumber: 1, houseLetter: "A" });
    expect(parsed.errorCount + parsed.duplicateCount).toBe(0);
  });
});

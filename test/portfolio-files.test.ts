import { env, exports } from "cloudflare:workers";
import { read as readWorkbook, utils as sheetUtils, type WorkSheet } from "@e965/xlsx";
import { strFromU8, unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { portfolioDownloadLinks } from "../src/files/links";
import { ownerTag, portfolioFileKey, writePortfolioFiles } from "../src/files/portfolio-files";
import { R2ObjectWriter } from "../src/files/r2-writer";
import type { PortfolioResultRow } from "../src/files/result-row";
import { allAuditText, waitForAudit } from "./helpers/audit";

/*
 * Portfolio result files (issue 18, points 3, 5 and 6): built from result rows into the real R2
 * bucket, fetched through the real Worker by their signed links, read back byte by byte (CSV) and
 * by an independent reader (SheetJS) plus the sheet XML (XLSX).
 */

const OWNER_A = "entra.3f1c2a6e-8b4d-4e21-9a57-0c6d2e8f4b11.aaaaaaaa-0000-4000-8000-000000000001";
const OWNER_B = "entra.3f1c2a6e-8b4d-4e21-9a57-0c6d2e8f4b11.bbbbbbbb-0000-4000-8000-000000000002";

const base: Omit<PortfolioResultRow, "row" | "input" | "status"> = {
  addressId: null,
  address: null,
  energyLabel: null,
  valueLow: null,
  valueMid: null,
  valueHigh: null,
  valueNote: null,
  risks: [],
  dataGaps: [],
  assessmentId: null,
  duplicateOf: null,
  rentClass: null,
  rentPoints: null,
  rentPointsMin: null,
  rentPointsMax: null,
  rentSector: null,
  rentSectorsInRange: [],
  maxRentEur: null,
  maxRentMinEur: null,
  maxRentMaxEur: null,
  rentNote: null,
  error: null,
};

/** Every status, missing values, unicode, CSV-special characters, and a formula in every text column. */
const ROWS: PortfolioResultRow[] = [
  {
    ...base,
    row: 1,
    input: "0363200000123456",
    status: "done",
    addressId: "0363200000123456",
    address: "Prinsengracht 263, 1016 GV Amsterdam",
    energyLabel: "A",
    valueLow: 512000,
    valueMid: 560000,
    valueHigh: 610000,
    valueNote: "quick-assess/3.0.0: €/m² basis CBS 85036NED, 2025",
    risks: ["Rijksmonument", "Foundation, pre-1970"],
    assessmentId: "as_1",
    rentClass: "undecided",
    rentPoints: 164,
    rentPointsMin: 140,
    rentPointsMax: 190,
    rentSector: "middle",
    rentSectorsInRange: ["social", "middle", "free"],
    maxRentEur: 1076.96,
    maxRentMinEur: 900.07,
    maxRentMaxEur: null,
    rentNote: "Estimate from registers and stated defaults, not a formal points count",
  },
  {
    ...base,
    row: 2,
    input: "1234 AB 5",
    status: "done",
    addressId: "0599200000000002",
    address: 'Café "De Ster", Weg 5, 1234 AB Ëindhoven',
    energyLabel: "unknown",
    valueNote: "No value: municipality basis unknown\nCBS did not answer",
    dataGaps: ["EP-Online: not asked (timeout)"],
    assessmentId: "as_2",
    rentClass: "notAvailable",
    rentNote: "Not available: CBS could not be asked for the value basis.",
  },
  { ...base, row: 3, input: "9999 ZZ 1", status: "failed", error: "No address 9999 ZZ 1; did you mean 9999 ZY 1?" },
  { ...base, row: 4, input: "0363200000123456", status: "duplicate", addressId: "0363200000123456", duplicateOf: 1 },
  {
    ...base,
    row: 5,
    input: '=HYPERLINK("http://x","y")',
    status: "failed",
    addressId: "+31201234567",
    address: "-1+2",
    energyLabel: "@SUM(A1)",
    valueLow: -5,
    valueMid: 0,
    valueHigh: 1.5,
    valueNote: "\tcmd",
    risks: ["\r=evil", "fine"],
    dataGaps: ["  =1+1"],
    assessmentId: "＝1+1",
    rentClass: "outsideWws",
    rentNote: "=WWS",
    error: "=cmd|' /C calc'!A0, übel",
  },
];

const EXPECTED_CSV =
  "\uFEFFRow,Input,Status,Address ID,Address,Energy label,Value low (EUR),Value mid (EUR),Value high (EUR),Value note," +
  "WWS points,WWS points low,WWS points high,WWS sector,WWS sectors in range,Max rent (EUR/month),Max rent low (EUR/month),Max rent high (EUR/month),WWS note," +
  "Risks,Data gaps,Assessment ID,Duplicate of row,Error\r\n" +
  '1,0363200000123456,done,0363200000123456,"Prinsengracht 263, 1016 GV Amsterdam",A,512000,560000,610000,"quick-assess/3.0.0: €/m² basis CBS 85036NED, 2025",' +
  '164,140,190,middle,"social, middle, free",1076.96,900.07,,"Estimate from registers and stated defaults, not a formal points count",' +
  '"Rijksmonument; Foundation, pre-1970",,as_1,,\r\n' +
  '2,1234 AB 5,done,0599200000000002,"Café ""De Ster"", Weg 5, 1234 AB Ëindhoven",unknown,,,,"No value: municipality basis unknown\nCBS did not answer",' +
  ",,,not available,,,,,Not available: CBS could not be asked for the value basis.," +
  ",EP-Online: not asked (timeout),as_2,,\r\n" +
  "3,9999 ZZ 1,failed,,,,,,,,,,,,,,,,,,,,,No address 9999 ZZ 1; did you mean 9999 ZY 1?\r\n" +
  "4,0363200000123456,duplicate,0363200000123456,,,,,,,,,,,,,,,,,,,1,\r\n" +
  '5,"\'=HYPERLINK(""http://x"",""y"")",failed,\'+31201234567,\'-1+2,\'@SUM(A1),-5,0,1.5,\'\tcmd,' +
  ",,,outside the WWS,,,,,'=WWS," +
  "\"'\r=evil; fine\",'  =1+1,'＝1+1,,\"'=cmd|' /C calc'!A0, übel\"\r\n";

async function* rowsOf(rows: PortfolioResultRow[]): AsyncIterable<PortfolioResultRow> {
  for (const row of rows) yield row;
}

function fetchLink(link: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(link, init);
}

/** The link with one query parameter set (or removed, with `null`). */
function withParam(link: string, name: string, value: string | null): string {
  const url = new URL(link);
  if (value === null) url.searchParams.delete(name);
  else url.searchParams.set(name, value);
  return url.href;
}

/** One character of a string changed, at `index` (negative from the end). */
function flip(text: string, index: number): string {
  const i = index < 0 ? text.length + index : index;
  const c = text[i] === "A" ? "B" : "A";
  return `${text.slice(0, i)}${c}${text.slice(i + 1)}`;
}

describe("portfolio result files", () => {
  const jobA = crypto.randomUUID();
  const jobB = crypto.randomUUID();

  it("writes a CSV and an XLSX under keys naming the owner and the job, and a retry rewrites the same keys", async () => {
    const first = await writePortfolioFiles(env, { ownerKey: OWNER_A, jobId: jobA, rows: rowsOf(ROWS.slice(0, 2)) });
    const tag = await ownerTag(OWNER_A);
    expect(first.csvKey).toBe(`portfolios/${tag}/${jobA}/result.csv`);
    expect(first.xlsxKey).toBe(portfolioFileKey(tag, jobA, "xlsx"));
    expect(first.rows).toBe(2);
    const again = await writePortfolioFiles(env, { ownerKey: OWNER_A, jobId: jobA, rows: rowsOf(ROWS) });
    expect(again).toMatchObject({ csvKey: first.csvKey, xlsxKey: first.xlsxKey, rows: ROWS.length });
    const csv = await env.FILES.get(again.csvKey);
    expect(csv?.size).toBe(again.bytes.csv);
    expect(csv?.httpMetadata?.contentType).toBe("text/csv; charset=utf-8");
    expect(csv?.customMetadata).toMatchObject({ owner: OWNER_A, job: jobA });
    expect((await env.FILES.head(again.xlsxKey))?.size).toBe(again.bytes.xlsx);
    await writePortfolioFiles(env, { ownerKey: OWNER_B, jobId: jobB, rows: [ROWS[0] as PortfolioResultRow] });
  });

  it("serves the CSV through its link, byte for byte, as an attachment nobody caches", async () => {
    const links = await portfolioDownloadLinks(env, OWNER_A, jobA);
    expect(links.csv).toMatch(new RegExp(`^https://mcp\\.example\\.com/files/${jobA}\\.csv\\?o=[\\w-]{22}&e=\\d+&s=[\\w-]{43}$`));
    const expiresIn = Date.parse(links.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(55 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(60 * 60_000);
    const response = await fetchLink(links.csv);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("private, no-store");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    const today = new Date().toISOString().slice(0, 10);
    expect(response.headers.get("content-disposition")).toBe(`attachment; filename="pandgate-portfolio-${today}-${jobA.slice(0, 8)}.csv"`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(new TextDecoder("utf-8", { ignoreBOM: true, fatal: true }).decode(bytes)).toBe(EXPECTED_CSV);
    expect(response.headers.get("content-length")).toBe(String(bytes.length));
  });

  it("serves the XLSX: a result sheet (header frozen, numbers as numbers, text as text, formulas neutralised) and a summary sheet", async () => {
    const links = await portfolioDownloadLinks(env, OWNER_A, jobA);
    const response = await fetchLink(links.xlsx);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    expect(response.headers.get("content-disposition")).toMatch(
      /^attachment; filename="pandgate-portfolio-\d{4}-\d{2}-\d{2}-[\w-]{8}\.xlsx"$/,
    );
    const bytes = new Uint8Array(await response.arrayBuffer());

    const workbook = readWorkbook(bytes, { type: "array" });
    expect(workbook.SheetNames).toEqual(["Portfolio", "Summary"]);
    // The summary sheet counts the assessed rows per WWS class (rows 1 and 2; row 5 failed, whatever it holds).
    const summary = sheetUtils.sheet_to_json<unknown[]>(workbook.Sheets.Summary as WorkSheet, { header: 1, raw: true, defval: null });
    expect(summary.slice(0, 8)).toEqual([
      ["WWS sector (estimate)", "Dwellings"],
      ["Social (the whole points range)", 0],
      ["Middle (the whole points range)", 0],
      ["Free (the whole points range)", 0],
      ["Undecided (the range spans a sector boundary)", 1],
      ["Outside the WWS (ligplaats, standplaats, not a dwelling)", 0],
      ["Not available (a register could not answer or has no figure)", 1],
      ["Assessed addresses", 2],
    ]);
    expect(String(summary.at(-1)?.[0])).toMatch(/^Estimates from registers and stated defaults .*not formal points counts/);
    const sheet = workbook.Sheets.Portfolio;
    if (!sheet) throw new Error("no sheet");
    expect(sheet["!ref"]).toBe("A1:X6");
    expect(sheet.A1).toMatchObject({ t: "s", v: "Row" });
    expect(sheet.X1).toMatchObject({ t: "s", v: "Error" });
    expect(sheet.K1).toMatchObject({ t: "s", v: "WWS points" });
    expect(sheet.K2).toMatchObject({ t: "n", v: 164 });
    expect(sheet.N2).toMatchObject({ t: "s", v: "middle" });
    expect(sheet.P2).toMatchObject({ t: "n", v: 1076.96 });
    expect(sheet.R2).toBeUndefined();
    expect(sheet.N3).toMatchObject({ t: "s", v: "not available" });
    expect(sheet.A2).toMatchObject({ t: "n", v: 1 });
    expect(sheet.D2).toMatchObject({ t: "s", v: "0363200000123456" });
    expect(sheet.G2).toMatchObject({ t: "n", v: 512000 });
    expect(sheet.I2).toMatchObject({ t: "n", v: 610000 });
    expect(sheet.E3).toMatchObject({ t: "s", v: 'Café "De Ster", Weg 5, 1234 AB Ëindhoven' });
    expect(sheet.J3).toMatchObject({ t: "s", v: "No value: municipality basis unknown\nCBS did not answer" });
    expect(sheet.J2?.v).toContain("€/m²");
    expect(sheet.G3).toBeUndefined();
    expect(sheet.W5).toMatchObject({ t: "n", v: 1 });
    // Row 5 of the input: every text cell neutralised, every number a number.
    const rows = sheetUtils.sheet_to_json<unknown[]>(sheet, { header: 1, raw: true, defval: null });
    expect(rows[5]).toEqual([
      5,
      '\'=HYPERLINK("http://x","y")',
      "failed",
      "'+31201234567",
      "'-1+2",
      "'@SUM(A1)",
      -5,
      0,
      1.5,
      "'\tcmd",
      null,
      null,
      null,
      "outside the WWS",
      null,
      null,
      null,
      null,
      "'=WWS",
      "'\r=evil; fine",
      "'  =1+1",
      "'＝1+1",
      null,
      "'=cmd|' /C calc'!A0, übel",
    ]);
    for (const [ref, cell] of Object.entries(sheet)) {
      if (ref.startsWith("!")) continue;
      expect(cell.f, `${ref} has no formula`).toBeUndefined();
    }

    const files = unzipSync(bytes);
    const sheetXml = strFromU8(files["xl/worksheets/sheet1.xml"] as Uint8Array);
    expect(sheetXml).toContain('<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>');
    expect(sheetXml).toContain('<autoFilter ref="A1:X6"/>');
    // Euro amounts with cents (the maximum rents) in the "#,##0.00" style.
    expect(sheetXml).toContain('<c r="P2" s="3"><v>1076.96</v></c>');
    expect(sheetXml).toMatch(/<col min="5" max="5" width="40" customWidth="1"\/>/);
    expect(sheetXml).not.toMatch(/<f[ >]/);
    expect(sheetXml).toContain('<c r="G6" s="2"><v>-5</v></c>');
    expect(sheetXml).toContain('<c r="A1" s="1" t="inlineStr">');
    expect(Object.keys(files).sort()).toEqual([
      "[Content_Types].xml",
      "_rels/.rels",
      "xl/_rels/workbook.xml.rels",
      "xl/styles.xml",
      "xl/workbook.xml",
      "xl/worksheets/sheet1.xml",
      "xl/worksheets/sheet2.xml",
    ]);
  });

  it("refuses an altered link (any part) with 403, an expired one with 410, without saying whether the file exists", async () => {
    const links = await portfolioDownloadLinks(env, OWNER_A, jobA);
    const url = new URL(links.csv);
    const o = url.searchParams.get("o") as string;
    const e = url.searchParams.get("e") as string;
    const s = url.searchParams.get("s") as string;
    const altered = [
      withParam(links.csv, "s", flip(s, -1)),
      withParam(links.csv, "s", flip(s, 0)),
      withParam(links.csv, "o", flip(o, 3)),
      withParam(links.csv, "o", flip(o, -1)),
      withParam(links.csv, "e", String(Number(e) + 1)),
      withParam(links.csv, "e", String(Number(e) + 86_400 * 365)),
      withParam(links.csv, "e", `0${e}`),
      withParam(links.csv, "s", null),
      withParam(links.csv, "o", null),
      withParam(links.csv, "e", null),
      `${links.csv}&x=1`,
      `${links.csv}&s=${s}`,
      links.csv.replace(".csv?", ".xlsx?"),
      links.csv.replace(jobA, jobB),
      links.csv.replace(jobA, flip(jobA, 0)),
      links.csv.replace(`${jobA}.csv`, `${jobA}.pdf`),
      links.csv.split("?")[0] as string,
    ];
    for (const link of altered) {
      const response = await fetchLink(link);
      expect(response.status, link).toBe(403);
      const body = await response.text();
      expect(body, link).toContain("This download link is not valid");
      expect(body).not.toMatch(/not ready|does not exist|no such/i);
      expect(response.headers.get("cache-control")).toBe("private, no-store");
      expect(response.headers.get("content-disposition")).toBeNull();
    }
    // Expired: a link made two hours ago (1 hour default); changed as well, it is just invalid.
    const old = await portfolioDownloadLinks(env, OWNER_A, jobA, new Date(Date.now() - 2 * 3_600_000));
    const expired = await fetchLink(old.xlsx);
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain("This download link has expired");
    expect((await fetchLink(withParam(old.xlsx, "s", flip(new URL(old.xlsx).searchParams.get("s") as string, 5)))).status).toBe(403);
    // An expired link to a job that has no files answers exactly as one that has.
    const oldNone = await portfolioDownloadLinks(env, OWNER_A, crypto.randomUUID(), new Date(Date.now() - 2 * 3_600_000));
    expect((await fetchLink(oldNone.csv)).status).toBe(410);
  });

  it("refuses another user's link: A's signature with B's job, B's tag with A's job", async () => {
    const a = new URL((await portfolioDownloadLinks(env, OWNER_A, jobA)).csv);
    const b = new URL((await portfolioDownloadLinks(env, OWNER_B, jobB)).csv);
    expect((await fetchLink(b.href)).status).toBe(200);
    const aSignatureOnB = new URL(b.href);
    aSignatureOnB.searchParams.set("s", a.searchParams.get("s") as string);
    const bTagOnA = new URL(a.href);
    bTagOnA.searchParams.set("o", b.searchParams.get("o") as string);
    const aTagOnB = new URL(b.href);
    aTagOnB.searchParams.set("o", a.searchParams.get("o") as string);
    for (const link of [aSignatureOnB, bTagOnA, aTagOnB, new URL(a.href.replace(jobA, jobB))]) {
      expect((await fetchLink(link.href)).status, link.href).toBe(403);
    }
    // A genuine link of A for B's job id names A's files, which do not exist: 404, B's file is not served.
    const aForB = await portfolioDownloadLinks(env, OWNER_A, jobB);
    const response = await fetchLink(aForB.csv);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("This file is not ready");
  });

  it("answers 404 for a genuine link to files not built yet, and no answer of the route is a 5xx", async () => {
    const links = await portfolioDownloadLinks(env, OWNER_A, crypto.randomUUID());
    const response = await fetchLink(links.xlsx);
    expect(response.status).toBe(404);
    expect(response.headers.get("cache-control")).toBe("private, no-store");
    for (const path of ["/files/", "/files/x", "/files/..%2F..%2Fetc.csv", "/files/a.b.csv?o=&e=&s=", `/files/${"a".repeat(100)}.csv`]) {
      const answer = await fetchLink(`https://mcp.example.com${path}`);
      expect(answer.status, path).toBeLessThan(500);
    }
  });

  it("records downloads and refusals in the audit trail with the job and format, never the signature", async () => {
    const jobId = crypto.randomUUID();
    await writePortfolioFiles(env, { ownerKey: OWNER_A, jobId, rows: rowsOf(ROWS) });
    const links = await portfolioDownloadLinks(env, OWNER_A, jobId);
    const signature = new URL(links.xlsx).searchParams.get("s") as string;
    expect((await fetchLink(links.xlsx)).status).toBe(200);
    expect((await fetchLink(withParam(links.csv, "s", flip(signature, 2)))).status).toBe(403);
    const downloads = await waitForAudit({ kind: "portfolio.download" }, (events) => events.some((e) => e.details.jobId === jobId));
    expect(downloads.find((e) => e.details.jobId === jobId)).toMatchObject({
      outcome: "success",
      userKey: OWNER_A,
      details: { jobId, format: "xlsx" },
    });
    const refused = await waitForAudit({ kind: "portfolio.download_refused" }, (events) => events.some((e) => e.details.jobId === jobId));
    expect(refused.find((e) => e.details.jobId === jobId)).toMatchObject({
      outcome: "denied",
      reason: "link_invalid",
      details: { jobId, format: "csv" },
    });
    const everything = await allAuditText();
    expect(everything).not.toContain(signature);
    expect(everything).not.toContain(new URL(links.csv).searchParams.get("s"));
  });

  it("builds 50 000 rows through multipart uploads, in order, and serves them", async () => {
    const jobId = crypto.randomUUID();
    const count = 50_000;
    async function* many(): AsyncIterable<PortfolioResultRow> {
      for (let i = 1; i <= count; i++) {
        const template = ROWS[i % ROWS.length] as PortfolioResultRow;
        yield { ...template, row: i, input: `${template.input} #${i}` };
      }
    }
    const files = await writePortfolioFiles(env, { ownerKey: OWNER_A, jobId, rows: many(), partBytes: 5 * 1024 * 1024 });
    expect(files.rows).toBe(count);
    expect(files.bytes.csv).toBeGreaterThan(5 * 1024 * 1024); // more than one part
    const links = await portfolioDownloadLinks(env, OWNER_A, jobId);
    const csv = await (await fetchLink(links.csv)).text();
    expect(csv.length).toBeGreaterThan(0);
    const lines = csv.split("\r\n");
    expect(lines.at(-1)).toBe("");
    // Records, not lines: row 2's value note holds an LF inside quotes.
    const records = csv.match(/\r\n(?=\d+,)/g) ?? [];
    expect(records.length).toBe(count);
    expect(csv).toContain(`\r\n49999,"'=HYPERLINK(""http://x"",""y"") #49999",failed,'+31201234567,`);
    expect(csv).toContain(`\r\n50000,0363200000123456 #50000,done,0363200000123456,`);
    const xlsxResponse = await fetchLink(links.xlsx);
    const xlsx = new Uint8Array(await xlsxResponse.arrayBuffer());
    expect(xlsx.length).toBe(files.bytes.xlsx);
    const sheetXml = strFromU8(
      unzipSync(xlsx, { filter: (file) => file.name === "xl/worksheets/sheet1.xml" })["xl/worksheets/sheet1.xml"] as Uint8Array,
    );
    expect(sheetXml.match(/<row r="/g)?.length).toBe(count + 1);
    expect(sheetXml).toContain(`<row r="${count + 1}"><c r="A${count + 1}"><v>${count}</v></c>`);
    expect(sheetXml).toContain(`<autoFilter ref="A1:X${count + 1}"/>`);
  }, 240_000);
});

describe("R2ObjectWriter", () => {
  it("stores bytes that arrive in odd pieces across equal multipart parts, exactly, and a small file in one put", async () => {
    const total = 11 * 1024 * 1024 + 12_345;
    const data = new Uint8Array(total);
    for (let i = 0; i < total; i++) data[i] = (i * 31 + (i >> 13)) & 0xff;
    const big = new R2ObjectWriter(env.FILES, "test/writer-big", {}, 5 * 1024 * 1024);
    for (let at = 0, step = 1; at < total; at += step, step = (step * 7 + 13) % 900_001) await big.write(data.subarray(at, at + step));
    expect(await big.close()).toBe(total);
    const stored = new Uint8Array(await ((await env.FILES.get("test/writer-big")) as R2ObjectBody).arrayBuffer());
    expect(stored.length).toBe(total);
    expect(stored.every((byte, i) => byte === data[i])).toBe(true);
    const small = new R2ObjectWriter(env.FILES, "test/writer-small", {}, 5 * 1024 * 1024);
    await small.write(new TextEncoder().encode("hé"));
    expect(await small.close()).toBe(3);
    expect(await ((await env.FILES.get("test/writer-small")) as R2ObjectBody).text()).toBe("hé");
    expect(() => new R2ObjectWriter(env.FILES, "test/x", {}, 1024)).toThrow(RangeError);
  });
});

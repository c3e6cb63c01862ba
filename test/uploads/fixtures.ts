import { strToU8, zipSync } from "fflate";

/**
 * Minimal SpreadsheetML workbooks for the upload tests and the bench, built with fflate: the
 * parts Excel writes that a reader needs (content types, workbook and its relationships, shared
 * strings, sheets). Cells are given as text (shared string), `{ inline }` (inline string),
 * `{ n }` (a number cell) or `{ f, v }` (a formula with its cached value).
 */
export type XCell = string | { inline: string } | { n: number | string } | { f: string; v?: string } | null;

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function col(i: number): string {
  let s = "";
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

export function sheetXml(rows: readonly (readonly XCell[])[], shared: Map<string, number>, options: { refs?: boolean } = {}): string {
  const refs = options.refs ?? true;
  const body = rows
    .map((cells, r) => {
      const cs = cells
        .map((cell, c) => {
          if (cell === null) return "";
          const ref = refs ? ` r="${col(c)}${r + 1}"` : "";
          if (typeof cell === "string") {
            let idx = shared.get(cell);
            if (idx === undefined) {
              idx = shared.size;
              shared.set(cell, idx);
            }
            return `<c${ref} t="s"><v>${idx}</v></c>`;
          }
          if ("inline" in cell) return `<c${ref} t="inlineStr"><is><t>${esc(cell.inline)}</t></is></c>`;
          if ("n" in cell) return `<c${ref}><v>${cell.n}</v></c>`;
          return `<c${ref} t="str"><f>${esc(cell.f)}</f><v>${esc(cell.v ?? "")}</v></c>`;
        })
        .join("");
      return `<row${refs ? ` r="${r + 1}"` : ""}>${cs}</row>`;
    })
    .join("");
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${body}</sheetData></worksheet>`;
}

export function sharedStringsXml(shared: Map<string, number>): string {
  const items = [...shared.keys()].map((s, i) =>
    i % 7 === 3 ? `<si><r><t>${esc(s.slice(0, 1))}</t></r><r><t>${esc(s.slice(1))}</t></r></si>` : `<si><t>${esc(s)}</t></si>`,
  );
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="${shared.size}" uniqueCount="${shared.size}">${items.join("")}</sst>`;
}

/** An .xlsx whose first sheet (by the workbook's order) holds `rows`; `extraSheetFirstInZip` puts another sheet before it in the archive. */
export function buildXlsx(
  rows: readonly (readonly XCell[])[],
  options: { refs?: boolean; otherSheet?: readonly (readonly XCell[])[] } = {},
): Uint8Array {
  const shared = new Map<string, number>();
  const first = sheetXml(rows, shared, options);
  const other = sheetXml(options.otherSheet ?? [["ignored"]], shared);
  return zipSync({
    "[Content_Types].xml": strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
    ),
    // The workbook's first sheet is "Adressen" (rId2 → sheet2.xml); sheet1.xml is the second sheet.
    "xl/worksheets/sheet1.xml": strToU8(other),
    "xl/worksheets/sheet2.xml": strToU8(first),
    "xl/workbook.xml": strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Adressen" sheetId="1" r:id="rId2"/><sheet name="Notities" sheetId="2" r:id="rId1"/></sheets></workbook>',
    ),
    "xl/_rels/workbook.xml.rels": strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/></Relationships>',
    ),
    "xl/sharedStrings.xml": strToU8(sharedStringsXml(shared)),
  });
}

/**
 * A zip bomb in workbook form: a sheet part that really unpacks to `unpackedBytes` of repeated
 * XML, deflated (by the runtime's native CompressionStream) to about a thousandth of that, with
 * honest sizes in its headers. `declare: false` leaves the sizes out (0), as a streamed zip may.
 * The CRC is left 0: a reader that gets far enough to check it has already lost.
 */
export async function buildBombXlsx(unpackedBytes: number, options: { declare?: boolean } = {}): Promise<Uint8Array> {
  const declare = options.declare ?? true;
  const block = strToU8(`<row><c t="inlineStr"><is><t>${"A".repeat(1000)}</t></is></c></row>`.repeat(256));
  const head = strToU8("<worksheet><sheetData>");
  const tail = strToU8("</sheetData></worksheet>");
  const stream = new CompressionStream("deflate-raw");
  const writer = stream.writable.getWriter();
  const packed: Uint8Array[] = [];
  const reading = (async () => {
    const reader = stream.readable.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      packed.push(value);
    }
  })();
  let total = head.length + tail.length;
  await writer.write(head);
  for (; total < unpackedBytes; total += block.length) await writer.write(block);
  await writer.write(tail);
  await writer.close();
  await reading;
  const entries = [
    stored("xl/workbook.xml", '<workbook xmlns:r="r"><sheets><sheet name="A" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    stored("xl/_rels/workbook.xml.rels", '<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>'),
    { name: "xl/worksheets/sheet1.xml", method: 8, data: concat(packed), size: total },
  ];
  return zipOf(entries, declare);
}

function stored(name: string, text: string) {
  const data = strToU8(text);
  return { name, method: 0, data, size: data.length };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A plain zip (PKWARE APPNOTE 4.3): local headers and data, then the central directory. */
function zipOf(entries: Array<{ name: string; method: number; data: Uint8Array; size: number }>, declare: boolean): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = strToU8(e.name);
    const sizes = declare || e.method === 0;
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);
    local.setUint16(6, sizes ? 0 : 0x0008, true); // bit 3: sizes follow the data (a data descriptor)
    local.setUint16(8, e.method, true);
    local.setUint32(18, sizes ? e.data.length : 0, true);
    local.setUint32(22, sizes ? Math.min(e.size, 0xffffffff) : 0, true);
    local.setUint16(26, name.length, true);
    const cd = new DataView(new ArrayBuffer(46));
    cd.setUint32(0, 0x02014b50, true);
    cd.setUint16(4, 20, true);
    cd.setUint16(6, 20, true);
    cd.setUint16(10, e.method, true);
    cd.setUint32(20, e.data.length, true);
    cd.setUint32(24, sizes ? Math.min(e.size, 0xffffffff) : 0, true);
    cd.setUint16(28, name.length, true);
    cd.setUint32(42, offset, true);
    cd.setUint16(8, sizes ? 0 : 0x0008, true);
    parts.push(new Uint8Array(local.buffer), name, e.data);
    central.push(new Uint8Array(cd.buffer), name);
    offset += 30 + name.length + e.data.length;
    if (!sizes) {
      const descriptor = new DataView(new ArrayBuffer(16));
      descriptor.setUint32(0, 0x08074b50, true);
      descriptor.setUint32(8, e.data.length, true);
      descriptor.setUint32(12, Math.min(e.size, 0xffffffff), true);
      parts.push(new Uint8Array(descriptor.buffer));
      offset += 16;
    }
  }
  const cdSize = central.reduce((n, c) => n + c.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, entries.length, true);
  end.setUint16(10, entries.length, true);
  end.setUint32(12, cdSize, true);
  end.setUint32(16, offset, true);
  return concat([...parts, ...central, new Uint8Array(end.buffer)]);
}

/** `count` different addresses as CSV rows (postcode;huisnummer;toevoeging), with a header. */
export function bigCsv(count: number, delimiter = ";"): string {
  const lines = [["Postcode", "Huisnummer", "Toevoeging", "Opmerking"].join(delimiter)];
  for (let i = 0; i < count; i++) lines.push([postcodeOf(i), String((i % 500) + 1), i % 3 === 0 ? "2" : "", `unit ${i}`].join(delimiter));
  return `${lines.join("\r\n")}\r\n`;
}

export function bigRows(count: number): XCell[][] {
  const rows: XCell[][] = [["postcode", "huisnr", "huisletter", "notes"]];
  for (let i = 0; i < count; i++) rows.push([postcodeOf(i), { n: (i % 500) + 1 }, i % 4 === 0 ? { inline: "A" } : null, `row ${i}`]);
  return rows;
}

/** The postcode of the i-th generated address: 500 addresses per postcode. */
function postcodeOf(i: number): string {
  const block = Math.floor(i / 500);
  const digits = 1000 + (block % 9000);
  const letters = String.fromCharCode(65 + (block % 17), 66 + (Math.floor(block / 17) % 20));
  return `${digits} ${letters}`;
}

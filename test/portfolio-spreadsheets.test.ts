import { env, exports } from "cloudflare:workers";
import type { Client } from "@modelcontextprotocol/client";
import { strFromU8, unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { connectClient } from "./helpers/mcp";
import { mintToken, newIdentity } from "./helpers/oauth";

/**
 * A housing corporation's Monday morning, through the real Worker (workerd, real D1, R2 and
 * Workflows): a spreadsheet link from Create_Portfolio_Upload, a CSV sent to it, Assess_Portfolio
 * with its uploadId, and the result as CSV and Excel downloads from Get_Portfolio_Result, one row
 * per spreadsheet row with that row's number.
 */
const TIMEOUT = 120_000;

async function user(): Promise<Client> {
  const { accessToken } = await mintToken(newIdentity(), ["mcp:read", "mcp:write"]);
  return connectClient(accessToken);
}

async function call(c: Client, name: string, args: Record<string, unknown>) {
  const r = await c.callTool({ name, arguments: args });
  return {
    error: r.isError ? ((r.content as Array<{ text: string }>)[0]?.text ?? "") : null,
    s: r.structuredContent as Record<string, unknown>,
  };
}

async function seedAddresses(n: number) {
  const { results } = await env.DB.prepare(
    "SELECT id, postcode, house_number, house_letter, house_number_addition FROM addresses WHERE is_synthetic = 1 AND postcode IS NOT NULL ORDER BY id LIMIT ?1",
  )
    .bind(n)
    .all<{ id: string; postcode: string; house_number: number; house_letter: string | null; house_number_addition: string | null }>();
  return results;
}

/** An upload link with a CSV sent to it; the upload's id. */
async function uploaded(c: Client, csv: string): Promise<string> {
  const { error, s } = await call(c, "Create_Portfolio_Upload", {});
  expect(error).toBeNull();
  const res = await exports.default.fetch(s.uploadUrl as string, { method: "PUT", body: csv, headers: { "content-type": "text/csv" } });
  expect(res.status, await res.clone().text()).toBe(200);
  return s.uploadId as string;
}

async function finished(c: Client, jobId: string) {
  const deadline = Date.now() + TIMEOUT;
  for (;;) {
    const { s } = await call(c, "Get_Portfolio_Result", { jobId });
    if (s.state !== "running" && s.downloads) return s;
    if (Date.now() > deadline) throw new Error(`job ${jobId} did not finish: ${JSON.stringify(s).slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** CSV text → rows of cells (the builder's quoting: "…" with "" inside). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  for (const line of text
    .replace(/^\uFEFF/, "")
    .trimEnd()
    .split("\r\n")) {
    rows.push(
      [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].slice(0, -1).map((m) => (m[1] ?? "").replace(/^"|"$/g, "").replaceAll('""', '"')),
    );
  }
  return rows;
}

describe("a portfolio from a spreadsheet, with spreadsheets back", () => {
  it(
    "assesses an uploaded CSV's rows and gives CSV and Excel downloads with each row's spreadsheet row number",
    async () => {
      const c = await user();
      const [a, b, d] = await seedAddresses(3);
      if (!a || !b || !d) throw new Error("seed too small");
      // Row 2: by postcode and number (Dutch headers, ; as Excel writes it); row 3: by BAG id;
      // row 4: the same address as row 2 (dropped, counted); row 5: a postcode with no address.
      const csv = [
        "Postcode;Huisnummer;Huisletter;Toevoeging;Nummeraanduiding;VHE-nummer",
        `${a.postcode};${a.house_number};${a.house_letter ?? ""};${a.house_number_addition ?? ""};;VHE-001`,
        `;;;;${b.id};VHE-002`,
        `${a.postcode};${a.house_number};${a.house_letter ?? ""};${a.house_number_addition ?? ""};;VHE-003`,
        `9999ZZ;1;;;;VHE-004`,
        `;;;;${d.id};VHE-005`,
      ].join("\r\n");
      const uploadId = await uploaded(c, csv);

      const started = await call(c, "Assess_Portfolio", { uploadId });
      expect(started.error).toBeNull();
      expect(started.s.total).toBe(4);
      expect(started.s.duplicatesDropped).toBe(1);
      const result = await finished(c, started.s.jobId as string);
      expect(result.state).toBe("completed");
      expect(result.assessed).toBe(3);
      expect(result.failed).toBe(1);

      const downloads = result.downloads as { csv: string; xlsx: string; expiresAt: string };
      expect(downloads.csv).toMatch(/^https:\/\/mcp\.example\.com\/files\/[0-9a-f-]{36}\.csv\?/);
      const csvRes = await exports.default.fetch(downloads.csv);
      expect(csvRes.status).toBe(200);
      const rows = parseCsv(await csvRes.text());
      const header = rows[0] as string[];
      const col = (name: string) => header.findIndex((h) => h.toLowerCase().startsWith(name));
      const body = rows.slice(1);
      // One row per job item in input order, each with its spreadsheet row number (row 4, the repeat, was dropped before the job).
      expect(body.map((r) => r[col("row")])).toEqual(["2", "3", "5", "6"]);
      expect(body.map((r) => r[col("status")])).toEqual(["done", "done", "failed", "done"]);
      expect(body.map((r) => r[col("address id")])).toEqual([a.id, b.id, "", d.id]);
      expect(body[2]?.[col("error")]).toMatch(/9999 ?ZZ/);

      const xlsxRes = await exports.default.fetch(downloads.xlsx);
      expect(xlsxRes.status).toBe(200);
      const sheet = strFromU8(unzipSync(new Uint8Array(await xlsxRes.arrayBuffer()))["xl/worksheets/sheet1.xml"] as Uint8Array);
      expect(sheet).toContain(b.id);
      expect(sheet).toContain(d.id);

      // The upload starts one job only.
      const again = await call(c, "Assess_Portfolio", { uploadId });
      expect(again.error).toMatch(/already used/);
    },
    TIMEOUT,
  );

  it("refuses an upload of another user, and an uploadId given with addresses, starting nothing", async () => {
    const owner = await user();
    const other = await user();
    const [a] = await seedAddresses(1);
    const uploadId = await uploaded(owner, `addressId\r\n${a?.id}`);
    const before = await env.DB.prepare("SELECT count(*) AS n FROM portfolio_jobs").first<{ n: number }>();

    const foreign = await call(other, "Assess_Portfolio", { uploadId });
    expect(foreign.error).toMatch(/You have no upload with id/);
    const mixed = await call(owner, "Assess_Portfolio", { uploadId, addresses: [{ addressId: a?.id }] });
    expect(mixed.error).toMatch(/either an uploadId or addresses/);
    const bad = await call(owner, "Assess_Portfolio", { uploadId: "not-an-id" });
    expect(bad.error).toMatch(/upload id/);

    const after = await env.DB.prepare("SELECT count(*) AS n FROM portfolio_jobs").first<{ n: number }>();
    expect(after?.n).toBe(before?.n);
    // The owner can still use it.
    const own = await call(owner, "Assess_Portfolio", { uploadId });
    expect(own.error).toBeNull();
  });

  it(
    "gives a cancelled job's spreadsheets too: what was done, the rest marked not assessed",
    async () => {
      const c = await user();
      const ids = (await seedAddresses(1200)).map((r) => r.id);
      const uploadId = await uploaded(c, ["addressId", ...ids].join("\r\n"));
      const started = await call(c, "Assess_Portfolio", { uploadId });
      const jobId = started.s.jobId as string;
      await call(c, "Cancel_Portfolio", { jobId });
      const result = await finished(c, jobId);
      expect(result.state).toBe("cancelled");
      const res = await exports.default.fetch((result.downloads as { csv: string }).csv);
      const rows = parseCsv(await res.text()).slice(1);
      expect(rows).toHaveLength(1200);
      const header = parseCsv(await (await exports.default.fetch((result.downloads as { csv: string }).csv)).text())[0] as string[];
      const error = header.findIndex((h) => h.toLowerCase() === "error");
      const notAssessed = rows.filter((r) => (r[error] ?? "").startsWith("not assessed")).length;
      expect(notAssessed).toBe(1200 - (result.done as number));
    },
    TIMEOUT,
  );
});

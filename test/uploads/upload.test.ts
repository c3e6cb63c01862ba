import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import { strToU8, zipSync } from "fflate";
import { beforeEach, describe, expect, it } from "vitest";
import { createUpload, takeUpload } from "../../src/uploads/store";
import { Browser } from "../helpers/browser";
import { EntraMock, entraUser, TENANT_A } from "../helpers/entra";
import { connectClient } from "../helpers/mcp";
import { mintToken, newIdentity, config as testConfig } from "../helpers/oauth";
import { bigCsv, bigRows, buildBombXlsx, buildXlsx } from "./fixtures";

/**
 * Spreadsheet uploads through the real Worker (workerd, real D1 and R2): the tool's answer, the
 * PUT of CSV and XLSX, every refusal (size, type, zip bomb, expired, used, unknown), the browser
 * form behind sign-in, and takeUpload, the lead's entry for Assess_Portfolio {uploadId}.
 */

const owner = () => {
  const id = newIdentity();
  return { identity: id, owner: { userKey: id.userKey, tenantId: id.tenantId } };
};

async function newLink(who = owner().owner, now?: number) {
  return createUpload(env, testConfig, who, now);
}

function put(url: string, body: BodyInit, headers: Record<string, string> = {}) {
  return exports.default.fetch(url, { method: "PUT", body, headers });
}

type Answer = {
  accepted?: boolean;
  message: string;
  goodRows?: number;
  errorCount?: number;
  errors?: Array<{ row: number; reason: string }>;
  duplicateCount?: number;
  duplicates?: Array<{ row: number; sameAs: number }>;
  ignoredColumns?: string[];
  kind?: string;
  error?: string;
};

/** The link's secret is in its path: every answer under it keeps the browser from sending that on. */
function expectNoReferrer(...responses: Response[]) {
  for (const response of responses) expect(response.headers.get("referrer-policy"), `${response.status} answer`).toBe("no-referrer");
}

async function rowOf(id: string) {
  return env.DB.prepare("SELECT * FROM portfolio_uploads WHERE id = ?").bind(id).first<Record<string, unknown>>();
}

async function objectsUnder(id: string): Promise<number> {
  return (await env.FILES.list({ prefix: `uploads/${id}/` })).objects.length;
}

async function auditKinds(uploadId: string): Promise<string[]> {
  const rows = await env.DB.prepare("SELECT kind, reason, details FROM audit_events WHERE details LIKE ? ORDER BY occurred_at")
    .bind(`%${uploadId}%`)
    .all<{ kind: string; reason: string | null; details: string }>();
  return rows.results.map((r) => `${r.kind}${r.reason ? `:${r.reason}` : ""}`);
}

describe("Create_Portfolio_Upload", () => {
  it("answers an upload link on PUBLIC_URL with its id, expiry, limits and columns, and needs mcp:write", async () => {
    const { identity } = owner();
    const { accessToken } = await mintToken(identity, ["mcp:read", "mcp:write"]);
    const client = await connectClient(accessToken);
    const result = await client.callTool({ name: "Create_Portfolio_Upload", arguments: {} });
    expect(result.isError).toBeFalsy();
    const s = result.structuredContent as {
      uploadId: string;
      uploadUrl: string;
      expiresAt: string;
      maxRows: number;
      columns: Record<string, string>;
    };
    expect(s.uploadUrl).toMatch(new RegExp(`^https://mcp\\.example\\.com/uploads/${s.uploadId}/[A-Za-z0-9_-]{43}$`));
    expect(s.maxRows).toBe(50_000);
    expect(Object.keys(s.columns)).toEqual(["addressId", "postcode", "houseNumber", "letter", "addition"]);
    const minutes = (new Date(s.expiresAt).getTime() - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(14);
    expect(minutes).toBeLessThanOrEqual(15);
    const text = (result.content as Array<{ text: string }>)[0]?.text ?? "";
    expect(text).toContain(s.uploadUrl);
    expect(text).toContain("Open it in a browser");
    expect(text).toContain("HTTP PUT");
    const row = await rowOf(s.uploadId);
    expect(row).toMatchObject({ owner_key: identity.userKey, state: "waiting" });
    expect(String(row?.secret_hash)).not.toBe(s.uploadUrl.split("/").pop());
    expect(await auditKinds(s.uploadId)).toEqual(["portfolio.upload_created"]);
    await client.close();

    const readOnly = await connectClient((await mintToken(owner().identity, ["mcp:read"])).accessToken);
    await expect(readOnly.callTool({ name: "Create_Portfolio_Upload", arguments: {} })).rejects.toThrow(/403|insufficient_scope|mcp:write/);
    await readOnly.close();
  });
});

describe("PUT of a file", () => {
  it("takes a ; CSV with a BOM and quoted fields, reports repeats and ignored columns, and stores the addresses", async () => {
    const link = await newLink();
    const res = await put(
      link.uploadUrl,
      '\uFEFFPostcode;Huisnr;Toevoeging;Naam\r\n3817 AC;1;;"Jansen; P."\r\n3815DT;"20";2;x\r\n3817AC;1;;dubbel\r\n',
      {
        "content-type": "text/csv",
      },
    );
    expect(res.status).toBe(200);
    expectNoReferrer(res);
    const body = (await res.json()) as Answer;
    expect(body).toMatchObject({ accepted: true, kind: "csv", goodRows: 2, errorCount: 0, duplicateCount: 1, ignoredColumns: ["Naam"] });
    expect(body.duplicates).toEqual([{ row: 4, sameAs: 2 }]);
    expect(body.message).toMatch(/Received 2 addresses .*1 row named an address an earlier row named/);
    expect(await rowOf(link.uploadId)).toMatchObject({ state: "received", good_rows: 2, duplicate_count: 1, kind: "csv" });
    expect(await objectsUnder(link.uploadId)).toBe(1);
    expect(await auditKinds(link.uploadId)).toEqual(["portfolio.upload_created", "portfolio.upload_received"]);
    const audit = await env.DB.prepare("SELECT details FROM audit_events WHERE kind = 'portfolio.upload_received' AND details LIKE ?")
      .bind(`%${link.uploadId}%`)
      .first<{ details: string }>();
    expect(JSON.parse(audit?.details ?? "{}")).toEqual({
      uploadId: link.uploadId,
      fileKind: "csv",
      bytes: expect.any(Number),
      rows: 2,
      rowErrors: 0,
      duplicates: 1,
    });
    expect(audit?.details).not.toContain("3817");

    // single use: a second file is refused, the first kept
    const again = await put(link.uploadUrl, "postcode,huisnummer\n3817AC,2\n");
    expect(again.status).toBe(409);
    expect(((await again.json()) as Answer).message).toMatch(/already received a file with 2 addresses/);
  });

  it("takes a , CSV and an XLSX (shared and inline strings) as multipart form data too", async () => {
    const csvLink = await newLink();
    const form = new FormData();
    form.set("file", new File(["nummeraanduiding,x\n0307200000463989,1\n"], "stock.csv", { type: "text/csv" }));
    const r1 = await put(csvLink.uploadUrl, form);
    expect(r1.status).toBe(200);
    expect(((await r1.json()) as Answer).goodRows).toBe(1);

    const xlsxLink = await newLink();
    const xlsx = buildXlsx([
      ["PC", "Huisnummer", "Huisletter"],
      ["3817AC", { n: 1 }, null],
      [{ inline: "3815 DT" }, { inline: "20" }, "A"],
    ]);
    const r2 = await put(xlsxLink.uploadUrl, xlsx, { "content-type": "application/octet-stream" });
    expect(r2.status).toBe(200);
    expect(await r2.json()).toMatchObject({ accepted: true, kind: "xlsx", goodRows: 2 });
  });

  it("reports rows with errors and formulas by row number, keeps the link open, and takes the corrected file", async () => {
    const who = owner().owner;
    const link = await newLink(who);
    const bad = 'postcode;huisnummer\n3817AC;1\n;\n;12\n0123AB;4\n=HYPERLINK("http://x");1\n3817AC;\n';
    const res = await put(link.uploadUrl, bad);
    expect(res.status).toBe(422);
    const body = (await res.json()) as Answer;
    expect(body).toMatchObject({ accepted: false, goodRows: 1, errorCount: 4 });
    expect(body.errors?.map((e) => e.row)).toEqual([4, 5, 6, 7]);
    expect(body.errors?.[0]?.reason).toMatch(/postcode is missing/);
    expect(body.errors?.[1]?.reason).toMatch(/first digit is never 0/);
    expect(body.errors?.[2]?.reason).toMatch(/looks like a spreadsheet formula/);
    expect(body.errors?.[3]?.reason).toMatch(/houseNumber is missing/);
    expect(body.message).toMatch(/Nothing was started/);
    expect(await rowOf(link.uploadId)).toMatchObject({ state: "waiting", error_count: 4, good_rows: 1, empty_rows: 1 });
    expect(await objectsUnder(link.uploadId)).toBe(0);
    await expect(takeUpload(env, who.userKey, link.uploadId)).rejects.toThrow(/row 5: "0123AB" is not a Dutch postcode/);

    const fixed = await put(link.uploadUrl, "postcode;huisnummer\n3817AC;1\n3817AC;2\n");
    expect(fixed.status).toBe(200);
    expect(await auditKinds(link.uploadId)).toEqual([
      "portfolio.upload_created",
      "portfolio.upload_refused:row_errors",
      "portfolio.upload_received",
    ]);
  });

  it("refuses a file over the byte limit with 413 while it streams, keeping nothing", async () => {
    const link = await newLink();
    const max = testConfig.uploads.maxBytes;
    // No Content-Length: the limit is counted as the body streams in.
    const chunk = strToU8(`${"3817AC;1\n".repeat(7000)}`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > max + chunk.length) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await exports.default.fetch(link.uploadUrl, { method: "PUT", body, duplex: "half" } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as Answer).message).toMatch(/larger than 10 MiB/);
    expect(await rowOf(link.uploadId)).toMatchObject({ state: "waiting", kind: null });
    expect(await objectsUnder(link.uploadId)).toBe(0);
    // A Content-Length over the limit is refused unread.
    const declared = await put(link.uploadUrl, new Uint8Array(16), { "content-length": String(max + 1) });
    expect(declared.status).toBe(413);
    expect(await auditKinds(link.uploadId)).toEqual([
      "portfolio.upload_created",
      "portfolio.upload_refused:too_large",
      "portfolio.upload_refused:too_large",
    ]);
  });

  it("refuses what is not CSV or XLSX with 415, and a zip bomb XLSX with 413 before inflating it", async () => {
    const link = await newLink();
    for (const [bytes, what] of [
      [new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]), /old Excel file \(\.xls\)/],
      [strToU8("%PDF-1.4\n%âãÏÓ\n"), /PDF/],
      [new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]), /image/],
      [new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]), /binary/],
      [strToU8("PK\u0003\u0004not really a zip"), /not a readable Excel workbook/],
    ] as const) {
      const res = await put(link.uploadUrl, bytes);
      expect(res.status).toBe(415);
      expect(((await res.json()) as Answer).message).toMatch(what);
    }
    const bomb = await buildBombXlsx(1024 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(testConfig.uploads.maxBytes);
    const res = await put(link.uploadUrl, bomb);
    expect(res.status).toBe(413);
    expect(((await res.json()) as Answer).message).toMatch(/refused without unpacking/);
    expect(await rowOf(link.uploadId)).toMatchObject({ state: "waiting" });
    expect(await auditKinds(link.uploadId)).toContain("portfolio.upload_refused:xlsx_unpacked_too_large");
  });

  it("answers an unknown link 404, a wrong secret 404, an expired one 410, never 5xx", async () => {
    const link = await newLink(owner().owner, Date.now() - 16 * 60_000);
    const expired = await put(link.uploadUrl, "postcode,huisnummer\n3817AC,1\n");
    expect(expired.status).toBe(410);
    expect(((await expired.json()) as Answer).message).toMatch(/expired/);
    const other = await newLink();
    const wrongSecret = other.uploadUrl.replace(/\/[^/]+$/, `/${"A".repeat(43)}`);
    const answers = [
      await put(wrongSecret, "x"),
      await put(`https://mcp.example.com/uploads/${crypto.randomUUID()}/${"B".repeat(43)}`, "x"),
      await put("https://mcp.example.com/uploads/not-an-id/short", "x"),
      await exports.default.fetch(wrongSecret),
    ];
    expect(answers.map((a) => a.status)).toEqual([404, 404, 404, 404]);
    const notAllowed = await exports.default.fetch(other.uploadUrl, { method: "DELETE" });
    expect(notAllowed.status).toBe(405);
    expectNoReferrer(expired, ...answers, notAllowed);
  });
});

describe("the browser form", () => {
  let entra: EntraMock;
  beforeEach(() => {
    entra = new EntraMock().install();
  });

  async function signIn(browser: Browser, url: string, user = entraUser(TENANT_A)): Promise<Response> {
    const first = await browser.fetch(url);
    expect(first.status).toBe(302);
    const upstream = first.headers.get("location") ?? "";
    expect(new URL(upstream).searchParams.get("state")).toMatch(/^upload\./);
    const back = await browser.fetch(await entra.login(upstream, user));
    expect(back.status).toBe(302);
    expect(back.headers.get("location")).toBe(new URL(url).pathname);
    expectNoReferrer(first, back);
    const page = await browser.fetch(url);
    expectNoReferrer(page);
    return page;
  }

  it("sends a browser without a session to sign in; the owner gets the form and uploads through it", async () => {
    const user = entraUser(TENANT_A);
    const link = await newLink({ userKey: `entra.${user.tid}.${user.oid}`, tenantId: user.tid });
    const browser = new Browser();
    const page = await signIn(browser, link.uploadUrl, user);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<form method="post" enctype="multipart/form-data">');
    expect(html).toMatch(/<label class="field" for="file">/);
    expect(html).toContain('id="file" name="file" type="file"');

    const form = new FormData();
    form.set("file", new File(["postcode;huisnummer;naam\n3817AC;1;a\n;;b\n"], "stock.csv"));
    const bad = await browser.fetch(link.uploadUrl, { method: "POST", body: form });
    expect(bad.status).toBe(422);
    expectNoReferrer(bad);
    expect(await bad.text()).toMatch(/<th scope="row">3<\/th>\s*<td data-label="Why">names no address/);

    const good = new FormData();
    good.set(
      "file",
      new File(
        [
          buildXlsx([
            ["postcode", "huisnummer"],
            ["3817AC", { n: 1 }],
          ]),
        ],
        "stock.xlsx",
      ),
    );
    const ok = await browser.fetch(link.uploadUrl, { method: "POST", body: good });
    expect(ok.status).toBe(200);
    expectNoReferrer(ok);
    expect(await ok.text()).toContain("Received 1 address (XLSX)");
  });

  it("refuses another signed-in user, and a form post without sign-in", async () => {
    const ownerUser = entraUser(TENANT_A);
    const link = await newLink({ userKey: `entra.${ownerUser.tid}.${ownerUser.oid}`, tenantId: ownerUser.tid });
    const stranger = new Browser();
    const page = await signIn(stranger, link.uploadUrl, entraUser(TENANT_A));
    expect(page.status).toBe(403);
    expect(await page.text()).toContain("someone else");
    const form = new FormData();
    form.set("file", new File(["postcode;huisnummer\n3817AC;1\n"], "stock.csv"));
    const refused = [
      await stranger.fetch(link.uploadUrl, { method: "POST", body: form }),
      await new Browser().fetch(link.uploadUrl, { method: "POST", body: form }),
    ];
    expect(refused.map((r) => r.status)).toEqual([403, 403]);
    expectNoReferrer(...refused);
    expect(await rowOf(link.uploadId)).toMatchObject({ state: "waiting" });
  });
});

describe("takeUpload", () => {
  it("gives the addresses in file order with row numbers once, and refuses unknown, other users', waiting, expired and used uploads", async () => {
    const who = owner().owner;
    const link = await newLink(who);
    await expect(takeUpload(env, who.userKey, link.uploadId)).rejects.toThrow(/has not received a file yet/);
    expect((await put(link.uploadUrl, "bag id;postcode;huisnummer\n;3817AC;1\n\n0307200000463989;;\n;3817AC;1\n")).status).toBe(200);
    await expect(takeUpload(env, "someone-else", link.uploadId)).rejects.toThrow(/You have no upload with id/);
    await expect(takeUpload(env, who.userKey, crypto.randomUUID())).rejects.toThrow(/You have no upload with id/);
    const taken = await takeUpload(env, who.userKey, link.uploadId);
    expect(taken).toEqual({
      inputs: [{ postcode: "3817AC", houseNumber: 1 }, { addressId: "0307200000463989" }],
      rows: [2, 4],
      duplicatesDropped: 1,
    });
    await expect(takeUpload(env, who.userKey, link.uploadId)).rejects.toThrow(/already used/);
    expect((await put(link.uploadUrl, "postcode,huisnummer\n3817AC,1\n")).status).toBe(409);

    const expired = await newLink(who, Date.now() - 20 * 60_000);
    await expect(takeUpload(env, who.userKey, expired.uploadId)).rejects.toThrow(/expired before a file was sent/);

    const withErrors = await newLink(who);
    await put(withErrors.uploadUrl, "postcode,huisnummer\n3817AC,1\nnope,2\n");
    await expect(takeUpload(env, who.userKey, withErrors.uploadId)).rejects.toThrow(/row 3: "NOPE" is not a Dutch postcode/);
  });

  it("reads 50 000-row CSV and XLSX files through the Worker", { timeout: 180_000 }, async () => {
    const who = owner().owner;
    const csvLink = await newLink(who);
    const csvRes = await put(csvLink.uploadUrl, bigCsv(50_000));
    expect(await csvRes.json()).toMatchObject({ accepted: true, goodRows: 50_000 });
    const xlsxLink = await newLink(who);
    const xlsxRes = await put(xlsxLink.uploadUrl, buildXlsx(bigRows(50_000)));
    expect(await xlsxRes.json()).toMatchObject({ accepted: true, goodRows: 50_000 });
    const taken = await takeUpload(env, who.userKey, xlsxLink.uploadId);
    expect(taken.inputs).toHaveLength(50_000);
    expect(taken.rows[49_999]).toBe(50_001);
  });
});

describe("never a 5xx", () => {
  it("answers arbitrary bytes, text, CSV-like text and damaged workbooks with 200 or a 4xx", { timeout: 180_000 }, async () => {
    const link = await newLink();
    const csvish = fc
      .array(
        fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("3817AC", "1", "=1+1", '"a;b"', "0307200000463989", "\uFEFF")), {
          maxLength: 6,
        }),
        { maxLength: 8 },
      )
      .map((rows) => strToU8([["postcode", "huisnummer"].join(";"), ...rows.map((r) => r.join(";"))].join("\n")));
    const workbook = fc.record({ sheet: fc.string({ maxLength: 200 }), shared: fc.string({ maxLength: 100 }) }).map(({ sheet, shared }) =>
      zipSync({
        "xl/workbook.xml": strToU8("<workbook/>"),
        "xl/worksheets/sheet1.xml": strToU8(sheet),
        "xl/sharedStrings.xml": strToU8(shared),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 512 }), csvish, workbook), async (bytes) => {
        const res = await put(link.uploadUrl, bytes);
        expect(res.status, `status ${res.status}`).toBeLessThan(500);
        const body = (await res.json()) as Answer;
        expect(typeof body.message).toBe("string");
        if (res.status === 200) {
          // An accepted file closes the link; open a new one for the next case.
          Object.assign(link, await newLink());
        }
      }),
      { numRuns: 120 },
    );
  });
});

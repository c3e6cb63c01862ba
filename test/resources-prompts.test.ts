import { env, exports } from "cloudflare:workers";
import type { Client } from "@modelcontextprotocol/client";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config";
import { createAddressSearch } from "../src/data/search";
import type { Services } from "../src/data/services";
import { ownerTag, portfolioFileKey } from "../src/files/portfolio-files";
import { completeAddress, completeAddressIds, PROMPT_ARGUMENTS } from "../src/mcp/prompts";
import { CSV_BLOB_MAX_BYTES, LIST_PAGE_ITEMS, resourceUri } from "../src/mcp/resources";
import { connectClient, type Era, LEGACY_HEADERS, postMcp, readMessages } from "./helpers/mcp";
import { mintToken, newIdentity } from "./helpers/oauth";
import { addressSearchStandIn, LOCATIESERVER_DOCS } from "./helpers/registers";

/**
 * Resources, prompts and completion (issue 19, points 1 and 2) through the real Worker, the
 * user's agent and the MCP SDK client, on the synthetic dataset, under both protocol revisions.
 */

const TIMEOUT = 60_000;

/** The user's own resources in a listing, without the MCP Apps' ui:// pages every user is shown first. */
const own = <T extends { uri: string }>(resources: T[]): T[] => resources.filter((r) => r.uri.startsWith("pandgate://"));

interface Row {
  id: string;
  postcode: string;
  house_number: number;
  street: string;
  place: string;
}

let address: Row;
beforeAll(async () => {
  const row = await env.DB.prepare(
    `SELECT a.id, a.postcode, a.house_number, a.street, a.place FROM addresses a JOIN units u ON u.id = a.unit_id
     WHERE a.is_synthetic = 1 AND a.postcode IS NOT NULL AND a.house_letter IS NULL AND a.house_number_addition IS NULL
       AND u.surface_m2 IS NOT NULL AND EXISTS (SELECT 1 FROM energy_labels l WHERE l.unit_id = a.unit_id)
     ORDER BY a.id LIMIT 1`,
  ).first<Row>();
  if (!row) throw new Error("no seeded address");
  address = row;
});

async function user(era: Era = "2025-11-25") {
  const identity = newIdentity();
  const { accessToken } = await mintToken(identity, ["mcp:read", "mcp:write"]);
  return { client: await connectClient(accessToken, era), token: accessToken, identity };
}

type CallResult = Awaited<ReturnType<Client["callTool"]>>;
type Link = { type: string; uri: string; name: string; mimeType?: string };
const linksOf = (r: CallResult) => (r.content as Link[]).filter((c) => c.type === "resource_link");

async function assess(c: Client): Promise<{ assessmentId: string; result: CallResult }> {
  const result = await c.callTool({ name: "Quick_Assess_Property", arguments: { addressId: address.id } });
  expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
  return { assessmentId: (result.structuredContent as { assessmentId: string }).assessmentId, result };
}

/** A raw JSON-RPC request as a 2026-07-28 client (no initialize; the `_meta` envelope). */
async function modern(token: string, method: string, params: Record<string, unknown> = {}) {
  const res = await postMcp(
    token,
    {
      jsonrpc: "2.0",
      id: 7,
      method,
      params: {
        ...params,
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientCapabilities": {},
        },
      },
    },
    {
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": method,
      // The 2026-07-28 transport names the prompt or resource in a header too.
      ...(typeof params.name === "string" && { "mcp-name": params.name }),
      ...(typeof params.uri === "string" && { "mcp-name": params.uri }),
    },
  );
  const [message] = await readMessages(res);
  return message as { result?: Record<string, unknown>; error?: { code: number; message: string; data?: Record<string, unknown> } };
}

async function legacy(token: string, method: string, params: Record<string, unknown> = {}) {
  const [message] = await readMessages(await postMcp(token, { jsonrpc: "2.0", id: 8, method, params }, LEGACY_HEADERS));
  return message as { result?: Record<string, unknown>; error?: { code: number; message: string; data?: Record<string, unknown> } };
}

describe("resources: saved assessments", () => {
  for (const era of ["2025-11-25", "2026-07-28"] as const) {
    it(`are listed, read as JSON and Markdown saying the same, and linked from the tools (${era})`, async () => {
      const { client } = await user(era);
      const { assessmentId, result } = await assess(client);
      const links = linksOf(result);
      expect(links.map((l) => l.uri)).toEqual([
        resourceUri.assessment(assessmentId),
        resourceUri.assessmentMarkdown(assessmentId),
        resourceUri.property(address.id),
      ]);

      const listed = await client.listResources();
      expect(listed.resources.filter((r) => r.uri.startsWith("ui://")).map((r) => r.uri)).toEqual([
        "ui://pandgate/property-card.html",
        "ui://pandgate/portfolio-dashboard.html",
      ]);
      expect(own(listed.resources).map((r) => r.uri)).toEqual([
        resourceUri.assessment(assessmentId),
        resourceUri.assessmentMarkdown(assessmentId),
      ]);
      expect(listed.nextCursor).toBeUndefined();

      const asJson = await client.readResource({ uri: resourceUri.assessment(assessmentId) });
      const content = asJson.contents[0] as { mimeType: string; text: string };
      expect(content.mimeType).toBe("application/json");
      const saved = JSON.parse(content.text) as {
        assessmentId: string;
        address: { addressId: string };
        result: { value: { low: number; high: number; basis: { valueBasis: { woz: { table: string; period: string } } } } };
      };
      expect(saved.assessmentId).toBe(assessmentId);
      expect(saved.address.addressId).toBe(address.id);

      const asMarkdown = await client.readResource({ uri: resourceUri.assessmentMarkdown(assessmentId) });
      const md = asMarkdown.contents[0] as { mimeType: string; text: string };
      expect(md.mimeType).toBe("text/markdown");
      // The Markdown says what the JSON says: the range, and the WOZ table with its period.
      const eur = (n: number) => `€${n.toLocaleString("en-GB")}`;
      expect(md.text).toContain(`${eur(saved.result.value.low)} – ${eur(saved.result.value.high)}`);
      expect(md.text).toContain(
        `WOZ from ${saved.result.value.basis.valueBasis.woz.table} (${saved.result.value.basis.valueBasis.woz.period})`,
      );
      expect(md.text).toContain(assessmentId);

      const forProperty = await client.callTool({ name: "Get_Property_Assessments", arguments: { addressId: address.id } });
      expect(linksOf(forProperty).map((l) => l.uri)).toContain(resourceUri.assessment(assessmentId));
      const assessed = await client.callTool({ name: "Get_Assessed_Properties", arguments: {} });
      expect(linksOf(assessed).map((l) => l.uri)).toEqual([resourceUri.assessment(assessmentId)]);
      await client.close();
    });
  }

  it("another user's assessment is 'not found', -32602, with the same message as one that never existed", async () => {
    const owner = await user();
    const { assessmentId } = await assess(owner.client);
    const other = await user();
    const nobody = crypto.randomUUID();
    for (const call of [legacy, modern]) {
      const theirs = await call(other.token, "resources/read", { uri: resourceUri.assessment(assessmentId) });
      const none = await call(other.token, "resources/read", { uri: resourceUri.assessment(nobody) });
      expect(theirs.result).toBeUndefined();
      expect(theirs.error?.code).toBe(-32602);
      expect(theirs.error?.message.replace(assessmentId, "ID")).toBe(none.error?.message.replace(nobody, "ID"));
      expect(theirs.error?.data).toEqual({ uri: resourceUri.assessment(assessmentId) });
      const md = await call(other.token, "resources/read", { uri: resourceUri.assessmentMarkdown(assessmentId) });
      expect(md.error?.code).toBe(-32602);
      expect(JSON.stringify(md)).not.toContain(address.street);
    }
    const listed = await modern(other.token, "resources/list");
    expect(own((listed.result?.resources ?? []) as { uri: string }[])).toEqual([]);
    await owner.client.close();
    await other.client.close();
  });

  it("bad URIs and cursors are -32602 and name what is wrong", async () => {
    const { token } = await user();
    const unknown = await modern(token, "resources/read", { uri: "test://nonexistent-resource-for-conformance-testing" });
    expect(unknown.error).toMatchObject({ code: -32602, data: { uri: "test://nonexistent-resource-for-conformance-testing" } });
    const malformed = await modern(token, "resources/read", { uri: "not a uri" });
    expect(malformed.error?.code).toBe(-32602);
    const badId = await modern(token, "resources/read", { uri: resourceUri.assessment("42") });
    expect(badId.error).toMatchObject({ code: -32602 });
    expect(badId.error?.message).toContain("assessment ids are UUIDs");
    const badCursor = await modern(token, "resources/list", { cursor: "nonsense" });
    expect(badCursor.error?.code).toBe(-32602);
    expect(badCursor.error?.message).toContain("Invalid cursor");
  });

  it("pages with nextCursor, newest first, every assessment once", async () => {
    const { client, identity, token } = await user();
    // More assessments than one page holds, saved directly (the tool would take a call each).
    const total = LIST_PAGE_ITEMS + 7;
    const base = Date.parse("2026-01-01T00:00:00Z");
    const rows = Array.from({ length: total }, (_, i) => ({
      id: crypto.randomUUID(),
      createdAt: new Date(base + Math.floor(i / 2) * 1000).toISOString(), // pairs share a timestamp
    }));
    await env.DB.batch(
      rows.map((r) =>
        env.DB.prepare(
          `INSERT INTO assessments (id, owner_key, tenant_id, address_id, address_label, inputs, result, engine_version, created_at, job_id, owner_name, owner_email)
           VALUES (?1, ?2, ?3, ?4, 'Teststraat 1', '{}', '{}', 'test-engine', ?5, NULL, '', '')`,
        ).bind(r.id, identity.userKey, identity.tenantId, address.id, r.createdAt),
      ),
    );
    // Raw requests: the SDK client's listResources() follows nextCursor by itself.
    type Page = { resources: Array<{ uri: string; mimeType: string }>; nextCursor?: string };
    const first = (await modern(token, "resources/list")).result as Page;
    expect(own(first.resources)).toHaveLength(LIST_PAGE_ITEMS * 2);
    expect(first.nextCursor).toBeTypeOf("string");
    const second = (await legacy(token, "resources/list", { cursor: first.nextCursor })).result as Page;
    expect(second.nextCursor).toBeUndefined();
    const ids = [...first.resources, ...second.resources].filter((r) => r.mimeType === "application/json").map((r) => r.uri);
    const expected = [...rows]
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id))
      .map((r) => resourceUri.assessment(r.id));
    expect(ids).toEqual(expected);
    // The SDK client follows the cursor to the end.
    expect(own((await client.listResources()).resources)).toHaveLength(total * 2);
    await client.close();
  });
});

describe("resources: the property template", () => {
  it("is listed as a template, read by address id, and refuses unknown ids as not found", async () => {
    const { client, token } = await user("2026-07-28");
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toContain("pandgate://properties/{addressId}");
    const read = await client.readResource({ uri: resourceUri.property(address.id) });
    const facts = JSON.parse((read.contents[0] as { text: string }).text) as { address: { addressId: string }; sources: unknown[] };
    expect(facts.address.addressId).toBe(address.id);
    expect(facts.sources.length).toBeGreaterThan(0);
    const md = await client.readResource({ uri: resourceUri.propertyMarkdown(address.id) });
    expect((md.contents[0] as { text: string }).text).toContain("Sources:");
    const missing = await modern(token, "resources/read", { uri: resourceUri.property("0000000000000001") });
    expect(missing.error?.code).toBe(-32602);
    const malformed = await modern(token, "resources/read", { uri: resourceUri.property("12ab") });
    expect(malformed.error?.code).toBe(-32602);
    const data = await client.callTool({ name: "Get_Property_Data", arguments: { addressId: address.id } });
    expect(linksOf(data).map((l) => l.uri)).toEqual([resourceUri.property(address.id)]);
    await client.close();
  });
});

describe("caching fields (2026-07-28)", () => {
  it("lists and reads carry ttlMs and cacheScope: private for the user's own, public for shared", async () => {
    const { client, token } = await user();
    const { assessmentId } = await assess(client);
    await client.close();
    const list = await modern(token, "resources/list");
    expect(list.result).toMatchObject({ ttlMs: 0, cacheScope: "private" });
    const templates = await modern(token, "resources/templates/list");
    expect(templates.result).toMatchObject({ cacheScope: "public" });
    const prompts = await modern(token, "prompts/list");
    expect(prompts.result).toMatchObject({ cacheScope: "public" });
    const own = await modern(token, "resources/read", { uri: resourceUri.assessment(assessmentId) });
    expect(own.result).toMatchObject({ ttlMs: 60_000, cacheScope: "private" });
    const property = await modern(token, "resources/read", { uri: resourceUri.property(address.id) });
    expect(property.result).toMatchObject({ ttlMs: 300_000, cacheScope: "public" });
    // 2025-era answers carry no cache fields.
    const old = await legacy(token, "resources/list");
    expect(old.result).not.toHaveProperty("ttlMs");
  });
});

describe("resources: portfolio reports", () => {
  /** Runs a portfolio job of the first three seeded addresses to its end and its files, checking Get_Portfolio_Result's links. */
  async function endedJob(client: Client): Promise<{ jobId: string; results: Array<{ id: string }> }> {
    const { results } = await env.DB.prepare("SELECT id FROM addresses WHERE is_synthetic = 1 ORDER BY id LIMIT 3").all<{ id: string }>();
    const started = await client.callTool({
      name: "Assess_Portfolio",
      arguments: { addresses: results.map((r) => ({ addressId: r.id })) },
    });
    const { jobId } = started.structuredContent as { jobId: string };
    const deadline = Date.now() + TIMEOUT;
    for (;;) {
      const r = await client.callTool({ name: "Get_Portfolio_Result", arguments: { jobId } });
      const summary = r.structuredContent as { state: string; downloads: unknown };
      if (summary.state !== "running" && summary.downloads !== null) {
        expect(linksOf(r).map((l) => l.uri)).toEqual([
          resourceUri.report(jobId),
          resourceUri.reportMarkdown(jobId),
          resourceUri.resultCsv(jobId),
        ]);
        return { jobId, results };
      }
      if (Date.now() > deadline) throw new Error(`job ${jobId} did not end: ${JSON.stringify(summary)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it(
    "an ended job's report is a resource in JSON, Markdown and CSV, linked from Get_Portfolio_Result, and no one else's",
    async () => {
      const { client, token } = await user();
      const { jobId, results } = await endedJob(client);
      const listed = await client.listResources();
      expect(
        own(listed.resources)
          .slice(0, 3)
          .map((r) => r.uri),
      ).toEqual([resourceUri.report(jobId), resourceUri.reportMarkdown(jobId), resourceUri.resultCsv(jobId)]);
      const report = JSON.parse(((await client.readResource({ uri: resourceUri.report(jobId) })).contents[0] as { text: string }).text) as {
        jobId: string;
        labelCounts: Record<string, number>;
      };
      expect(report.jobId).toBe(jobId);
      const md = ((await client.readResource({ uri: resourceUri.reportMarkdown(jobId) })).contents[0] as { text: string }).text;
      for (const [label, n] of Object.entries(report.labelCounts)) expect(md).toContain(`${label}: ${n}`);
      const csv = (await client.readResource({ uri: resourceUri.resultCsv(jobId) })).contents[0] as { mimeType: string; blob: string };
      expect(csv.mimeType).toBe("text/csv");
      const text = new TextDecoder().decode(Uint8Array.from(atob(csv.blob), (ch) => ch.charCodeAt(0)));
      for (const r of results) expect(text).toContain(r.id);

      const other = await user();
      const theirs = await modern(other.token, "resources/read", { uri: resourceUri.resultCsv(jobId) });
      const none = await modern(other.token, "resources/read", { uri: resourceUri.resultCsv(crypto.randomUUID()) });
      expect(theirs.error?.code).toBe(-32602);
      expect(theirs.error?.message.replace(jobId, "ID")).toBe(none.error?.message.replace(/[0-9a-f-]{36}/, "ID"));
      expect((await modern(token, "resources/read", { uri: resourceUri.report(jobId) })).result).toBeDefined();
      await client.close();
      await other.client.close();
    },
    TIMEOUT * 2,
  );

  it(
    "a result CSV over 1 MiB is answered with its size and signed links that download it, and is still no one else's",
    async () => {
      const { client, token, identity } = await user();
      const { jobId } = await endedJob(client);
      // The job's real CSV, grown past the inline limit by repeating its rows (a job of ~3 000
      // addresses would write such a file; this one is put under the job's real key, with the
      // object's metadata kept, so the read and the download meet exactly what the job wrote).
      const key = portfolioFileKey(await ownerTag(identity.userKey), jobId, "csv");
      const written = await env.FILES.get(key);
      if (!written) throw new Error(`no result CSV at ${key}`);
      const original = await written.text();
      const [header, ...rows] = original.trimEnd().split("\r\n");
      expect(rows.length).toBe(3);
      const lines = [header];
      let size = 0;
      for (let i = 0; size <= CSV_BLOB_MAX_BYTES; i++) {
        const line = rows[i % rows.length] as string;
        lines.push(line);
        size += line.length + 2;
      }
      const large = new TextEncoder().encode(`${lines.join("\r\n")}\r\n`);
      expect(large.byteLength).toBeGreaterThan(CSV_BLOB_MAX_BYTES);
      await env.FILES.put(key, large, { httpMetadata: written.httpMetadata, customMetadata: written.customMetadata });

      const read = await client.readResource({ uri: resourceUri.resultCsv(jobId) });
      expect(read.contents).toHaveLength(1);
      const answer = read.contents[0] as { uri: string; mimeType: string; text?: string; blob?: string };
      expect(answer).toMatchObject({ uri: resourceUri.resultCsv(jobId), mimeType: "text/plain" });
      expect(answer.blob).toBeUndefined();
      const text = answer.text ?? "";
      expect(text).toContain(`${(large.byteLength / (1024 * 1024)).toFixed(1)} MiB (${large.byteLength} bytes)`);
      expect(text).toContain(resourceUri.reportMarkdown(jobId));
      const expiresAt = /valid until (\S+)\)/.exec(text)?.[1];
      expect(Date.parse(expiresAt ?? "")).toBeGreaterThan(Date.now());
      const csvLink = /CSV (https:\/\/\S+)/.exec(text)?.[1];
      const xlsxLink = /Excel (https:\/\/\S+)/.exec(text)?.[1];
      expect(csvLink).toMatch(new RegExp(`^https://mcp\\.example\\.com/files/${jobId}\\.csv\\?o=[^&]+&e=\\d+&s=`));
      expect(xlsxLink).toMatch(new RegExp(`^https://mcp\\.example\\.com/files/${jobId}\\.xlsx\\?`));
      // The link downloads the whole file through the Worker, with no sign-in.
      const download = await exports.default.fetch(csvLink as string);
      expect(download.status).toBe(200);
      expect(download.headers.get("content-type")).toMatch(/^text\/csv/);
      expect(new Uint8Array(await download.arrayBuffer())).toEqual(large);
      const excel = await exports.default.fetch(xlsxLink as string);
      expect(excel.status).toBe(200);
      expect((await excel.arrayBuffer()).byteLength).toBeGreaterThan(0);
      // A link altered by one character of its signature is refused.
      const altered = (csvLink as string).replace(/s=(.)/, (_, c: string) => `s=${c === "A" ? "B" : "A"}`);
      expect((await exports.default.fetch(altered)).status).toBe(403);

      // Another user: "not found", exactly as for a job that never existed, and no link in it.
      const other = await user();
      const theirs = await modern(other.token, "resources/read", { uri: resourceUri.resultCsv(jobId) });
      const none = await modern(other.token, "resources/read", { uri: resourceUri.resultCsv(crypto.randomUUID()) });
      expect(theirs.error?.code).toBe(-32602);
      expect(theirs.result).toBeUndefined();
      expect(theirs.error?.message.replace(jobId, "ID")).toBe(none.error?.message.replace(/[0-9a-f-]{36}/, "ID"));
      expect(JSON.stringify(theirs)).not.toContain("/files/");
      // The owner under 2026-07-28 gets the same text answer.
      const mine = await modern(token, "resources/read", { uri: resourceUri.resultCsv(jobId) });
      expect(mine.result).toMatchObject({ contents: [{ uri: resourceUri.resultCsv(jobId), mimeType: "text/plain" }] });
      await client.close();
      await other.client.close();
    },
    TIMEOUT * 2,
  );
});

/** The text of a prompt's one message. */
function promptText(prompt: { messages: Array<{ content: unknown }> }): string {
  const [message] = prompt.messages;
  if (!message) throw new Error("the prompt has no message");
  return (message.content as { text: string }).text;
}

describe("prompts", () => {
  it("lists the guided workflows with their arguments, for both revisions", async () => {
    for (const era of ["2025-11-25", "2026-07-28"] as const) {
      const { client } = await user(era);
      const { prompts } = await client.listPrompts();
      expect(Object.fromEntries(prompts.map((p) => [p.name, (p.arguments ?? []).map((a) => a.name)]))).toEqual(PROMPT_ARGUMENTS);
      for (const p of prompts) expect(p.description).toBeTruthy();
      await client.close();
    }
  });

  it("gets a workflow naming the tools to call and what to report", async () => {
    const { client } = await user("2026-07-28");
    const label = `${address.street} ${address.house_number}, ${address.place}`;
    const dd = await client.getPrompt({ name: "property_due_diligence", arguments: { address: label } });
    const text = promptText(dd);
    for (const tool of [
      "Search_Addresses",
      "Get_Property_Data",
      "Get_Property_Energy_Label",
      "Analyze_Property_Location",
      "Quick_Assess_Property",
    ]) {
      expect(text).toContain(tool);
    }
    expect(text).toContain(label);
    expect(text).toContain("source and period");
    const compare = await client.getPrompt({
      name: "compare_properties",
      arguments: { firstAddress: label, secondAddress: "Elders 2 Amersfoort" },
    });
    expect(promptText(compare)).toContain("Elders 2 Amersfoort");
    const scan = await client.getPrompt({ name: "sustainability_scan", arguments: { postcode: address.postcode } });
    expect(promptText(scan)).toContain(`Get_Addresses_for_Postcode with postcode "${address.postcode}"`);
    const review = await client.getPrompt({ name: "portfolio_review", arguments: { postcode: address.postcode } });
    expect(promptText(review)).toContain("Assess_Portfolio");
    await client.close();
  });

  it("refuses an unknown prompt and bad arguments with -32602", async () => {
    const { token } = await user();
    const unknown = await modern(token, "prompts/get", { name: "no_such_prompt" });
    expect(unknown.error?.code).toBe(-32602);
    expect(unknown.error?.message).toContain("no_such_prompt");
    const badPostcode = await modern(token, "prompts/get", { name: "sustainability_scan", arguments: { postcode: "ABCD" } });
    expect(badPostcode.error?.code).toBe(-32602);
    expect(badPostcode.error?.message).toContain("four digits and two letters");
    const missing = await legacy(token, "prompts/get", { name: "property_due_diligence", arguments: {} });
    expect(missing.error?.code).toBe(-32602);
  });
});

describe("completion", () => {
  it("completes addresses and postcodes from the address search, for prompts and the property template", async () => {
    const { client } = await user("2026-07-28");
    const typed = `${address.street.slice(0, 6)} ${address.house_number}`;
    const addresses = await client.complete({
      ref: { type: "ref/prompt", name: "property_due_diligence" },
      argument: { name: "address", value: typed },
    });
    expect(addresses.completion.values.some((v) => v.startsWith(`${address.street} ${address.house_number},`))).toBe(true);

    const pc4 = address.postcode.slice(0, 4);
    const postcodes = await client.complete({
      ref: { type: "ref/prompt", name: "sustainability_scan" },
      argument: { name: "postcode", value: pc4 },
    });
    expect(postcodes.completion.values).toContain(address.postcode);
    expect(postcodes.completion.values.every((v) => v.startsWith(pc4))).toBe(true);
    const narrower = await client.complete({
      ref: { type: "ref/prompt", name: "portfolio_review" },
      argument: { name: "postcode", value: `${pc4} ${address.postcode.slice(4, 5).toLowerCase()}` },
    });
    expect(narrower.completion.values).toContain(address.postcode);

    const ids = await client.complete({
      ref: { type: "ref/resource", uri: "pandgate://properties/{addressId}" },
      argument: { name: "addressId", value: `${address.postcode} ${address.house_number}` },
    });
    expect(ids.completion.values).toContain(address.id);
    const nothing = await client.complete({
      ref: { type: "ref/prompt", name: "property_due_diligence" },
      argument: { name: "address", value: "x" },
    });
    expect(nothing.completion.values).toEqual([]);
    await client.close();
  });

  it("refuses an unknown prompt, argument, template or template variable with -32602", async () => {
    const { token } = await user();
    for (const call of [legacy, modern]) {
      const arg = await call(token, "completion/complete", {
        ref: { type: "ref/prompt", name: "property_due_diligence" },
        argument: { name: "nope", value: "x" },
      });
      expect(arg.error?.code).toBe(-32602);
      expect(arg.error?.message).toContain("address");
      const variable = await call(token, "completion/complete", {
        ref: { type: "ref/resource", uri: "pandgate://properties/{addressId}" },
        argument: { name: "postcode", value: "38" },
      });
      expect(variable.error?.code).toBe(-32602);
      expect(variable.error?.message).toContain("addressId");
      const prompt = await call(token, "completion/complete", {
        ref: { type: "ref/prompt", name: "test_prompt_with_arguments" },
        argument: { name: "arg1", value: "test" },
      });
      expect(prompt.error?.code).toBe(-32602);
      const template = await call(token, "completion/complete", {
        ref: { type: "ref/resource", uri: "pandgate://nothing/{x}" },
        argument: { name: "x", value: "1" },
      });
      expect(template.error?.code).toBe(-32602);
    }
  });
});

describe("completion with live register data", () => {
  const live = parseConfig({ PUBLIC_URL: "https://mcp.example.com", DATA_SOURCE: "live", EP_ONLINE_API_KEY: "test-key" });
  const services = { search: createAddressSearch(live, env.DB) } as Services;

  it("asks the Locatieserver (stand-in) and completes its addresses", async () => {
    const standIn = addressSearchStandIn();
    const street = LOCATIESERVER_DOCS[0]?.straatnaam as string;
    const values = await completeAddress(services, `${street} 3`);
    expect(standIn.requests.length).toBe(1);
    expect(values.length).toBeGreaterThan(0);
    expect(values.every((v) => v.startsWith(`${street} `))).toBe(true);
    const ids = await completeAddressIds(services, street);
    expect(ids).toEqual(expect.arrayContaining([LOCATIESERVER_DOCS[0]?.nummeraanduiding_id]));
  });

  it("completes to nothing, not an error, when the register cannot answer", async () => {
    const standIn = addressSearchStandIn();
    standIn.fail = true;
    expect(await completeAddress(services, "Schenkeldijk 3")).toEqual([]);
    expect(standIn.requests.length).toBeGreaterThan(0);
  });
});

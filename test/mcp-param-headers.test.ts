import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { ADDRESS_ID_HEADER } from "../src/mcp/tools/shared";
import { auditEvents, waitForAudit } from "./helpers/audit";
import { LEGACY_HEADERS, postMcp, readMessages } from "./helpers/mcp";
import { mintToken, newIdentity } from "./helpers/oauth";

/**
 * SEP-2243 custom headers (2026-07-28): the property tools declare their `addressId` argument as
 * `x-mcp-header: "Address-Id"`, so a 2026-07-28 client mirrors it into `Mcp-Param-Address-Id` and
 * the MCP SDK checks the header against the body wherever the call is answered: in the Worker
 * (Get_Property_Data, a stateless read-only tool) or in the user's agent (Quick_Assess_Property),
 * which only sees the header because the gateway forwards it. 2025-era requests are not checked.
 */
const MODERN = "2026-07-28";
const HEADER = `mcp-param-${ADDRESS_ID_HEADER.toLowerCase()}`;
/** The tools whose input declares the header: each takes one property's address at its root. */
const HEADERED = [
  "Get_Property_Data",
  "Get_Property_Energy_Label",
  "Analyze_Property_Location",
  "Quick_Assess_Property",
  "Get_Property_Assessments",
  "Calculate_Rent_Points",
];

type Rpc = { result?: Record<string, unknown>; error?: { code: number; message: string; data?: unknown } };

let addressId: string;

beforeAll(async () => {
  const row = await env.DB.prepare("SELECT id FROM addresses WHERE is_synthetic = 1 ORDER BY id LIMIT 1").first<{ id: string }>();
  if (!row) throw new Error("the synthetic dataset has no address");
  addressId = row.id;
});

async function user(scopes = ["mcp:read"]) {
  const identity = newIdentity();
  const { accessToken } = await mintToken(identity, scopes);
  return { token: accessToken, userKey: identity.userKey };
}

/** A 2026-07-28 tools/call posted raw, with the standard headers and `extra` (the Mcp-Param-* ones). */
async function modernCall(token: string, name: string, args: Record<string, unknown>, extra: Record<string, string> = {}) {
  const _meta = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientInfo": { name: "pandgate-param-header-tests", version: "1.0.0" },
    "io.modelcontextprotocol/clientCapabilities": {},
  };
  const body = { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name, arguments: args, _meta } };
  const response = await postMcp(token, body, { "mcp-protocol-version": MODERN, "mcp-method": "tools/call", "mcp-name": name, ...extra });
  const [message] = await readMessages(response);
  return { status: response.status, ...(message as Rpc) };
}

/** The tools/call events of one user, once `count` are there. */
async function toolCalls(userKey: string, count: number) {
  const events = await waitForAudit({ userKey, kind: "mcp.tool_call" }, (found) => found.length >= count);
  return events.map((e) => ({ outcome: e.outcome, reason: e.reason, tool: e.details.tool, addressId: e.details.addressId }));
}

const base64 = (text: string) => `=?base64?${btoa(text)}?=`;

describe("x-mcp-header Address-Id in tools/list", () => {
  it("is declared on addressId of the tools about one property, in both eras, and nowhere else", async () => {
    const { token } = await user(["mcp:read", "mcp:write"]);
    for (const headers of [LEGACY_HEADERS, { "mcp-protocol-version": MODERN, "mcp-method": "tools/list" }]) {
      const params =
        headers === LEGACY_HEADERS
          ? {}
          : {
              _meta: {
                "io.modelcontextprotocol/protocolVersion": MODERN,
                "io.modelcontextprotocol/clientInfo": { name: "t", version: "1" },
                "io.modelcontextprotocol/clientCapabilities": {},
              },
            };
      const [message] = await readMessages(await postMcp(token, { jsonrpc: "2.0", id: 1, method: "tools/list", params }, headers));
      const tools =
        (
          message?.result as
            | undefined
            | { tools: Array<{ name: string; inputSchema: { properties?: Record<string, Record<string, unknown>> } }> }
        )?.tools ?? [];
      const declared = tools.flatMap((tool) =>
        Object.entries(tool.inputSchema.properties ?? {})
          .filter(([, property]) => "x-mcp-header" in property)
          .map(([argument, property]) => `${tool.name}.${argument}=${String(property["x-mcp-header"])}:${String(property.type)}`),
      );
      expect(declared.sort()).toEqual(HEADERED.map((name) => `${name}.addressId=Address-Id:string`).sort());
      // Not under Assess_Portfolio's list (SEP-2243 allows the key only on a chain of `properties`).
      expect(JSON.stringify(tools.find((tool) => tool.name === "Assess_Portfolio"))).not.toContain("x-mcp-header");
    }
  });
});

describe("Mcp-Param-Address-Id on a 2026-07-28 call served in the Worker (Get_Property_Data)", () => {
  it("answers a call whose header matches addressId, plain or as a Base64 sentinel, and records success", async () => {
    const { token, userKey } = await user();
    for (const value of [addressId, ` ${addressId} `, base64(addressId)]) {
      const answer = await modernCall(token, "Get_Property_Data", { addressId }, { [HEADER]: value });
      expect(answer.status, value).toBe(200);
      expect(answer.error, value).toBeUndefined();
      expect((answer.result?.structuredContent as { address?: { addressId: string } } | undefined)?.address?.addressId, value).toBe(
        addressId,
      );
    }
    const events = await toolCalls(userKey, 3);
    expect(events).toEqual(Array(3).fill({ outcome: "success", reason: undefined, tool: "Get_Property_Data", addressId }));
  });

  it("refuses a mismatching, missing or badly encoded header with 400 and -32020, records header_mismatch, runs nothing", async () => {
    const { token, userKey } = await user();
    const cases: [string, Record<string, string>][] = [
      ["another address", { [HEADER]: "0363200000000000" }],
      ["missing", {}],
      ["bad Base64", { [HEADER]: "=?base64?SGVsbG8?=" }],
      ["Base64 of another value", { [HEADER]: base64("0363200000000000") }],
    ];
    for (const [what, headers] of cases) {
      const answer = await modernCall(token, "Get_Property_Data", { addressId }, headers);
      expect(answer.status, what).toBe(400);
      expect(answer.error?.code, what).toBe(-32020);
      expect(answer.error?.message, what).toContain("Mcp-Param-Address-Id");
      expect(answer.result, what).toBeUndefined();
    }
    const events = await toolCalls(userKey, cases.length);
    expect(events).toEqual(Array(cases.length).fill({ outcome: "error", reason: "header_mismatch", tool: "Get_Property_Data", addressId }));
    expect(events.some((e) => e.outcome === "success")).toBe(false);
  });

  it("expects no header when the call gives no addressId (postcode and house number)", async () => {
    const { token } = await user();
    const address = await env.DB.prepare("SELECT postcode, house_number AS houseNumber FROM addresses WHERE id = ?1")
      .bind(addressId)
      .first<{ postcode: string; houseNumber: number }>();
    const answer = await modernCall(token, "Get_Property_Data", { postcode: address?.postcode, houseNumber: address?.houseNumber });
    expect(answer.status).toBe(200);
    expect(answer.error).toBeUndefined();
    expect(answer.result?.isError).not.toBe(true);
  });

  it("leaves 2025-era calls alone: no header needed", async () => {
    const { token, userKey } = await user();
    const response = await postMcp(
      token,
      { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "Get_Property_Data", arguments: { addressId } } },
      LEGACY_HEADERS,
    );
    expect(response.status).toBe(200);
    const [message] = await readMessages(response);
    expect(
      (message?.result as { structuredContent?: { address?: { addressId: string } } } | undefined)?.structuredContent?.address?.addressId,
    ).toBe(addressId);
    expect(await toolCalls(userKey, 1)).toEqual([{ outcome: "success", reason: undefined, tool: "Get_Property_Data", addressId }]);
  });
});

describe("Mcp-Param-Address-Id on a 2026-07-28 call served in the user's agent (Quick_Assess_Property)", () => {
  it("reaches the agent: a matching header is answered and saved, a mismatching one refused and nothing saved", async () => {
    const { token, userKey } = await user(["mcp:read", "mcp:write"]);
    const refused = await modernCall(token, "Quick_Assess_Property", { addressId }, { [HEADER]: "0363200000000000" });
    expect(refused.status).toBe(400);
    expect(refused.error?.code).toBe(-32020);
    const saved = async () =>
      (await env.DB.prepare("SELECT COUNT(*) AS n FROM assessments WHERE owner_key = ?1").bind(userKey).first<{ n: number }>())?.n;
    expect(await saved()).toBe(0);

    const answered = await modernCall(token, "Quick_Assess_Property", { addressId }, { [HEADER]: addressId });
    expect(answered.status).toBe(200);
    expect(answered.error).toBeUndefined();
    expect(answered.result?.isError).not.toBe(true);
    expect(await saved()).toBe(1);

    const events = await toolCalls(userKey, 2);
    expect(events).toEqual(
      expect.arrayContaining([
        { outcome: "error", reason: "header_mismatch", tool: "Quick_Assess_Property", addressId },
        { outcome: "success", reason: undefined, tool: "Quick_Assess_Property", addressId },
      ]),
    );
    expect(await auditEvents({ userKey, kind: "mcp.tool_call" })).toHaveLength(2);
  });
});

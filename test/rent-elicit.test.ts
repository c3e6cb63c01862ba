import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { beforeAll, describe, expect, it } from "vitest";
import type { PandgateAgent } from "../src/mcp/agent";
import { LegacySessions, MAX_SESSIONS, SESSION_IDLE_MS } from "../src/mcp/session";
import { ADDRESS_ID_HEADER } from "../src/mcp/tools/shared";
import { auditEvents, waitForAudit } from "./helpers/audit";
import { postMcp, readMessages } from "./helpers/mcp";
import { MCP_URL, mintToken, newIdentity } from "./helpers/oauth";
import { pickSeededAddress, type RentPointsOut } from "./helpers/rent";

/**
 * Calculate_Rent_Points asks for the inputs that narrow its range where the client can be asked
 * (issue 20): on 2026-07-28 with an input-required result the client answers by retrying the call
 * with `inputResponses`, through the real Worker (the tool is served there). Clients that declare
 * no elicitation get the complete answer, as before.
 */
const MODERN = "2026-07-28";
const TOOL = "Calculate_Rent_Points";

interface Rpc {
  result?: {
    resultType?: string;
    inputRequests?: Record<string, { method: string; params: { mode?: string; message: string; requestedSchema: Schema } }>;
    content?: Array<{ type: string; text?: string }>;
    structuredContent?: RentPointsOut;
    isError?: boolean;
  };
  error?: { code: number; message: string };
}
interface Schema {
  type: string;
  properties: Record<string, { type: string; minimum?: number; maximum?: number }>;
}

let addressId: string;
beforeAll(async () => {
  addressId = await pickSeededAddress(`u.use_purposes = '["woonfunctie"]' AND u.surface_m2 BETWEEN 60 AND 90`);
});

async function user() {
  const identity = newIdentity();
  const { accessToken } = await mintToken(identity, ["mcp:read"]);
  return { token: accessToken, userKey: identity.userKey };
}

/** A 2026-07-28 tools/call of the rent tool, posted raw; `capabilities` are the request's client capabilities. */
async function modernRent(
  token: string,
  args: Record<string, unknown>,
  capabilities: Record<string, unknown>,
  inputResponses?: Record<string, unknown>,
): Promise<Rpc> {
  const _meta = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientInfo": { name: "pandgate-elicit-tests", version: "1.0.0" },
    "io.modelcontextprotocol/clientCapabilities": capabilities,
  };
  const params = { name: TOOL, arguments: args, _meta, ...(inputResponses && { inputResponses }) };
  const response = await postMcp(
    token,
    { jsonrpc: "2.0", id: 11, method: "tools/call", params },
    {
      "mcp-protocol-version": MODERN,
      "mcp-method": "tools/call",
      "mcp-name": TOOL,
      [`mcp-param-${ADDRESS_ID_HEADER.toLowerCase()}`]: String(args.addressId),
    },
  );
  expect(response.status).toBe(200);
  const [message] = await readMessages(response);
  return message as Rpc;
}

const text = (r: Rpc) => (r.result?.content ?? []).map((c) => c.text ?? "").join("\n");
const width = (o: RentPointsOut) => (o.pointsRange ? o.pointsRange.max - o.pointsRange.min : Number.NaN);
const origins = (o: RentPointsOut, rubriek: string) => o.rubrieken.find((r) => r.rubriek === rubriek)?.origins ?? [];
const FORM = { elicitation: { form: {} } };

describe("Calculate_Rent_Points elicitation on 2026-07-28 (input required)", () => {
  it("asks, in one form, for the inputs that narrow the range, saying how many points they decide", async () => {
    const { token } = await user();
    const first = await modernRent(token, { addressId }, FORM);
    expect(first.error).toBeUndefined();
    expect(first.result?.resultType).toBe("input_required");
    const requests = Object.entries(first.result?.inputRequests ?? {});
    expect(requests).toHaveLength(1);
    const [key, request] = requests[0] as [string, { method: string; params: { mode?: string; message: string; requestedSchema: Schema } }];
    expect(key).toBe("rentInputs");
    expect(request.method).toBe("elicitation/create");
    const { requestedSchema, message } = request.params;
    expect(requestedSchema.type).toBe("object");
    // The seeded dwelling's WOZ value is an estimate and its areas come from BAG: all three narrow it.
    expect(Object.keys(requestedSchema.properties).sort()).toEqual(["otherAreaM2", "roomAreaM2", "wozValue"]);
    expect(requestedSchema.properties.wozValue).toMatchObject({ type: "number", minimum: 1, maximum: 100_000_000 });
    expect(requestedSchema.properties.otherAreaM2).toMatchObject({ type: "number", minimum: 0 });
    expect(message).toMatch(/^Of the [\d.]+ points of the range \(now [\d.]+–[\d.]+\), .*the WOZ value( decides)? [\d.]+/);
    // What the user reads in the form, for the seeded dwelling.
    expect(message).toMatchInlineSnapshot(
      `"Of the 142 points of the range (now 88–230), the measured room area decides 29, the WOZ value 25 and the measured area of the other spaces 16. Give what you know to narrow the count; leave a field empty if you do not know it."`,
    );
    // Nothing is structured before the answer: the question is all the client gets.
    expect(first.result?.structuredContent).toBeUndefined();
  });

  it("asks for the areas when BAG has none, saying no total can be counted without them", async () => {
    const { token } = await user();
    const row = await env.DB.prepare(
      `SELECT a.id, a.unit_id FROM addresses a JOIN units u ON u.id = a.unit_id WHERE a.is_synthetic = 1 AND a.is_main = 1 AND u.use_purposes = '["woonfunctie"]' AND a.id <> ? ORDER BY a.id DESC LIMIT 1`,
    )
      .bind(addressId)
      .first<{ id: string; unit_id: string }>();
    if (!row) throw new Error("no second seeded dwelling");
    await env.DB.prepare("UPDATE units SET surface_m2 = NULL WHERE id = ?").bind(row.unit_id).run();
    const first = await modernRent(token, { addressId: row.id, wozValue: 250_000 }, FORM);
    const request = first.result?.inputRequests?.rentInputs?.params;
    expect(Object.keys(request?.requestedSchema.properties ?? {}).sort()).toEqual(["otherAreaM2", "roomAreaM2"]);
    expect(request?.message).toMatch(
      /^No total can be counted without the measured room area and the measured area of the other spaces \(BAG registers no usable area for this unit\)\./,
    );
    const done = await modernRent(token, { addressId: row.id, wozValue: 250_000 }, FORM, {
      rentInputs: { action: "accept", content: { roomAreaM2: 70, otherAreaM2: 0 } },
    });
    expect((done.result?.structuredContent as RentPointsOut | undefined)?.totalPoints).toEqual(expect.any(Number));
  });

  it("asks only for what the call did not give", async () => {
    const { token } = await user();
    const first = await modernRent(token, { addressId, wozValue: 250_000 }, { elicitation: {} });
    const schema = first.result?.inputRequests?.rentInputs?.params.requestedSchema;
    expect(Object.keys(schema?.properties ?? {}).sort()).toEqual(["otherAreaM2", "roomAreaM2"]);
  });

  it("counts with the accepted answers as the user's input, and records one call without the answers", async () => {
    const { token, userKey } = await user();
    const wide = await modernRent(token, { addressId }, {});
    const answer = { action: "accept", content: { wozValue: 231_000, roomAreaM2: 58, otherAreaM2: 4 } };
    const done = await modernRent(token, { addressId }, FORM, { rentInputs: answer });
    expect(done.result?.resultType).not.toBe("input_required");
    expect(done.result?.isError).toBeFalsy();
    const out = done.result?.structuredContent as RentPointsOut;
    const before = wide.result?.structuredContent as RentPointsOut;
    expect(width(out)).toBeLessThan(width(before));
    expect(origins(out, "wozWaarde")).toContain("your input");
    expect(origins(out, "wozWaarde").join(" ")).not.toMatch(/estimate/);
    expect(origins(out, "oppervlakteVertrekken")).toContain("your input");
    expect(out.narrowingInputs.join(" ")).not.toMatch(/wozValue|roomAreaM2|otherAreaM2/);
    expect(text(done)).toMatch(
      /Counted with what you gave when asked \(your input\): wozValue 231,000 euros, roomAreaM2 58 m², otherAreaM2 4 m²/,
    );
    // The same numbers given as arguments give the same count: an answer is the user's input, nothing else.
    const given = await modernRent(token, { addressId, wozValue: 231_000, roomAreaM2: 58, otherAreaM2: 4 }, {});
    expect(given.result?.structuredContent).toEqual(out);
    // Two calls answered (the one without capabilities, the answered retry) plus the given one;
    // the question itself is no answer and is not recorded. No elicited value is in the trail.
    const events = await waitForAudit({ userKey, kind: "mcp.tool_call" }, (found) => found.length >= 3);
    expect(events).toHaveLength(3);
    expect(events.every((e) => e.outcome === "success")).toBe(true);
    expect(JSON.stringify(await auditEvents({ userKey }))).not.toMatch(/231000|231,000/);
  });

  it("keeps the ranges and says so when the user declines or cancels", async () => {
    const { token } = await user();
    const wide = (await modernRent(token, { addressId }, {})).result?.structuredContent as RentPointsOut;
    for (const action of ["decline", "cancel"] as const) {
      const done = await modernRent(token, { addressId }, FORM, { rentInputs: { action } });
      expect(done.result?.resultType).not.toBe("input_required");
      expect(done.result?.structuredContent).toEqual(wide);
      expect(text(done)).toMatch(
        action === "decline"
          ? /You declined to give the inputs that would narrow the range; the answer keeps the ranges over them\./
          : /You cancelled the question for the inputs that would narrow the range/,
      );
    }
  });

  it("treats an invalid answer as not given and says which and why, without an error", async () => {
    const { token } = await user();
    const wide = (await modernRent(token, { addressId }, {})).result?.structuredContent as RentPointsOut;
    const answer = { action: "accept", content: { wozValue: "a lot", roomAreaM2: -5, otherAreaM2: 3 } };
    const done = await modernRent(token, { addressId }, FORM, { rentInputs: answer });
    expect(done.error).toBeUndefined();
    expect(done.result?.isError).toBeFalsy();
    const out = done.result?.structuredContent as RentPointsOut;
    // The WOZ rubriek still counts from the estimate (its per-m² part takes the areas, one of which was given).
    expect(origins(out, "wozWaarde").join(" ")).toMatch(/estimate, not the dwelling's WOZ value/);
    expect(origins(out, "oppervlakteOverigeRuimten")).toContain("your input");
    expect(width(out)).toBeLessThanOrEqual(width(wide));
    expect(text(done)).toMatch(
      /Not used, treated as not given: wozValue \("a lot": not a number\); roomAreaM2 \(-5: not from 1 to 10000\)\./,
    );
    expect(text(done)).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it("asks once per call: a retry whose answer is malformed or missing is answered with the ranges, not asked again", async () => {
    const { token } = await user();
    const wrapped = { rentInputs: { method: "elicitation/create", result: { action: "accept", content: { wozValue: 1 } } } };
    for (const responses of [wrapped, { somethingElse: { action: "accept", content: {} } }]) {
      const done = await modernRent(token, { addressId }, FORM, responses);
      expect(done.result?.resultType).not.toBe("input_required");
      expect(text(done)).toMatch(/The question for the inputs that narrow the range was not answered; the answer keeps the ranges\./);
    }
  });

  it("answers at once, as before, a client that declares no form elicitation", async () => {
    const { token } = await user();
    for (const capabilities of [{}, { elicitation: { url: {} } }]) {
      const done = await modernRent(token, { addressId }, capabilities);
      expect(done.result?.resultType).not.toBe("input_required");
      expect((done.result?.structuredContent as RentPointsOut | undefined)?.narrowingInputs.length).toBeGreaterThan(0);
      expect(text(done)).not.toMatch(/when asked|declined/);
    }
  });

  it("does not ask when everything it could ask for was given", async () => {
    const { token } = await user();
    const done = await modernRent(token, { addressId, wozValue: 231_000, roomAreaM2: 58, otherAreaM2: 4 }, FORM);
    expect(done.result?.resultType).not.toBe("input_required");
    expect(done.result?.structuredContent).toBeDefined();
  });
});

/** Reads an SSE body frame by frame: `next()` resolves with each JSON-RPC message as it arrives, undefined at the end. */
function sseReader(res: Response) {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return async function next(): Promise<Record<string, unknown> | undefined> {
    for (;;) {
      const end = buffer.indexOf("\n\n");
      if (end >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).trimStart())
          .join("\n");
        if (data) return JSON.parse(data) as Record<string, unknown>;
        continue;
      }
      const { value, done } = await reader.read();
      if (done) return undefined;
      buffer += decoder.decode(value, { stream: true });
    }
  };
}

const LEGACY = { "mcp-protocol-version": "2025-11-25" };

/** A 2025-11-25 initialize declaring `capabilities`; the session id the server gave, if any. */
async function initialize(token: string, capabilities: Record<string, unknown>): Promise<string | null> {
  const res = await postMcp(token, {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities, clientInfo: { name: "pandgate-elicit-tests", version: "1.0.0" } },
  });
  expect(res.status).toBe(200);
  const [message] = await readMessages(res);
  expect((message?.result as { protocolVersion?: string } | undefined)?.protocolVersion).toBe("2025-11-25");
  const session = res.headers.get("mcp-session-id");
  if (session) {
    const initialized = await postMcp(
      token,
      { jsonrpc: "2.0", method: "notifications/initialized" },
      { ...LEGACY, "mcp-session-id": session },
    );
    expect(initialized.status).toBe(202);
  }
  return session;
}

const legacyCall = (token: string, session: string | null, args: Record<string, unknown>, id = 21) =>
  postMcp(
    token,
    { jsonrpc: "2.0", id, method: "tools/call", params: { name: TOOL, arguments: args } },
    { ...LEGACY, ...(session && { "mcp-session-id": session }) },
  );

describe("Calculate_Rent_Points elicitation on 2025-11-25 (a session, elicitation/create)", () => {
  it("gives a client that declares elicitation a session, asks on the call's stream and answers narrowed on that stream", async () => {
    const { token, userKey } = await user();
    const wide = (await rpcWide(token)) as RentPointsOut;
    const session = await initialize(token, { elicitation: {} });
    expect(session).toMatch(/^pandgate-s1-[0-9a-f-]{36}$/);
    const res = await legacyCall(token, session, { addressId });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const next = sseReader(res);
    const asked = await next();
    expect(asked?.method).toBe("elicitation/create");
    const params = asked?.params as { mode?: string; message: string; requestedSchema: Schema };
    expect(Object.keys(params.requestedSchema.properties).sort()).toEqual(["otherAreaM2", "roomAreaM2", "wozValue"]);
    expect(params.message).toMatch(/points of the range .*the WOZ value/);
    const answer = await postMcp(
      token,
      { jsonrpc: "2.0", id: asked?.id, result: { action: "accept", content: { wozValue: 231_000, roomAreaM2: 58, otherAreaM2: 4 } } },
      { ...LEGACY, "mcp-session-id": session as string },
    );
    expect(answer.status).toBe(202);
    const final = await next();
    expect(final?.id).toBe(21);
    const result = final?.result as NonNullable<Rpc["result"]>;
    expect(result.isError).toBeFalsy();
    const out = result.structuredContent as RentPointsOut;
    expect(width(out)).toBeLessThan(width(wide));
    expect(origins(out, "wozWaarde")).toContain("your input");
    expect(text({ result })).toMatch(/Counted with what you gave when asked/);
    expect(await next()).toBeUndefined();
    // One call answered with the question (the shim ran the tool twice), one without asking: two records, no answers in them.
    const events = await waitForAudit({ userKey, kind: "mcp.tool_call" }, (found) => found.length >= 2);
    expect(events).toHaveLength(2);
    expect(JSON.stringify(await auditEvents({ userKey }))).not.toMatch(/231000|231,000/);
  });

  it("keeps the ranges and says so when the user declines", async () => {
    const { token } = await user();
    const wide = (await rpcWide(token)) as RentPointsOut;
    const session = (await initialize(token, { elicitation: { form: {} } })) as string;
    const next = sseReader(await legacyCall(token, session, { addressId }));
    const asked = await next();
    expect(asked?.method).toBe("elicitation/create");
    const answer = await postMcp(
      token,
      { jsonrpc: "2.0", id: asked?.id, result: { action: "decline" } },
      { ...LEGACY, "mcp-session-id": session },
    );
    expect(answer.status).toBe(202);
    const result = (await next())?.result as NonNullable<Rpc["result"]>;
    expect(result.structuredContent).toEqual(wide);
    expect(text({ result })).toMatch(/You declined to give the inputs that would narrow the range/);
  });

  it("answers a request naming an unknown or ended session with 404, and DELETE ends a session", async () => {
    const { token } = await user();
    const unknown = await legacyCall(token, `pandgate-s1-${crypto.randomUUID()}`, { addressId });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: number } }).error.code).toBe(-32001);
    // An id this server never gave in this form (an older server's) changes nothing, as before.
    // So does a value with this lane's prefix that is not one of its ids (not a UUID after it).
    for (const foreign of ["an-old-session", `pandgate-s1-${"x".repeat(300)}`, "pandgate-s1-"]) {
      const [old] = await readMessages(await legacyCall(token, foreign, { addressId }));
      expect(
        (old?.result as { structuredContent?: RentPointsOut } | undefined)?.structuredContent?.narrowingInputs.length,
        foreign.slice(0, 20),
      ).toBeGreaterThan(0);
    }
    const session = (await initialize(token, { elicitation: {} })) as string;
    const end = (id: string) =>
      exports.default.fetch(MCP_URL, { method: "DELETE", headers: { authorization: `Bearer ${token}`, "mcp-session-id": id } });
    expect((await end(session)).status).toBe(200);
    expect((await legacyCall(token, session, { addressId })).status).toBe(404);
    expect((await end(session)).status).toBe(404);
    // Another user's token does not find this user's session (each user's sessions are in their own agent).
    const other = await user();
    const mine = (await initialize(token, { elicitation: {} })) as string;
    expect((await legacyCall(other.token, mine, { addressId })).status).toBe(404);
  });

  it("asks one call of a session at a time: a second call while the first waits is answered at once, with the ranges", async () => {
    const { token } = await user();
    const session = (await initialize(token, { elicitation: {} })) as string;
    const first = sseReader(await legacyCall(token, session, { addressId }, 31));
    const asked = await first();
    expect(asked?.method).toBe("elicitation/create");
    const [second] = await readMessages(await legacyCall(token, session, { addressId }, 32));
    expect(second?.id).toBe(32);
    expect(
      (second?.result as { structuredContent?: RentPointsOut } | undefined)?.structuredContent?.narrowingInputs.length,
    ).toBeGreaterThan(0);
    await postMcp(token, { jsonrpc: "2.0", id: asked?.id, result: { action: "cancel" } }, { ...LEGACY, "mcp-session-id": session });
    const final = await first();
    expect(final?.id).toBe(31);
    expect(text({ result: final?.result as Rpc["result"] })).toMatch(/You cancelled the question/);
  });

  it("lets the client cancel a call that waits for its answer, after which the session may ask again", async () => {
    const { token } = await user();
    const session = (await initialize(token, { elicitation: {} })) as string;
    const first = sseReader(await legacyCall(token, session, { addressId }, 41));
    expect((await first())?.method).toBe("elicitation/create");
    const cancelled = await postMcp(
      token,
      { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 41, reason: "the user closed the form" } },
      { ...LEGACY, "mcp-session-id": session },
    );
    expect(cancelled.status).toBe(202);
    const again = sseReader(await legacyCall(token, session, { addressId }, 42));
    expect((await again())?.method).toBe("elicitation/create");
  });

  it(`keeps at most ${MAX_SESSIONS} sessions per user: the least recently used ends (404)`, async () => {
    const { token } = await user();
    const sessions: string[] = [];
    for (let i = 0; i <= MAX_SESSIONS; i++) sessions.push((await initialize(token, { elicitation: {} })) as string);
    const [oldest, ...rest] = sessions;
    expect((await legacyCall(token, oldest as string, { addressId: "0000000000000000" })).status).toBe(404);
    const newest = await legacyCall(token, rest.at(-1) as string, { addressId: "0000000000000000" });
    expect(newest.status).toBe(200);
  });

  it("keeps a client that declares no elicitation stateless, answered at once as before", async () => {
    const { token } = await user();
    for (const capabilities of [{}, { elicitation: { url: {} } }]) {
      expect(await initialize(token, capabilities)).toBeNull();
      const [message] = await readMessages(await legacyCall(token, null, { addressId }));
      const result = message?.result as NonNullable<Rpc["result"]>;
      expect(result.isError).toBeFalsy();
      expect((result.structuredContent as RentPointsOut).narrowingInputs.length).toBeGreaterThan(0);
    }
  });
});

/** The answer without elicitation (a stateless 2025-era call), to compare with. */
async function rpcWide(token: string): Promise<RentPointsOut | undefined> {
  const [message] = await readMessages(await legacyCall(token, null, { addressId }, 99));
  return (message?.result as { structuredContent?: RentPointsOut } | undefined)?.structuredContent;
}

describe("Calculate_Rent_Points elicitation with the MCP SDK v2 client (its elicitation handler)", () => {
  /** The v2 client with form elicitation and `answer` as its handler, over the Worker's fetch entry. */
  async function elicitingClient(token: string, era: "2025-11-25" | "2026-07-28", answer: (message: string) => ElicitAnswer) {
    const asked: Array<{ message: string; fields: string[] }> = [];
    const client = new Client(
      { name: "pandgate-elicit-sdk", version: "1.0.0" },
      {
        capabilities: { elicitation: { form: {} } },
        ...(era === "2026-07-28" && { versionNegotiation: { mode: { pin: "2026-07-28" } } }),
      },
    );
    client.setRequestHandler("elicitation/create", async (request) => {
      const params = request.params as { message: string; requestedSchema?: { properties?: Record<string, unknown> } };
      asked.push({ message: params.message, fields: Object.keys(params.requestedSchema?.properties ?? {}).sort() });
      return answer(params.message);
    });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(MCP_URL), {
        fetch: (url, init) => exports.default.fetch(new Request(url, init)),
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    return { client, asked };
  }
  type ElicitAnswer = { action: "accept"; content: Record<string, number> } | { action: "decline" | "cancel" };

  for (const era of ["2025-11-25", "2026-07-28"] as const) {
    it(`asks through the client's handler and counts with its answer (${era})`, async () => {
      const { token } = await user();
      const { client, asked } = await elicitingClient(token, era, () => ({
        action: "accept",
        content: { wozValue: 231_000, roomAreaM2: 58, otherAreaM2: 4 },
      }));
      const result = await client.callTool({ name: TOOL, arguments: { addressId } });
      expect(asked).toHaveLength(1);
      expect(asked[0]?.fields).toEqual(["otherAreaM2", "roomAreaM2", "wozValue"]);
      expect(asked[0]?.message).toMatch(/points of the range .*the WOZ value/);
      const out = result.structuredContent as unknown as RentPointsOut;
      expect(origins(out, "wozWaarde")).toContain("your input");
      expect(out.narrowingInputs.join(" ")).not.toMatch(/wozValue|roomAreaM2|otherAreaM2/);
      await client.close();
    });
  }

  it("answers with the ranges when the user declines in the client (2025-11-25)", async () => {
    const { token } = await user();
    const { client, asked } = await elicitingClient(token, "2025-11-25", () => ({ action: "decline" }));
    const result = await client.callTool({ name: TOOL, arguments: { addressId } });
    expect(asked).toHaveLength(1);
    expect(result.isError).toBeFalsy();
    expect((result.structuredContent as unknown as RentPointsOut).narrowingInputs.length).toBeGreaterThan(0);
    expect((result.content as Array<{ text?: string }>).map((c) => c.text).join("\n")).toMatch(/You declined/);
    await client.close();
  });
});

describe("LegacySessions (the agent's session records)", () => {
  it("ends a session unused for SESSION_IDLE_MS, finds a session only for its own client, and keeps one in use", async () => {
    const stub = env.MCP_AGENT.getByName(`session-test-${crypto.randomUUID()}`);
    await runInDurableObject(stub, (agent: PandgateAgent) => {
      let now = 1_000_000;
      const sessions = new LegacySessions(agent.sql.bind(agent), () => now);
      const init = { protocolVersion: "2025-11-25", capabilities: { elicitation: {} } };
      const idle = sessions.create("client-a", init);
      const used = sessions.create("client-a", init);
      expect(sessions.find(idle, "client-b")).toBeUndefined();
      expect(sessions.find(idle, "client-a")?.init).toEqual(init);
      now += SESSION_IDLE_MS - 60_000;
      expect(sessions.find(used, "client-a")).toBeDefined();
      now += 120_000;
      expect(sessions.find(idle, "client-a")).toBeUndefined();
      expect(sessions.find(used, "client-a")).toBeDefined();
      expect(sessions.end(used)).toBe(true);
      expect(sessions.find(used, "client-a")).toBeUndefined();
      expect(sessions.end(used)).toBe(false);
    });
  });
});

import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { LEGACY_HEADERS, postMcp, rpcMessages } from "./helpers/mcp";
import { config, MCP_URL, mintToken, newIdentity } from "./helpers/oauth";
import { installProbeTools } from "./helpers/probe-tools";

let token: string;

beforeAll(async () => {
  installProbeTools();
  token = (await mintToken(newIdentity(), ["mcp:read"])).accessToken;
});

async function errorOf(res: Response): Promise<{ code: number; message: string }> {
  const body = (await res.json()) as { jsonrpc: string; error: { code: number; message: string } };
  expect(body.jsonrpc).toBe("2.0");
  return body.error;
}

describe("bad MCP requests get a clear, specific answer", () => {
  it("answers malformed JSON with 400 and a JSON-RPC parse error", async () => {
    const res = await postMcp(token, '{"jsonrpc":"2.0","id":1,"method":', LEGACY_HEADERS);
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toEqual({ code: -32700, message: "Parse error: the request body is not valid JSON" });
  });

  it("answers a JSON value that is not a JSON-RPC message with 400 invalid request", async () => {
    for (const body of ["42", '"tools/list"', "null", '{"id":1,"method":"tools/list"}', '{"jsonrpc":"2.0","id":3}']) {
      const res = await postMcp(token, body, LEGACY_HEADERS);
      expect(res.status, body).toBe(400);
      expect((await errorOf(res)).code, body).toBe(-32600);
    }
  });

  it("refuses JSON-RPC batches", async () => {
    const res = await postMcp(token, [{ jsonrpc: "2.0", id: 1, method: "tools/list" }], LEGACY_HEADERS);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toContain("batches are not supported");
  });

  it("answers a body over the limit with 413, whether or not Content-Length announces it", async () => {
    const big = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { pad: "x".repeat(config.maxRequestBytes) } });
    const res = await postMcp(token, big, LEGACY_HEADERS);
    expect(res.status).toBe(413);
    expect((await errorOf(res)).message).toContain(`${config.maxRequestBytes} bytes`);

    const encoded = new TextEncoder().encode(big);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < encoded.length; i += 16_384) controller.enqueue(encoded.slice(i, i + 16_384));
        controller.close();
      },
    });
    const streamed = await exports.default.fetch(MCP_URL, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        ...LEGACY_HEADERS,
      },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  it("answers other content types with 415 and other methods with 405", async () => {
    const res = await exports.default.fetch(MCP_URL, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "text/plain" },
      body: "{}",
    });
    expect(res.status).toBe(415);
    for (const method of ["GET", "DELETE", "PUT"]) {
      const other = await exports.default.fetch(MCP_URL, { method, headers: { authorization: `Bearer ${token}` } });
      expect(other.status, method).toBe(405);
      expect(other.headers.get("allow")).toBe("POST");
    }
  });

  it("omits id from a refusal made before the request's id is known, and keeps a known id (MCP error ids are a string or integer, never null)", async () => {
    const unknown: [string, Response][] = [
      ["parse error", await postMcp(token, "{bad json", LEGACY_HEADERS)],
      ["batch", await postMcp(token, [{ jsonrpc: "2.0", id: 1, method: "tools/list" }], LEGACY_HEADERS)],
      ["not an object", await postMcp(token, "42", LEGACY_HEADERS)],
      ["null id", await postMcp(token, '{"jsonrpc":"2.0","id":null,"method":7}', LEGACY_HEADERS)],
      [
        "too large",
        await postMcp(token, JSON.stringify({ jsonrpc: "2.0", id: 5, pad: "x".repeat(config.maxRequestBytes) }), LEGACY_HEADERS),
      ],
      [
        "415",
        await exports.default.fetch(MCP_URL, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "text/plain" },
          body: "{}",
        }),
      ],
      ["405", await exports.default.fetch(MCP_URL, { method: "GET", headers: { authorization: `Bearer ${token}` } })],
    ];
    for (const [what, res] of unknown) {
      const body = (await res.json()) as Record<string, unknown>;
      expect(Object.keys(body).sort(), what).toEqual(["error", "jsonrpc"]);
      expect(body.jsonrpc, what).toBe("2.0");
      expect(typeof (body.error as { code: unknown }).code, what).toBe("number");
    }
    // The envelope was read far enough to know the id: it is echoed, string or number.
    for (const [body, id] of [
      ['{"jsonrpc":"2.0","id":3}', 3],
      ['{"jsonrpc":"1.0","id":"a-1","method":"tools/list"}', "a-1"],
      ['{"jsonrpc":"2.0","id":0,"method":""}', 0],
    ] as const) {
      const res = await postMcp(token, body, LEGACY_HEADERS);
      expect(res.status, body).toBe(400);
      expect(await res.json(), body).toMatchObject({ jsonrpc: "2.0", id, error: { code: -32600 } });
    }
  });

  it("answers an unknown tool and bad tool arguments with specific errors", async () => {
    const [msg] = await rpcMessages(token, "tools/call", { name: "No_Such_Tool", arguments: {} });
    expect(JSON.stringify(msg)).toContain("No_Such_Tool");

    const [badMsg] = await rpcMessages(token, "tools/call", { name: "Test_Progress_Probe", arguments: { steps: "many" } });
    expect(JSON.stringify(badMsg)).toMatch(/steps/);
  });

  it("turns a register failure into a clear tool error, and hides unexpected failures' details", async () => {
    const [failed] = await rpcMessages(token, "tools/call", { name: "Test_Register_Failure", arguments: {} });
    const result = failed?.result as { isError: boolean; content: Array<{ text: string }> };
    expect(result.isError).toBe(true);
    expect(result.content[0]?.text).toBe("EP-Online did not answer in time; try again later. (register: ep-online)");

    const body = JSON.stringify(await rpcMessages(token, "tools/call", { name: "Test_Unexpected_Failure", arguments: {} }));
    expect(body).toContain("failed unexpectedly; the error was logged with request id");
    expect(body).not.toContain("hunter2");
    expect(body).not.toMatch(/at .*\.ts:\d+/);
  });

  it("tags every MCP answer with a request id and never echoes the token", async () => {
    const res = await postMcp(token, "{bad json", LEGACY_HEADERS);
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await res.text()).not.toContain(token);
  });
});

import { delay, HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { getJson, NOT_FOUND } from "../../../src/data/live/http";
import { RegisterError } from "../../../src/data/types";
import { mockServer } from "../../helpers/msw";

const URL = "https://register.example.test/items";
const Schema = z.object({ items: z.array(z.number()) });
/** No wait between retries; a timeout that a loaded machine answering from MSW never reaches. */
const FAST = { timeoutMs: 10_000, retryDelayMs: 1 };

/** Serves the given responses in order and counts the calls. */
function serve(...responses: (() => Response | Promise<Response>)[]) {
  const calls = { count: 0 };
  mockServer.use(
    http.get(URL, () => {
      const next = responses[Math.min(calls.count, responses.length - 1)];
      calls.count++;
      if (!next) throw new Error("no response configured");
      return next();
    }),
  );
  return calls;
}

async function failure(promise: Promise<unknown>): Promise<RegisterError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RegisterError);
  return error as RegisterError;
}

describe("register fetch helper", () => {
  it("returns the validated body", async () => {
    serve(() => HttpResponse.json({ items: [1, 2], extra: "ignored" }));
    await expect(getJson({ register: "cbs-kwb", url: URL, schema: Schema }, FAST)).resolves.toEqual({ items: [1, 2] });
  });

  it("turns a timeout into a RegisterError that names the register, without retrying", async () => {
    const calls = serve(async () => {
      await delay(1_000);
      return HttpResponse.json({ items: [] });
    });
    const error = await failure(getJson({ register: "ep-online", url: URL, schema: Schema }, { timeoutMs: 30, retryDelayMs: 1 }));
    expect(error.register).toBe("ep-online");
    expect(error.message).toBe("EP-Online did not answer in time; try again later.");
    expect(calls.count).toBe(1);
  });

  it("retries once after a 503 and then succeeds", async () => {
    const calls = serve(
      () => new HttpResponse("busy", { status: 503 }),
      () => HttpResponse.json({ items: [7] }),
    );
    await expect(getJson({ register: "cbs-kwb", url: URL, schema: Schema }, FAST)).resolves.toEqual({ items: [7] });
    expect(calls.count).toBe(2);
  });

  it("gives up after a second 503", async () => {
    const calls = serve(() => new HttpResponse("busy", { status: 503 }));
    const error = await failure(getJson({ register: "cbs-kwb", url: URL, schema: Schema }, FAST));
    expect(error.message).toBe("CBS is not available right now (HTTP 503); try again later.");
    expect(calls.count).toBe(2);
  });

  it.each([429, 502, 504])("retries a %i once", async (status) => {
    const calls = serve(
      () => new HttpResponse(null, { status }),
      () => HttpResponse.json({ items: [] }),
    );
    await expect(getJson({ register: "pdok-bag", url: URL, schema: Schema }, FAST)).resolves.toEqual({ items: [] });
    expect(calls.count).toBe(2);
  });

  it("does not wait for a long Retry-After", async () => {
    const calls = serve(() => new HttpResponse(null, { status: 429, headers: { "retry-after": "120" } }));
    const error = await failure(getJson({ register: "pdok-bag", url: URL, schema: Schema }, FAST));
    expect(error.message).toMatch(/PDOK BAG is receiving too many requests/);
    expect(calls.count).toBe(1);
  });

  it("retries once after a network error", async () => {
    const calls = serve(
      () => HttpResponse.error(),
      () => HttpResponse.json({ items: [3] }),
    );
    await expect(getJson({ register: "pdok-locatieserver", url: URL, schema: Schema }, FAST)).resolves.toEqual({ items: [3] });
    expect(calls.count).toBe(2);
    serve(() => HttpResponse.error());
    const error = await failure(getJson({ register: "pdok-locatieserver", url: URL, schema: Schema }, FAST));
    expect(error.message).toBe("PDOK Locatieserver could not be reached; try again later.");
  });

  it("does not retry other errors", async () => {
    const calls = serve(() => new HttpResponse("nope", { status: 500 }));
    await failure(getJson({ register: "cbs-kwb", url: URL, schema: Schema }, FAST));
    expect(calls.count).toBe(1);
  });

  it("returns the NOT_FOUND marker for a status that means unknown", async () => {
    serve(() => HttpResponse.json({ title: "Not Found" }, { status: 404 }));
    await expect(getJson({ register: "ep-online", url: URL, schema: Schema, notFoundStatuses: [404] }, FAST)).resolves.toBe(NOT_FOUND);
    serve(() => HttpResponse.json({ title: "Not Found" }, { status: 404 }));
    const error = await failure(getJson({ register: "ep-online", url: URL, schema: Schema }, FAST));
    expect(error.message).toBe("EP-Online rejected the request (HTTP 404).");
  });

  it("rejects a body that is not JSON or has the wrong shape", async () => {
    serve(() => new HttpResponse("<html>maintenance</html>", { headers: { "content-type": "text/html" } }));
    expect((await failure(getJson({ register: "cbs-kwb", url: URL, schema: Schema }, FAST))).message).toBe(
      "CBS answered with something that is not JSON; try again later.",
    );
    serve(() => HttpResponse.json({ items: "many" }));
    expect((await failure(getJson({ register: "cbs-kwb", url: URL, schema: Schema }, FAST))).message).toBe(
      "CBS answered in an unexpected format; try again later.",
    );
  });

  it("never puts headers, the URL or the upstream body in the message", async () => {
    const secret = "key-4f1c2e9a7b3d";
    serve(() => HttpResponse.json({ detail: `bad key ${secret}` }, { status: 401 }));
    const error = await failure(
      getJson(
        {
          register: "ep-online",
          url: `${URL}?token=${secret}`,
          headers: { Authorization: secret },
          schema: Schema,
          statusMessages: { 401: "EP-Online refused the API key." },
        },
        FAST,
      ),
    );
    expect(error.message).toBe("EP-Online refused the API key.");
    expect(`${error.message} ${error.stack ?? ""}`).not.toContain(secret);
    expect(error.message).not.toContain("register.example.test");
  });
});

import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { fetchMonuments, monumentQuery, RCE_SPARQL_URL, RIJKSMONUMENT_STATUSES } from "../../../src/data/live/rce-monuments";
import { RegisterError } from "../../../src/data/types";
import { userFacingMessage } from "../../../src/errors";
import monuments from "../../fixtures/registers/rce-monuments-0611010000508342.json";
import source from "../../fixtures/registers/rce-monuments-0611010000508342.json.source.md?raw";
import empty from "../../fixtures/registers/rce-monuments-empty.json";
import { mockServer } from "../../helpers/msw";

/**
 * Contract tests for the Rijksmonumenten adapter (rce-monuments.ts): RCE's linked data SPARQL
 * endpoint, POSTed `query` and `format=json`, answering a JSON array of rows. Where the format was
 * confirmed: test/fixtures/registers/rce-monuments-0611010000508342.json.source.md.
 */

const fast = { retryDelayMs: 1, timeoutMs: 10_000 };
const UNIT = "0611010000508342";

function rceStandIn(): FormData[] {
  const forms: FormData[] = [];
  mockServer.use(
    http.post(RCE_SPARQL_URL, async ({ request }) => {
      const form = await request.formData();
      forms.push(form);
      return HttpResponse.json(String(form.get("query")).includes(`"${UNIT}"`) ? monuments : empty);
    }),
  );
  return forms;
}

describe("RCE fixtures are the real wire format", () => {
  it("say where their format was confirmed", () => {
    expect(source).toContain("rce-monuments-0611010000508342.json");
    expect(source).toContain("rce-monuments-empty.json");
    expect(source).toMatch(/^Confirmed:/m);
  });

  it("is an array of rows keyed by the query's variables, values as strings", () => {
    expect(Array.isArray(monuments)).toBe(true);
    expect(Object.keys(monuments[0] ?? {}).sort()).toEqual(["identificatie", "juridische_status", "rijksmonument_nummer"]);
    expect(monuments[0]?.juridische_status).toBe(RIJKSMONUMENT_STATUSES[0]);
    expect(empty).toEqual([]);
  });
});

describe("RCE adapter", () => {
  it("POSTs the query as a form and maps the monument with its register page", async () => {
    const forms = rceStandIn();
    expect(await fetchMonuments(UNIT, fast)).toEqual([
      { number: 524327, url: "https://monumentenregister.cultureelerfgoed.nl/monumenten/524327" },
    ]);
    expect(forms[0]?.get("format")).toBe("json");
    expect(forms[0]?.get("query")).toContain("ceo:verblijfsobjectIdentificatie");
    expect(forms[0]?.get("query")).toContain("ceo:rijksmonumentnummer");
  });

  it("answers [] for a unit that is not a monument, and asks nothing for an id that is not a unit", async () => {
    const forms = rceStandIn();
    expect(await fetchMonuments("0611010000508404", fast)).toEqual([]);
    expect(await fetchMonuments('0611010000508342" } #', fast)).toEqual([]);
    expect(forms).toHaveLength(1);
    expect(() => monumentQuery("x")).toThrow();
  });

  it("sorts several monuments, lowest first, and accepts numbers unquoted", async () => {
    mockServer.use(
      http.post(RCE_SPARQL_URL, () =>
        HttpResponse.json([
          { identificatie: UNIT, rijksmonument_nummer: "524400", juridische_status: RIJKSMONUMENT_STATUSES[0] },
          { identificatie: UNIT, rijksmonument_nummer: 12, juridische_status: RIJKSMONUMENT_STATUSES[1] },
          { identificatie: UNIT, rijksmonument_nummer: "524400", juridische_status: RIJKSMONUMENT_STATUSES[0] },
        ]),
      ),
    );
    expect((await fetchMonuments(UNIT, fast)).map((m) => m.number)).toEqual([12, 524400]);
  });
});

describe("RCE legal status terms", () => {
  const OLD = "https://data.cultureelerfgoed.nl/term/id/rn/b2d9a59a-fe1e-4552-9a05-3c2acddff864";
  const NEW = "https://data.cultureelerfgoed.nl/term/id/rn/2/b2d9a59a-fe1e-4552-9a05-3c2acddff864";
  const answer = (rows: unknown[]) => mockServer.use(http.post(RCE_SPARQL_URL, () => HttpResponse.json(rows)));

  it("asks for the status of every monument record linked to the unit, not only one status IRI", async () => {
    const forms = rceStandIn();
    await fetchMonuments(UNIT, fast);
    const query = String(forms[0]?.get("query"));
    expect(query).toContain("?juridische_status");
    expect(query).toContain("ceo:heeftJuridischeStatus ?juridische_status");
    expect(query).not.toContain("term/id/rn/");
  });

  it.each([
    ["today's namespace (term/id/rn/2/, since 2025)", NEW],
    ["the namespace before 2025 (term/id/rn/)", OLD],
  ])("finds a rijksmonument whose status is in %s", async (_what, status) => {
    answer([{ identificatie: UNIT, rijksmonument_nummer: "524327", juridische_status: status }]);
    expect((await fetchMonuments(UNIT, fast)).map((m) => m.number)).toEqual([524327]);
  });

  it.each([
    ["another status", "https://data.cultureelerfgoed.nl/term/id/rn/2/00000000-0000-4000-8000-000000000000"],
    ["a status in a namespace it does not know", "https://data.cultureelerfgoed.nl/term/id/rn/3/b2d9a59a-fe1e-4552-9a05-3c2acddff864"],
    ["no status", null],
  ])("is doubtful, not 'no monument', for a linked record with %s", async (_what, status) => {
    answer([{ identificatie: UNIT, rijksmonument_nummer: "524327", juridische_status: status }]);
    const error = await fetchMonuments(UNIT, fast).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegisterError);
    expect((error as RegisterError).message).toContain("monument record 524327");
    expect((error as RegisterError).message).toContain("is unknown");
  });

  it("a rijksmonument row wins over a doubtful one for the same unit", async () => {
    answer([
      { identificatie: UNIT, rijksmonument_nummer: "1", juridische_status: "https://example.org/other" },
      { identificatie: UNIT, rijksmonument_nummer: "524327", juridische_status: NEW },
    ]);
    expect((await fetchMonuments(UNIT, fast)).map((m) => m.number)).toEqual([524327]);
  });
});

describe("RCE error answers", () => {
  async function toolMessage(): Promise<string> {
    const error = await fetchMonuments(UNIT, fast).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegisterError);
    expect((error as RegisterError).register).toBe("rce-monuments");
    return userFacingMessage(error, "Get_Property_Data", { event: "tool_failed", reference: "request id test" }).message;
  }

  it("404 (a moved endpoint): a register error naming the register", async () => {
    mockServer.use(http.post(RCE_SPARQL_URL, () => new HttpResponse("Not Found", { status: 404 })));
    expect(await toolMessage()).toBe("RCE Rijksmonumentenregister rejected the request (HTTP 404). (register: rce-monuments)");
  });

  it("429 (after its one retry): too many requests", async () => {
    let calls = 0;
    mockServer.use(
      http.post(RCE_SPARQL_URL, () => {
        calls++;
        return new HttpResponse("Too Many Requests", { status: 429, headers: { "retry-after": "0" } });
      }),
    );
    expect(await toolMessage()).toBe(
      "RCE Rijksmonumentenregister is receiving too many requests right now; try again in a minute. (register: rce-monuments)",
    );
    expect(calls).toBe(2);
  });

  it.each([500, 502, 503, 504])("%d: not available", async (status) => {
    mockServer.use(http.post(RCE_SPARQL_URL, () => new HttpResponse("down", { status })));
    expect(await toolMessage()).toBe(
      `RCE Rijksmonumentenregister is not available right now (HTTP ${status}); try again later. (register: rce-monuments)`,
    );
  });

  it.each([
    ["a body that is not JSON", () => new HttpResponse("<html>maintenance</html>", { status: 200 })],
    ["SPARQL JSON results instead of rows", () => HttpResponse.json({ head: { vars: [] }, results: { bindings: [] } })],
    ["a row without a number", () => HttpResponse.json([{ identificatie: UNIT }])],
  ])("malformed: %s gives a format error naming the register", async (_what, answer) => {
    mockServer.use(http.post(RCE_SPARQL_URL, answer));
    expect(await toolMessage()).toMatch(
      /^RCE Rijksmonumentenregister answered (with something that is not JSON|in an unexpected format); try again later\. \(register: rce-monuments\)$/,
    );
  });
});

/// <reference types="node" />
// Live mode end to end: the Worker under `wrangler dev` with DATA_SOURCE=live and every register's
// base URL setting pointing at a stand-in on 127.0.0.1 (./register-standin.ts) that answers in
// the registers' real formats. A real MCP client session (the v1 SDK, signed in through the dev
// IdP as Anna) walks search → data → label → location → assessment for a mixed-use unit, a unit
// without an energy label, a houseboat and an address outside the four seeded municipalities,
// and the stand-in's log shows the adapters asked it. It also shows that the Worker's fetch
// reaches a loopback host under wrangler dev with `global_fetch_strictly_public` set.
import { type OAuthClientProvider, type OAuthDiscoveryState, UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { OAuthClientInformationMixed, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryOAuthState } from "./clients";
import { type RegisterStandIn, STANDIN, startRegisterStandIn } from "./register-standin";
import { ANNA, type Stack, signIn, startStack } from "./stack";

class MemoryOAuthProvider
  extends MemoryOAuthState<OAuthClientInformationMixed, OAuthTokens, OAuthDiscoveryState>
  implements OAuthClientProvider
{
  constructor(callbackUrl: string) {
    super(callbackUrl, "pandgate e2e (live registers)");
  }
}

// Tool results are read field by field in the assertions below, which check their shape.
// biome-ignore lint/suspicious/noExplicitAny: structured content as the test reads it
type Structured = Record<string, any>;

async function signedInClient(stack: Stack): Promise<Client> {
  const provider = new MemoryOAuthProvider("http://127.0.0.1:1/callback");
  const transport = () => new StreamableHTTPClientTransport(new URL(stack.mcpUrl), { authProvider: provider });
  const first = new Client({ name: "pandgate-e2e-live", version: "1.0.0" });
  const t = transport();
  const failure = await first.connect(t).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(UnauthorizedError);
  await first.close().catch(() => {});
  const { clientRedirect } = await signIn(provider.lastAuthorizationUrl, ANNA, { scopes: ["mcp:read", "mcp:write"] });
  await t.finishAuth(clientRedirect.searchParams.get("code") as string);
  const client = new Client({ name: "pandgate-e2e-live", version: "1.0.0" });
  await client.connect(transport());
  return client;
}

describe("live registers through a stand-in", () => {
  let standIn: RegisterStandIn;
  let stack: Stack;
  let client: Client;
  let toolNames: string[];

  const call = async (name: string, args: Record<string, unknown>) => {
    const result = await client.callTool({ name, arguments: args });
    const text = (result.content as Array<{ text?: string }>).map((c) => c.text ?? "").join("\n");
    return { isError: result.isError === true, text, out: (result.structuredContent ?? {}) as Structured };
  };
  const asked = (register: string) => standIn.requests.filter((r) => r.register === register);

  /** Search_Addresses when the catalog has it, else the postcode list: the address's id. */
  const find = async (words: string, key: { postcode: string; houseNumber: number }, addressId: string): Promise<string> => {
    if (toolNames.includes("Search_Addresses")) {
      const search = await call("Search_Addresses", { query: words });
      expect(search.isError, search.text).toBe(false);
      expect(JSON.stringify(search.out)).toContain(addressId);
    }
    const list = await call("Get_Addresses_for_Postcode", key);
    expect(list.isError, list.text).toBe(false);
    const ids = (list.out.addresses as Array<{ addressId: string }>).map((a) => a.addressId);
    expect(ids).toContain(addressId);
    return addressId;
  };

  beforeAll(async () => {
    standIn = await startRegisterStandIn();
    stack = await startStack({ vars: { DATA_SOURCE: "live", EP_ONLINE_API_KEY: "standin-key", ...standIn.vars } });
    client = await signedInClient(stack);
    toolNames = (await client.listTools()).tools.map((t) => t.name);
  });

  afterAll(async () => {
    await client?.close().catch(() => {});
    await stack?.stop();
    await standIn?.close();
  });

  it("reports the live registers and their hosts, and open-world tools", async () => {
    const info = await call("Get_Server_Info", {});
    expect(info.isError, info.text).toBe(false);
    const host = new URL(standIn.vars.PDOK_BAG_URL as string).host;
    expect(info.out.data.source).toBe("live");
    expect(info.out.data.registers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ register: "pdok-locatieserver", host, version: "Locatieserver v3.1" }),
        expect.objectContaining({ register: "pdok-bag", host, version: "BAG OGC API Features v2" }),
        expect.objectContaining({ register: "ep-online", host, version: "EP-Online API v5" }),
        expect.objectContaining({ register: "cbs-kwb", host, table: expect.stringMatching(/^\d{5}NED$/) }),
      ]),
    );
    expect(info.text).toContain("live public registers");
    const { tools } = await client.listTools();
    const hint = (name: string) => tools.find((t) => t.name === name)?.annotations?.openWorldHint;
    expect(hint("Get_Property_Data")).toBe(true);
    expect(hint("Quick_Assess_Property")).toBe(true);
    expect(hint("Get_Server_Info")).toBe(false);
  });

  it("walks an address outside the four seeded municipalities", async () => {
    const { outside } = STANDIN;
    const id = await find("Schenkeldijk 37 Klaaswaal", outside, outside.addressId);
    const data = await call("Get_Property_Data", { addressId: id });
    expect(data.isError, data.text).toBe(false);
    expect(data.out.address.addressId).toBe(outside.addressId);
    expect(data.out.unit).toMatchObject({
      id: outside.unitId,
      kind: "verblijfsobject",
      usePurposes: ["woonfunctie"],
      surfaceM2: 84,
      dwellingType: null,
    });
    expect(data.out.buildYear).toBe(1920);
    // Its parcel (Locatieserver's linked parcel, then BRK) and its rijksmonument (RCE).
    expect(data.out.parcel).toMatchObject({ id: outside.parcel, areaM2: 1234 });
    expect(
      data.out.monument,
      JSON.stringify({
        registerGaps: data.out.registerGaps,
        rce: asked("rce").map((r) => [r.method, r.status]),
        unknown: asked("unknown").map((r) => [r.method, r.path]),
      }),
    ).toMatchObject({ number: outside.monument });
    const label = await call("Get_Property_Energy_Label", { addressId: id });
    expect(label.isError, label.text).toBe(false);
    // The newest of its two registrations (2024, C; the 2011 E is history).
    expect(label.out.current.energyClass).toBe("C");
    expect(label.out.history.map((l: Structured) => l.energyClass)).toEqual(["E"]);
    const location = await call("Analyze_Property_Location", { addressId: id });
    expect(location.isError, location.text).toBe(false);
    expect(location.out.neighbourhood).toMatchObject({
      code: outside.buurt,
      distancesKm: { station: null },
      crimePer1000: null,
      soilType: null,
    });
    expect(location.out.neighbourhood.avgWozEur).toBeGreaterThan(10_000);
    expect(location.out.neighbourhood).not.toHaveProperty("avgWozThousands");
    const assessment = await call("Quick_Assess_Property", { addressId: id });
    expect(assessment.isError, assessment.text).toBe(false);
    expect(assessment.out.address.label).toContain("Schenkeldijk 37");
    // No seeded baseline for GM1963: the national value basis from CBS tables, asked at the stand-in.
    expect(assessment.out.value.basis.valueBasis).toMatchObject({ synthetic: false, level: "gemeente", regionCode: "GM1963" });
    expect(assessment.out.value.basis.surfaceM2).toBe(84);
    expect(assessment.out.energy.label).toBe("C");
    expect(asked("cbs").some((r) => r.path === `/${assessment.out.value.basis.valueBasis.woz.table}/TypedDataSet`)).toBe(true);

    // Every register was asked through its configured base URL.
    expect(asked("locatieserver").length).toBeGreaterThan(0);
    expect(
      asked("bag").some((r) => r.path === "/collections/verblijfsobject/items" && r.query.get("identificatie") === outside.unitId),
    ).toBe(true);
    expect(asked("bag").some((r) => r.path.startsWith("/collections/pand/items/"))).toBe(true);
    expect(asked("ep-online").some((r) => r.path.endsWith(outside.unitId) && r.authorized)).toBe(true);
    expect(asked("cbs").some((r) => r.path === "/85984NED/TypedDataSet" && (r.query.get("$filter") ?? "").includes(outside.buurt))).toBe(
      true,
    );
    expect(asked("brk").some((r) => r.query.get("perceelnummer") === "600")).toBe(true);
    expect(asked("rce").some((r) => r.method === "POST")).toBe(true);
    expect(asked("unknown")).toEqual([]);
  });

  it("walks a mixed-use unit (onderwijsfunctie, woonfunctie)", async () => {
    const { mixedUse } = STANDIN;
    const id = await find("Schenkeldijk 43", mixedUse, mixedUse.addressId);
    const data = await call("Get_Property_Data", { addressId: id });
    expect(data.isError, data.text).toBe(false);
    expect(data.out.unit).toMatchObject({ id: mixedUse.unitId, usePurposes: ["onderwijsfunctie", "woonfunctie"], surfaceM2: 240 });
    const label = await call("Get_Property_Energy_Label", { addressId: id });
    expect(label.out.current?.energyClass, label.text).toBe("B");
    const location = await call("Analyze_Property_Location", { addressId: id });
    expect(location.isError, location.text).toBe(false);
    const assessment = await call("Quick_Assess_Property", { addressId: id });
    expect(assessment.isError, assessment.text).toBe(false);
    expect(assessment.out.value.basis.surfaceM2).toBe(240);
    expect(assessment.out.energy.label).toBe("B");
  });

  it("walks a unit without an energy label", async () => {
    const { noLabel } = STANDIN;
    const id = await find("Schenkeldijk 41B", noLabel, noLabel.addressId);
    const data = await call("Get_Property_Data", { addressId: id });
    expect(data.isError, data.text).toBe(false);
    expect(data.out.unit.usePurposes).toEqual(["winkelfunctie", "woonfunctie"]);
    const label = await call("Get_Property_Energy_Label", { addressId: id });
    expect(label.isError, label.text).toBe(false);
    expect(label.out.current).toBeNull();
    expect(label.out.validity.status).toBe("none");
    expect(asked("ep-online").some((r) => r.path.endsWith(noLabel.unitId) && r.status === 404)).toBe(true);
    const location = await call("Analyze_Property_Location", { addressId: id });
    expect(location.isError, location.text).toBe(false);
    const assessment = await call("Quick_Assess_Property", { addressId: id });
    expect(assessment.isError, assessment.text).toBe(false);
    expect(assessment.out.value.basis.surfaceM2).toBe(132);
    // quick-assess/3: no label is valued with the WWS substitute label for its build year (1965: G, −8 %), and says so.
    expect(assessment.out.value.basis.assumedLabel).toMatchObject({ label: "G", basis: "wws-substitute" });
    expect(assessment.out.value.basis.labelAdjustmentPct).toBe(-8);
    expect(assessment.text).toContain("the value assumes the WWS substitute label for its build year, G");
  });

  it("walks a houseboat (ligplaats)", async () => {
    const { houseboat } = STANDIN;
    const id = await find("Schenkeldijk 2", houseboat, houseboat.addressId);
    const data = await call("Get_Property_Data", { addressId: id });
    expect(data.isError, data.text).toBe(false);
    expect(data.out.unit).toMatchObject({ id: houseboat.unitId, kind: "ligplaats", surfaceM2: null, usePurposes: [] });
    expect(data.out.buildings).toEqual([]);
    expect(asked("bag").some((r) => r.path === "/collections/ligplaats/items" && r.query.get("identificatie") === houseboat.unitId)).toBe(
      true,
    );
    const label = await call("Get_Property_Energy_Label", { addressId: id });
    expect(label.isError, label.text).toBe(false);
    expect(label.out.current).toBeNull();
    const location = await call("Analyze_Property_Location", { addressId: id });
    expect(location.isError, location.text).toBe(false);
    const assessment = await call("Quick_Assess_Property", { addressId: id });
    // Saved, but without a value: a ligplaats has no registered usable area.
    expect(assessment.isError, assessment.text).toBe(false);
    expect(assessment.out.value).toBeNull();
    expect(assessment.out.valueUnavailableReason).toEqual(expect.any(String));
  });
});

import { env } from "cloudflare:workers";
import type { Client } from "@modelcontextprotocol/client";
import { delay, HttpResponse, http } from "msw";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config";
import { assessProperty } from "../src/data/assess-address";
import { CBS_ODATA_BASE } from "../src/data/live/cbs";
import { EP_ONLINE_BASE } from "../src/data/live/ep-online";
import { LiveSource } from "../src/data/live/live-source";
import { BAG_OGC_BASE } from "../src/data/live/pdok-bag";
import { BRK_OGC_BASE } from "../src/data/live/pdok-brk";
import { LOCATIESERVER_FREE_URL } from "../src/data/live/pdok-locatieserver";
import { RCE_SPARQL_URL } from "../src/data/live/rce-monuments";
import { createAddressSearch } from "../src/data/search";
import { createServices, type Services } from "../src/data/services";
import type { RegisterGap } from "../src/data/types";
import { connectInProcess } from "./helpers/mcp";
import { mockServer } from "./helpers/msw";
import { ADDRESS_37, EP_ONLINE_KEY, everyRegisterStandIn, UNIT_37 } from "./helpers/registers";
import type { RentRubriekOut } from "./helpers/rent";

/*
 * The failure matrix of live mode (issue 17): every register × every fault (429, 503, 500, a
 * malformed answer, a timeout) × every tool that reads it, with a cold cache and with a stale
 * one. The tools run through the real MCP server (buildMcpServer, the SDK's handler and client,
 * output schemas checked by the SDK) on live services over this file's D1; the registers are
 * the MSW stand-ins answering from test/fixtures/registers in their wire formats, with one
 * register made to fail per case. Schenkeldijk 37, 3286LT (GM1963, BU19630601, unit 0611…).
 *
 * A synthetic gemeente row for GM1963 (the seed's kind, 3 537 €/m²) sits in D1 all along: live
 * mode must never value from it, whichever register fails.
 *
 * What each case holds: only a failing address lookup (PDOK Locatieserver, with nothing cached)
 * makes a tool fail, with a message naming the register; otherwise the tool answers, the
 * failing register's facts are unknown (null) with a cold cache or its older answer with a stale
 * one, `registerGaps` names the register (with `stale.retrievedAt` when stale), the text names
 * it too (and says "stale" with the retrieval date), and nothing synthetic appears anywhere.
 */

const T0 = new Date("2026-03-02T10:00:00.000Z");
/** Past every TTL (the longest is 90 days). */
const LATER = new Date(T0.getTime() + 400 * 24 * 60 * 60 * 1000);
const SYNTHETIC_EUR_PER_M2 = 3537;
/** Short enough to keep the timeout cases quick, long enough for a stand-in's answer on a busy machine. */
const TIMEOUT_MS = 500;

type RegisterKey = "locatieserver" | "bag" | "epOnline" | "cbsKwb" | "cbsValue" | "brk" | "rce";
type Fault = "429" | "503" | "500" | "malformed" | "timeout";
type ToolName =
  | "Get_Property_Data"
  | "Get_Property_Energy_Label"
  | "Analyze_Property_Location"
  | "Quick_Assess_Property"
  | "Search_Addresses"
  | "Get_Addresses_for_Postcode"
  | "Calculate_Rent_Points"
  | "portfolio item";

/** The register id a gap names, and a piece of its name that tells CBS's two uses apart. */
const REGISTERS: Record<RegisterKey, { id: string; name: string }> = {
  locatieserver: { id: "pdok-locatieserver", name: "PDOK Locatieserver" },
  bag: { id: "pdok-bag", name: "PDOK BAG" },
  epOnline: { id: "ep-online", name: "EP-Online" },
  cbsKwb: { id: "cbs-kwb", name: "Kerncijfers wijken en buurten (85984NED)" },
  cbsValue: { id: "cbs-kwb", name: "CBS value basis" },
  brk: { id: "pdok-brk", name: "PDOK BRK Kadastrale Kaart" },
  rce: { id: "rce-monuments", name: "RCE Rijksmonumentenregister" },
};

/** Which tools read which register. */
const READERS: Record<RegisterKey, ToolName[]> = {
  locatieserver: [
    "Get_Property_Data",
    "Get_Property_Energy_Label",
    "Analyze_Property_Location",
    "Quick_Assess_Property",
    "Search_Addresses",
    "Get_Addresses_for_Postcode",
    "Calculate_Rent_Points",
    "portfolio item",
  ],
  bag: ["Get_Property_Data", "Get_Property_Energy_Label", "Quick_Assess_Property", "Calculate_Rent_Points", "portfolio item"],
  epOnline: ["Get_Property_Energy_Label", "Quick_Assess_Property", "Calculate_Rent_Points", "portfolio item"],
  cbsKwb: ["Analyze_Property_Location", "Quick_Assess_Property", "Calculate_Rent_Points", "portfolio item"],
  cbsValue: ["Quick_Assess_Property", "Calculate_Rent_Points", "portfolio item"],
  brk: ["Get_Property_Data"],
  rce: ["Get_Property_Data", "Calculate_Rent_Points"],
};

/** The URLs of each register that the fault answers (PDOK Locatieserver's gekoppeld_perceel included). */
const FAULT_ROUTES: Record<RegisterKey, Array<{ method: "get" | "post"; url: string }>> = {
  locatieserver: [{ method: "get", url: LOCATIESERVER_FREE_URL }],
  bag: [{ method: "get", url: `${BAG_OGC_BASE}/*` }],
  epOnline: [{ method: "get", url: `${EP_ONLINE_BASE}/*` }],
  cbsKwb: [{ method: "get", url: `${CBS_ODATA_BASE}/85984NED/*` }],
  // The case: 85036NED (average WOZ of dwellings) fails; the other two tables answer.
  cbsValue: [{ method: "get", url: `${CBS_ODATA_BASE}/85036NED/*` }],
  brk: [{ method: "get", url: `${BRK_OGC_BASE}/*` }],
  rce: [{ method: "post", url: RCE_SPARQL_URL }],
};

function faultAnswer(fault: Fault): () => Promise<Response> {
  return async () => {
    switch (fault) {
      case "429":
        return new HttpResponse("Too Many Requests", { status: 429, headers: { "retry-after": "0" } });
      case "503":
        return new HttpResponse("Service Unavailable", { status: 503 });
      case "500":
        return new HttpResponse("Internal Server Error", { status: 500 });
      case "malformed":
        return HttpResponse.json({ unexpected: "shape" });
      case "timeout":
        await delay(TIMEOUT_MS * 10);
        return HttpResponse.json({ late: true });
    }
  };
}

/** Every register answering from its fixtures. */
function healthyRegisters() {
  everyRegisterStandIn();
}

function breakRegister(register: RegisterKey, fault: Fault) {
  mockServer.use(...FAULT_ROUTES[register].map(({ method, url }) => http[method](url, faultAnswer(fault))));
}

const config = parseConfig({
  PUBLIC_URL: "https://mcp.example.com",
  DATA_SOURCE: "live",
  EP_ONLINE_API_KEY: EP_ONLINE_KEY,
  REGISTER_TIMEOUT_MS: String(TIMEOUT_MS),
});
const clock = { now: T0 };

/** Live services on this file's D1 with the test's clock (and a 1 ms retry pause). */
function liveServices(): Services {
  const base = createServices(config, env);
  return {
    ...base,
    data: new LiveSource({
      db: env.DB,
      now: () => clock.now,
      timeoutMs: config.registerTimeoutMs,
      retryDelayMs: 1,
      registerUrls: config.registerUrls,
      ...(config.epOnlineApiKey !== undefined && { epOnlineApiKey: config.epOnlineApiKey }),
    }),
    search: createAddressSearch(config, env.DB),
    now: () => clock.now,
  };
}

let services = liveServices();
let client: Client;

beforeAll(async () => {
  expect(config.registerTimeoutMs).toBe(TIMEOUT_MS);
  client = await connectInProcess(services, "matrix-tests");
});

/** Removes every live row and fetch record these tests write, and puts the synthetic GM1963 row back. */
async function clearLive() {
  await env.DB.batch([
    env.DB.prepare("DELETE FROM register_fetches"),
    env.DB.prepare("DELETE FROM value_basis"),
    env.DB.prepare("DELETE FROM unit_parcels"),
    env.DB.prepare("DELETE FROM unit_monuments"),
    env.DB.prepare("DELETE FROM parcels"),
    env.DB.prepare("DELETE FROM monuments"),
    env.DB.prepare("DELETE FROM energy_labels"),
    env.DB.prepare("DELETE FROM assessments"),
    env.DB.prepare("DELETE FROM addresses"),
    env.DB.prepare("DELETE FROM unit_buildings"),
    env.DB.prepare("DELETE FROM units"),
    env.DB.prepare("DELETE FROM buildings"),
    env.DB.prepare("DELETE FROM neighbourhoods"),
    env.DB.prepare("DELETE FROM districts"),
    env.DB.prepare("DELETE FROM municipalities"),
    env.DB.prepare(
      `INSERT INTO municipalities (code, name, province_code, province_name, corop_name, woz_per_m2, woz_per_m2_year, is_synthetic, source, retrieved_at)
       VALUES ('GM1963', 'Hoeksche Waard', 'PV28', 'Zuid-Holland', 'Groot-Rijnmond', ?1, 2024, 1, 'synthetic', '2026-01-01T00:00:00.000Z')`,
    ).bind(SYNTHETIC_EUR_PER_M2),
  ]);
}

/** Asks every register about Schenkeldijk 37 at T0, so each holds an answer that is stale at LATER. */
async function warmCache() {
  clock.now = T0;
  const source = services.data;
  await source.property({ addressId: ADDRESS_37 }, ["unit", "labels", "neighbourhood", "municipality", "atPostcode", "parcel", "monument"]);
  await source.addressesForPostcode("3286LT");
  const facts = await source.property({ key: { postcode: "3286LT", houseNumber: 37, houseLetter: null, houseNumberAddition: null } }, [
    "unit",
  ]);
  expect(facts?.gaps).toEqual([]);
}

type Answer = { isError: boolean; text: string; structured: Record<string, unknown> | undefined };

async function callTool(tool: ToolName): Promise<Answer> {
  if (tool === "portfolio item") return portfolioItem();
  const args: Record<string, unknown> =
    tool === "Search_Addresses"
      ? { query: "Schenkeldijk 37 Klaaswaal" }
      : tool === "Get_Addresses_for_Postcode"
        ? { postcode: "3286LT" }
        : { addressId: ADDRESS_37 };
  const result = await client.callTool({ name: tool, arguments: args });
  const text = (result.content as Array<{ text?: string }>).map((c) => c.text ?? "").join("\n");
  return { isError: result.isError === true, text, structured: result.structuredContent as Record<string, unknown> | undefined };
}

/**
 * A portfolio item as a batch assesses it (jobs/portfolio.ts: `properties` for the batch's
 * lookups, then `assessProperty`); a failed item is the error text the job records.
 */
async function portfolioItem(): Promise<Answer> {
  const [answer] = await services.data.properties([{ addressId: ADDRESS_37 }], ["unit", "labels", "neighbourhood", "municipality"]);
  if (!answer) throw new Error("no answer for the lookup");
  if (!answer.ok) return { isError: true, text: (answer.error as Error).message, structured: undefined };
  if (!answer.value) return { isError: true, text: "no such address", structured: undefined };
  const { result, sources, registerGaps } = assessProperty(answer.value, clock.now);
  return {
    isError: false,
    text: result.dataGaps.join("\n"),
    structured: { ...result, sources, registerGaps } as unknown as Record<string, unknown>,
  };
}

const gapsOf = (a: Answer) => (a.structured?.registerGaps ?? []) as RegisterGap[];
const field = <T>(a: Answer, path: string): T =>
  path.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | null)?.[k] ?? null, a.structured) as T;

/** Nothing synthetic: no synthetic source, no seeded figure, no synthetic wording, in text or structure. */
function expectNothingSynthetic(a: Answer) {
  const json = JSON.stringify(a.structured ?? {});
  expect(json).not.toContain('"synthetic":true');
  for (const s of [json, a.text]) {
    expect(s).not.toMatch(/synthetic dataset|synthetic demonstration|seeded|COROP|WWS-like/i);
    expect(s).not.toContain(String(SYNTHETIC_EUR_PER_M2));
  }
}

/** The facts the failing register supplies, as each tool shows them: unknown (cold) or its older answer (stale). */
function expectRegisterFacts(register: RegisterKey, tool: ToolName, a: Answer, stale: boolean) {
  if (tool === "Calculate_Rent_Points") return expectRentFacts(register, a, stale);
  switch (register) {
    case "locatieserver":
      if (tool === "Get_Addresses_for_Postcode") expect(field<number>(a, "total")).toBe(5);
      else expect(field<string>(a, "address.addressId")).toBe(ADDRESS_37);
      return;
    case "bag":
      if (tool === "Get_Property_Data") {
        if (stale) expect(field<string>(a, "unit.id")).toBe(UNIT_37);
        else expect([field(a, "unit"), field(a, "buildYear")]).toEqual([null, null]);
        if (!stale) expect(a.text).toContain("Unit and building facts: unknown");
      } else if (tool === "Get_Property_Energy_Label") {
        if (stale) expect(field(a, "substituteLabelForBuildYear")).not.toBeNull();
        else expect(field(a, "substituteLabelForBuildYear")).toBeNull();
      } else {
        if (stale) expect(field<number>(a, "buildYear")).not.toBeNull();
        else {
          expect([field(a, "buildYear"), field(a, "value")]).toEqual([null, null]);
          expect(a.text).not.toMatch(/No BAG unit/);
        }
      }
      return;
    case "epOnline":
      if (tool === "Get_Property_Energy_Label") {
        if (stale) expect(field<string>(a, "current.energyClass")).toBe("C");
        else {
          expect([field(a, "current"), field(a, "validity.status")]).toEqual([null, "unknown"]);
          expect(a.text).not.toMatch(/No registered energy label/);
        }
      } else {
        if (stale) expect(field<string>(a, "energy.label")).toBe("C");
        else {
          expect([field(a, "energy.label"), field(a, "energy.status")]).toEqual([null, "unknown"]);
          expect(a.text).not.toMatch(/No registered energy label/);
        }
      }
      return;
    case "cbsKwb": {
      const path = tool === "Analyze_Property_Location" ? "neighbourhood" : "neighbourhoodContext";
      if (stale) expect(field<string>(a, `${path}.code`)).toBe("BU19630601");
      else expect(field(a, path)).toBeNull();
      return;
    }
    case "cbsValue":
      if (stale) {
        expect(field<boolean>(a, "value.basis.valueBasis.synthetic")).toBe(false);
        expect(field<string>(a, "value.basis.valueBasis.source")).toBe("CBS StatLine");
      } else {
        expect(field(a, "value")).toBeNull();
        expect(field<string>(a, "valueUnavailableReason")).toBeTruthy();
      }
      return;
    case "brk":
      if (stale) expect(field<string>(a, "parcel.id")).toBe("VLO00-E-600");
      else {
        expect(field(a, "parcel")).toBeNull();
        expect(a.text).toContain("Parcel: unknown");
      }
      return;
    case "rce":
      if (stale) expect(field<number>(a, "monument.number")).toBe(524327);
      else {
        expect(field(a, "monument")).toBeNull();
        expect(a.text).toContain("Rijksmonument: unknown");
        expect(a.text).not.toContain("Not a rijksmonument");
      }
      return;
  }
}

/**
 * Calculate_Rent_Points (issue 20): the failing register's rubrieken are unknown or ranged over
 * what it could have said (cold), or counted from its older answer (stale); the others are
 * counted from their own registers as usual.
 */
function expectRentFacts(register: RegisterKey, a: Answer, stale: boolean) {
  const rubrieken = field<RentRubriekOut[]>(a, "rubrieken") ?? [];
  const rubriek = (name: string) => {
    const r = rubrieken.find((x) => x.rubriek === name);
    expect(r, `${name} in ${JSON.stringify(rubrieken.map((x) => x.rubriek))}`).toBeDefined();
    return r as RentRubriekOut;
  };
  const origins = (name: string) => rubriek(name).origins.join("; ");
  switch (register) {
    case "locatieserver":
      expect(field<string>(a, "address.addressId")).toBe(ADDRESS_37);
      return;
    case "bag":
      if (stale) expect(origins("oppervlakteVertrekken")).toContain("BAG");
      else {
        expect(rubriek("oppervlakteVertrekken").points).toBeNull();
        expect(field(a, "totalPoints")).toBeNull();
      }
      return;
    case "epOnline": {
      const energy = rubriek("energieprestatie");
      expect(origins("energieprestatie")).toContain("EP-Online");
      if (stale) expect(energy.explanation).toContain("label C");
      else {
        expect(energy.explanation).not.toContain("label C");
        expect(energy.max as number).toBeGreaterThan(energy.min as number);
      }
      // Only the energy rubriek is left open: the area still comes from BAG.
      expect(origins("oppervlakteVertrekken")).toContain("BAG");
      return;
    }
    case "cbsKwb":
      // The neighbourhood only refines the WOZ estimate; the count stands.
      expect(field<number>(a, "totalPoints")).not.toBeNull();
      return;
    case "cbsValue":
      if (stale) expect(origins("wozWaarde")).toContain("CBS");
      else {
        expect(rubriek("wozWaarde").points).toBeNull();
        expect(origins("oppervlakteVertrekken")).toContain("BAG");
      }
      return;
    case "rce":
      // Schenkeldijk 37 is a rijksmonument: known when RCE answered once, either way when it never did.
      if (stale) {
        expect(field(a, "rijksmonument")).toEqual({ status: "yes", source: "RCE Rijksmonumentenregister (rijksmonument 524327)" });
        expect(a.text).toContain("Rijksmonument: yes, per RCE Rijksmonumentenregister (rijksmonument 524327)");
      } else {
        expect(field<string>(a, "rijksmonument.status")).toBe("unknown");
        expect(a.text).toMatch(/Rijksmonument: unknown, per RCE Rijksmonumentenregister \(not read: the register could not be asked/);
      }
      expect(origins("oppervlakteVertrekken")).toContain("BAG");
      return;
    case "brk":
      return;
  }
}

const FAULTS: Fault[] = ["429", "503", "500", "malformed", "timeout"];
const CASES = (Object.keys(READERS) as RegisterKey[]).flatMap((register) =>
  FAULTS.flatMap((fault) => (["cold", "stale"] as const).map((cache) => ({ register, fault, cache }))),
);

beforeEach(async () => {
  services = liveServices();
  await clearLive();
});

describe("live mode when one register fails", () => {
  it.each(CASES)("$register $fault, $cache cache: every tool that reads it", { timeout: 30_000 }, async ({ register, fault, cache }) => {
    healthyRegisters();
    if (cache === "stale") {
      await warmCache();
      clock.now = LATER;
    } else clock.now = T0;
    breakRegister(register, fault);
    const { id, name } = REGISTERS[register];

    for (const tool of READERS[register]) {
      const what = `${tool} (${register} ${fault}, ${cache})`;
      const answer = await callTool(tool);
      expectNothingSynthetic(answer);
      // Only the address lookup may fail a tool, and only when nothing is cached (a search never is).
      if (register === "locatieserver" && (cache === "cold" || tool === "Search_Addresses")) {
        expect(answer.isError, what).toBe(true);
        expect(answer.text, what).toContain("PDOK Locatieserver");
        expect(answer.text, what).not.toMatch(/unexpectedly|stack|https?:\/\//);
        continue;
      }
      expect(answer.isError, `${what}: ${answer.text}`).toBe(false);
      const gaps = gapsOf(answer).filter((g) => g.register === id && g.name.includes(name));
      expect(gaps.length, `${what}: ${JSON.stringify(gapsOf(answer))}`).toBeGreaterThan(0);
      for (const gap of gaps) {
        expect(gap.reason, what).toContain(register === "cbsKwb" || register === "cbsValue" ? "CBS" : name);
        if (cache === "stale") expect(gap.stale, what).toEqual({ retrievedAt: T0.toISOString() });
        else expect(gap.stale, what).toBeNull();
      }
      // What the structure knows, the text says: the register, and for a stale answer "stale" with its date.
      expect(answer.text, what).toContain(gaps[0]?.name ?? name);
      if (cache === "stale") {
        expect(answer.text, what).toContain("stale");
        expect(answer.text, what).toContain(T0.toISOString().slice(0, 10));
      }
      expectRegisterFacts(register, tool, answer, cache === "stale");
    }

    if (register === "rce") {
      // A failed monument lookup is never remembered as "not a monument": only T0's answer is on record.
      const records = await env.DB.prepare("SELECT retrieved_at, found FROM register_fetches WHERE register = 'rce-monuments'").all();
      expect(records.results).toEqual(cache === "stale" ? [{ retrieved_at: T0.toISOString(), found: 1 }] : []);
    }
  });
});

describe("the value basis in live mode", () => {
  it("with every register answering, values from CBS, not from the seeded table, with no gap", async () => {
    healthyRegisters();
    clock.now = T0;
    const answer = await callTool("Quick_Assess_Property");
    expect(answer.isError, answer.text).toBe(false);
    expect(gapsOf(answer)).toEqual([]);
    expect(field<string>(answer, "value.basis.valueBasis.source")).toBe("CBS StatLine");
    expect(field<string>(answer, "value.basis.valueBasis.regionCode")).toBe("GM1963");
    expectNothingSynthetic(answer);
  });

  it("when CBS publishes no basis any more, uses the older real one (stale), not the seeded table", async () => {
    healthyRegisters();
    await warmCache();
    clock.now = LATER;
    mockServer.use(http.get(`${CBS_ODATA_BASE}/85036NED/TypedDataSet`, () => HttpResponse.json({ "odata.metadata": "x", value: [] })));
    const answer = await callTool("Quick_Assess_Property");
    expect(answer.isError, answer.text).toBe(false);
    expect(field<string>(answer, "value.basis.valueBasis.source")).toBe("CBS StatLine");
    const [gap] = gapsOf(answer);
    expect(gap).toMatchObject({ register: "cbs-kwb", fields: ["valueBasis"], stale: { retrievedAt: T0.toISOString() } });
    expect(answer.text).toContain("stale");
    expectNothingSynthetic(answer);
  });

  it("when CBS publishes no basis and none was ever cached, gives no value range rather than the seeded figure", async () => {
    healthyRegisters();
    clock.now = T0;
    mockServer.use(http.get(`${CBS_ODATA_BASE}/85036NED/TypedDataSet`, () => HttpResponse.json({ "odata.metadata": "x", value: [] })));
    const answer = await callTool("Quick_Assess_Property");
    expect(answer.isError, answer.text).toBe(false);
    expect(field(answer, "value")).toBeNull();
    expect(field<string>(answer, "valueUnavailableReason")).toMatch(/value per m²/);
    expectNothingSynthetic(answer);
  });
});

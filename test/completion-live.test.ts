import { describe, expect, it } from "vitest";
import { connectClient } from "./helpers/mcp";
import { mintToken, newIdentity } from "./helpers/oauth";
import { addressSearchStandIn, LOCATIESERVER_DOCS } from "./helpers/registers";

/**
 * Completion (`completion/complete`, issue 19 point 2) in live mode: the real Worker with
 * DATA_SOURCE=live (project "workerd-live" in vitest.config.ts, no synthetic seed), the MCP SDK
 * client, and the PDOK Locatieserver's `free` search answered by its stand-in in the register's
 * wire format (test/helpers/registers.ts `addressSearchStandIn`, fixtures at 3286LT Klaaswaal and
 * 1015CJ Amsterdam). With no seed, every value completed here can only have come from the register.
 */

async function client() {
  const { accessToken } = await mintToken(newIdentity(), ["mcp:read", "mcp:write"]);
  return connectClient(accessToken, "2025-11-25");
}

const postcode = (c: Awaited<ReturnType<typeof client>>, prompt: string, value: string) =>
  c.complete({ ref: { type: "ref/prompt", name: prompt }, argument: { name: "postcode", value } });

/** The v3.1 parameters a free search may carry; any other gets 400 from the real Locatieserver. */
const V31_PARAMS = ["fl", "fq", "q", "rows", "start"];

describe("completion with the live registers", () => {
  it("completes a postcode from its first characters, asking the Locatieserver's free search in its v3.1 form", async () => {
    const standIn = addressSearchStandIn();
    const c = await client();
    for (const typed of ["3286", "3286 l", "3286LT", "3286lt"]) {
      const { completion } = await postcode(c, "sustainability_scan", typed);
      expect(completion.values, typed).toEqual(["3286LT"]);
    }
    // The other postcode prompt argument completes the same way; the Amsterdam fixtures' postcode,
    // never the one of their address that has none.
    expect((await postcode(c, "portfolio_review", "1015")).completion.values).toEqual(["1015CJ"]);
    // A start no address has, and a start past a real one, complete to nothing (and are not errors).
    expect((await postcode(c, "sustainability_scan", "3286 m")).completion.values).toEqual([]);
    expect((await postcode(c, "sustainability_scan", "9999")).completion.values).toEqual([]);
    // Too short or not a postcode start: nothing, without asking the register.
    const asked = standIn.requests.length;
    for (const typed of ["3", "32a", "0286", "Schenkeldijk"]) {
      expect((await postcode(c, "sustainability_scan", typed)).completion.values, typed).toEqual([]);
    }
    expect(standIn.requests.length).toBe(asked);

    const [first] = standIn.requests;
    expect(first?.get("q")).toBe("3286");
    expect(standIn.requests[1]?.get("q")).toBe("3286l");
    for (const params of standIn.requests) {
      expect([...new Set(params.keys())].sort()).toEqual(V31_PARAMS);
      expect(params.getAll("fq")).toEqual(["type:adres"]);
      expect(Number(params.get("rows"))).toBeLessThanOrEqual(100);
    }
    await c.close();
  });

  it("completes addresses and address ids from the register", async () => {
    addressSearchStandIn();
    const c = await client();
    const addresses = await c.complete({
      ref: { type: "ref/prompt", name: "property_due_diligence" },
      argument: { name: "address", value: "Schenkeldijk 37" },
    });
    expect(addresses.completion.values[0]).toBe("Schenkeldijk 37, 3286 LT Klaaswaal");
    expect(addresses.completion.values.every((v) => v.startsWith("Schenkeldijk ") && v.endsWith(", 3286 LT Klaaswaal"))).toBe(true);
    const ids = await c.complete({
      ref: { type: "ref/resource", uri: "pandgate://properties/{addressId}" },
      argument: { name: "addressId", value: "3286LT" },
    });
    expect(ids.completion.values).toEqual([...new Set(LOCATIESERVER_DOCS.map((d) => d.nummeraanduiding_id))]);
    await c.close();
  });

  it("completes to nothing, not an error, when the Locatieserver cannot answer", async () => {
    const standIn = addressSearchStandIn();
    standIn.fail = true;
    const c = await client();
    expect((await postcode(c, "sustainability_scan", "3286")).completion.values).toEqual([]);
    expect(standIn.requests.length).toBeGreaterThan(0);
    await c.close();
  });
});

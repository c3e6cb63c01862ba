import { delay, HttpResponse, http } from "msw";
import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { DEFAULT_BUDGET_SETTINGS } from "../../../src/config/register-budgets";
import { parseRetryAfter, RegisterBudgets } from "../../../src/data/live/budget";
import { getJson } from "../../../src/data/live/http";
import type { RegisterId } from "../../../src/data/live/registers";
import { RegisterError } from "../../../src/data/types";
import { mockServer } from "../../helpers/msw";

/*
 * Per-register budgets (src/data/live/budget.ts) as a register sees them: what arrives at the
 * stand-in, when, and how many at once. Each test has budgets of its own (the isolate's shared
 * ones are the default of every request; passing `budgets` keeps the tests apart). Waits are
 * checked as lower bounds (nothing arrives before a pause ends), which a slow machine cannot
 * break, and orders of events, never as upper bounds on time.
 */

const Schema = z.object({ ok: z.boolean() });
const BAG = "https://api.pdok.nl/kadaster/bag/ogc/v2/collections/verblijfsobject/items";
const LS = "https://api.pdok.nl/bzk/locatieserver/search/v3_1/free";

function budgets(concurrency: number, perSecond: number, maxPauseMs = 60_000) {
  return new RegisterBudgets({ defaults: { concurrency, perSecond }, overrides: {}, maxPauseMs });
}

/** A stand-in for `url` that records each arrival time and the most requests under way at once. */
function standIn(url: string, answer: (n: number) => Response | Promise<Response>, holdMs = 0) {
  const seen = { arrivals: [] as number[], inFlight: 0, maxInFlight: 0 };
  mockServer.use(
    http.get(url, async () => {
      const n = seen.arrivals.push(Date.now());
      seen.inFlight++;
      seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
      try {
        if (holdMs > 0) await delay(holdMs);
        return await answer(n);
      } finally {
        seen.inFlight--;
      }
    }),
  );
  return seen;
}

const ask = (register: RegisterId, url: string, options: { budgets: RegisterBudgets; timeoutMs?: number }) =>
  getJson({ register, url, schema: Schema }, { retryDelayMs: 1, timeoutMs: 10_000, ...options });

describe("per-register budgets", () => {
  it("a 429 with Retry-After pauses that register for every caller, while other registers go on", async () => {
    const own = budgets(10, 100);
    let pausedAt = 0;
    const bag = standIn(BAG, (n) => {
      if (n > 1) return HttpResponse.json({ ok: true });
      pausedAt = Date.now();
      return new HttpResponse("slow down", { status: 429, headers: { "retry-after": "1" } });
    });
    const ls = standIn(LS, () => HttpResponse.json({ ok: true }));
    const first = ask("pdok-bag", BAG, { budgets: own });
    await vi.waitFor(() => expect(pausedAt).toBeGreaterThan(0), { timeout: 30_000 });
    await vi.waitFor(() => expect(own.of("pdok-bag").pauseEnds).toBeGreaterThan(0), { timeout: 30_000 });
    const order: string[] = [];
    const others = [1, 2, 3].map((i) => ask("pdok-bag", `${BAG}?i=${i}`, { budgets: own }).then(() => order.push("bag")));
    const locatieserver = ask("pdok-locatieserver", LS, { budgets: own }).then(() => order.push("locatieserver"));
    await Promise.all([first, ...others, locatieserver]);
    // The first request's own retry and the three others all waited out the second the register asked for.
    expect(bag.arrivals).toHaveLength(5);
    for (const at of bag.arrivals.slice(1)) expect(at).toBeGreaterThanOrEqual(pausedAt + 1000 - 5);
    // The Locatieserver was not held up: it answered before any paused BAG request did.
    expect(order[0]).toBe("locatieserver");
    expect(ls.arrivals).toHaveLength(1);
  });

  it("a Retry-After as an HTTP-date pauses too, and is bounded by the maximum pause", async () => {
    const own = budgets(10, 100, 1_500);
    const date = new Date(Date.now() + 3_600_000).toUTCString();
    standIn(BAG, () => new HttpResponse("slow down", { status: 429, headers: { "retry-after": date } }));
    // An hour is longer than the request waits for itself (2 s): it fails at once with the register's 429 message.
    const error = await ask("pdok-bag", BAG, { budgets: own }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegisterError);
    expect((error as Error).message).toMatch(/PDOK BAG is receiving too many requests/);
    const ends = own.of("pdok-bag").pauseEnds;
    expect(ends).toBeGreaterThan(Date.now());
    expect(ends).toBeLessThanOrEqual(Date.now() + 1_500);
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", Date.parse("Wed, 21 Oct 2015 07:27:00 GMT"))).toBe(60_000);
    expect(parseRetryAfter("120")).toBe(120_000);
    expect(parseRetryAfter("soon")).toBeNull();
  });

  it("a request that would have to wait past its own deadline gives up at once as the register being unavailable", async () => {
    const own = budgets(10, 100);
    own.of("pdok-bag").pause(Date.now() + 30_000);
    const bag = standIn(BAG, () => HttpResponse.json({ ok: true }));
    const error = await ask("pdok-bag", BAG, { budgets: own, timeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegisterError);
    expect((error as RegisterError).register).toBe("pdok-bag");
    expect(bag.arrivals).toHaveLength(0);
    // Another register is not paused.
    standIn(LS, () => HttpResponse.json({ ok: true }));
    await expect(ask("pdok-locatieserver", LS, { budgets: own })).resolves.toEqual({ ok: true });
  });

  it("never has more requests under way to a register than its concurrency", async () => {
    const own = budgets(3, 1000);
    const bag = standIn(BAG, () => HttpResponse.json({ ok: true }), 40);
    await Promise.all(Array.from({ length: 12 }, (_, i) => ask("pdok-bag", `${BAG}?i=${i}`, { budgets: own })));
    expect(bag.arrivals).toHaveLength(12);
    expect(bag.maxInFlight).toBe(3);
    expect(own.of("pdok-bag").maxInFlight).toBe(3);
  });

  it("starts no more requests per second to a register than its limit", async () => {
    const own = budgets(10, 5);
    const bag = standIn(BAG, () => HttpResponse.json({ ok: true }));
    await Promise.all(Array.from({ length: 12 }, (_, i) => ask("pdok-bag", `${BAG}?i=${i}`, { budgets: own })));
    const at = [...bag.arrivals].sort((a, b) => a - b);
    expect(at).toHaveLength(12);
    // Any window a little shorter than a second (arrivals may bunch by a few ms on the way) holds at most 5.
    for (const start of at) expect(at.filter((t) => t >= start && t < start + 950).length).toBeLessThanOrEqual(5);
    // 12 at 5 per second: the last starts at least two seconds after the first.
    expect((at.at(-1) as number) - (at[0] as number)).toBeGreaterThanOrEqual(1_950);
  });

  it("has defaults that respect the registers' fair use (src/config/register-budgets.ts)", () => {
    const shared = new RegisterBudgets(DEFAULT_BUDGET_SETTINGS);
    // Below Kadaster's published 50 requests per second per key, for every register.
    for (const register of ["pdok-locatieserver", "pdok-bag", "ep-online", "cbs-kwb", "pdok-brk", "rce-monuments"] as const) {
      expect(shared.limitsOf(register).perSecond).toBeLessThan(50);
    }
    expect(shared.limitsOf("ep-online")).toEqual({ concurrency: 8, perSecond: 20 });
  });
});

import { delay, HttpResponse, http } from "msw";
import { EP_ONLINE_BASE } from "../../src/data/live/ep-online";
import { BAG_OGC_BASE } from "../../src/data/live/pdok-bag";
import { LOCATIESERVER_FREE_URL } from "../../src/data/live/pdok-locatieserver";
import type { D1Queryable } from "../../src/data/types";
import pand1920 from "../fixtures/registers/bag-pand-0611100000408245.json";
import vbo37 from "../fixtures/registers/bag-verblijfsobject-0611010000508342.json";
import labels from "../fixtures/registers/ep-online-0611010000508342.json";
import page1 from "../fixtures/registers/locatieserver-free-3286LT-page1.json";
import { mockServer } from "./msw";

/**
 * How the MSW register stand-ins (./registers.ts and `bulkStandIn` below) answer in time: at
 * once (the default), after a fixed latency per answer (the bench), or in rounds (the
 * round-counting tests). Every stand-in awaits `paced(register)` before it answers, so every
 * request to every register is held alike.
 *
 * Rounds: every request is held; a round releases every request held at that moment once no new
 * request has come for `settleMs` and the code under test is known to be waiting (no D1 query
 * of the counting database below is under way). A cold tool call that needs k rounds therefore
 * takes k register latencies when every answer takes one latency (the registers' time dominates;
 * D1 and CPU between rounds are not counted), which is how the issue's figures are stated.
 */
export type Pacing = { mode: "now" } | { mode: "latency"; latencyMs: number } | { mode: "rounds"; settleMs: number };

interface Held {
  register: string;
  release: () => void;
}

class PacingState {
  pacing: Pacing = { mode: "now" };
  /** Every request paced so far: its register and the round it was answered in (rounds mode; else 0). */
  readonly log: Array<{ register: string; round: number; at: number }> = [];
  /** Requests under way now, and the most ever, per register. */
  readonly inFlight = new Map<string, number>();
  readonly maxInFlight = new Map<string, number>();
  private held: Held[] = [];
  private round = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Whether the code under test is busy with something other than the registers (D1 queries). */
  busy: () => boolean = () => false;

  set(pacing: Pacing) {
    this.pacing = pacing;
    this.log.length = 0;
    this.inFlight.clear();
    this.maxInFlight.clear();
    this.round = 0;
    this.flush();
  }

  /** Rounds released so far. */
  get rounds(): number {
    return this.round;
  }

  async pace(register: string): Promise<void> {
    const entry = { register, round: 0, at: Date.now() };
    this.log.push(entry);
    const now = (this.inFlight.get(register) ?? 0) + 1;
    this.inFlight.set(register, now);
    this.maxInFlight.set(register, Math.max(now, this.maxInFlight.get(register) ?? 0));
    try {
      const pacing = this.pacing;
      if (pacing.mode === "latency") await delay(pacing.latencyMs);
      if (pacing.mode === "rounds") {
        await new Promise<void>((release) => {
          this.held.push({ register, release: () => release() });
          this.arm(pacing.settleMs);
        });
        entry.round = this.round;
      }
    } finally {
      this.inFlight.set(register, (this.inFlight.get(register) ?? 1) - 1);
    }
  }

  private arm(settleMs: number) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.held.length === 0) return;
      // The code under test is still reading or writing D1: more requests of this round may come.
      if (this.busy()) return this.arm(settleMs);
      this.round++;
      this.flush();
    }, settleMs);
  }

  private flush() {
    const held = this.held;
    this.held = [];
    for (const h of held) h.release();
  }
}

export const pacing = new PacingState();

/** Awaited by every stand-in before it answers (see `PacingState`). */
export const paced = (register: string) => pacing.pace(register);

/**
 * `db` with a count of its queries under way, for `pacing.busy`: a round is not released while
 * D1 is being read or written, since the code under test may still be on its way to a request.
 */
export function countingDb(db: D1Database): { db: D1Queryable; busy: () => boolean } {
  let pending = 0;
  const track = <T>(work: Promise<T>): Promise<T> => {
    pending++;
    return work.finally(() => pending--);
  };
  const wrapStatement = (statement: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(statement, {
      get(target, key) {
        if (key === "bind") return (...args: unknown[]) => wrapStatement(target.bind(...args));
        if (key === "first" || key === "all" || key === "run" || key === "raw") {
          return (...args: unknown[]) => track((target[key] as (...a: unknown[]) => Promise<unknown>).apply(target, args));
        }
        if (key === "__target") return target;
        const value = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  const unwrap = (s: D1PreparedStatement) => (s as unknown as { __target?: D1PreparedStatement }).__target ?? s;
  return {
    db: {
      prepare: (sql: string) => wrapStatement(db.prepare(sql)),
      batch: <T>(statements: D1PreparedStatement[]) => track(db.batch<T>(statements.map(unwrap))),
    } as D1Queryable,
    busy: () => pending > 0,
  };
}

/** The first address of the bulk world: ids are this + i (nummeraanduiding …7000ii, unit …7000ii, pand …7000ii). */
const BULK_BASE = 700000;
const pad = (n: number) => String(n).padStart(6, "0");
export const bulkAddressId = (i: number) => `0611200000${pad(BULK_BASE + i)}`;
const bulkUnitId = (i: number) => `0611010000${pad(BULK_BASE + i)}`;
const bulkPandId = (i: number) => `0611100000${pad(BULK_BASE + i)}`;
const bulkIndex = (id: string, prefix: string) => {
  if (!id.startsWith(prefix) || id.length !== 16) return null;
  const n = Number(id.slice(prefix.length)) - BULK_BASE;
  return Number.isInteger(n) && n >= 0 && n < 100_000 ? n : null;
};

/**
 * Many distinct addresses for batch tests and the bench, in the registers' wire formats (made
 * from the fixtures of Schenkeldijk 37): address i is `bulkAddressId(i)`, in buurt BU19630601
 * of GM1963, with its own unit (84 m², woonfunctie), its own pand (built 1920) and its own
 * label E. Registered after ./registers.ts's stand-ins (which answer CBS), so it is asked first;
 * other requests pass through.
 */
export function bulkStandIn(): void {
  const doc = page1.response.docs[0] as Record<string, unknown>;
  const feature = vbo37.features[0] as (typeof vbo37.features)[number];
  mockServer.use(
    http.get(LOCATIESERVER_FREE_URL, async ({ request }) => {
      const params = new URL(request.url).searchParams;
      const id = /^nummeraanduiding_id:(\d{16})$/.exec(params.get("q") ?? "")?.[1];
      const i = id === undefined || params.get("fl")?.includes("gekoppeld_perceel") ? null : bulkIndex(id, "0611200000");
      if (i === null) return undefined;
      await paced("locatieserver");
      const one = {
        ...doc,
        id: `adr-bulk-${i}`,
        nummeraanduiding_id: bulkAddressId(i),
        adresseerbaarobject_id: bulkUnitId(i),
        huisnummer: 1000 + i,
        weergavenaam: `Schenkeldijk ${1000 + i}, 3286LT Klaaswaal`,
      };
      return HttpResponse.json({ response: { ...page1.response, numFound: 1, docs: [one] } });
    }),
    http.get(`${BAG_OGC_BASE}/collections/verblijfsobject/items`, async ({ request }) => {
      const i = bulkIndex(new URL(request.url).searchParams.get("identificatie") ?? "", "0611010000");
      if (i === null) return undefined;
      await paced("bag");
      return HttpResponse.json({
        ...vbo37,
        features: [
          {
            ...feature,
            properties: {
              ...feature.properties,
              identificatie: bulkUnitId(i),
              hoofdadres_identificatie: bulkAddressId(i),
              huisnummer: 1000 + i,
              "pand.href": [`${BAG_OGC_BASE}/collections/pand/items/bulk-pand-${i}`],
            },
          },
        ],
      });
    }),
    http.get(`${BAG_OGC_BASE}/collections/pand/items/:id`, async ({ params }) => {
      const i = /^bulk-pand-(\d+)$/.exec(String(params.id))?.[1];
      if (i === undefined) return undefined;
      await paced("bag");
      return HttpResponse.json({
        ...pand1920,
        id: `bulk-pand-${i}`,
        properties: { ...pand1920.properties, identificatie: bulkPandId(Number(i)) },
      });
    }),
    http.get(`${EP_ONLINE_BASE}/PandEnergielabel/AdresseerbaarObject/:id`, async ({ params }) => {
      const id = String(params.id);
      if (bulkIndex(id, "0611010000") === null) return undefined;
      await paced("ep-online");
      return HttpResponse.json(labels.map((l) => ({ ...l, BAGVerblijfsobjectID: id })));
    }),
  );
}

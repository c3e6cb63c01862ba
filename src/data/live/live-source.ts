import { log } from "../../log";
import { D1PropertyStore } from "../d1-store";
import {
  type Address,
  type AddressKey,
  type EnergyLabel,
  type Municipality,
  type Neighbourhood,
  type PropertySource,
  RegisterError,
  type Unit,
} from "../types";
import { RegisterCache, SUBJECT, TTL_MS } from "./cache";
import { BUURT_CODE_RE, DEFAULT_KWB_TABLE, fetchNeighbourhood, type KwbTableId, kwbAttribution } from "./cbs";
import { fetchLabels, isLabelSubject } from "./ep-online";
import type { HttpOptions } from "./http";
import { fetchUnit, unitKind } from "./pdok-bag";
import { addressByNummeraanduiding, addressesAtPostcode, matchAddress, NUMMERAANDUIDING_RE, normalisePostcode } from "./pdok-locatieserver";
import {
  type Attribution,
  BAG_ATTRIBUTION,
  EP_ONLINE_ATTRIBUTION,
  LOCATIESERVER_ATTRIBUTION,
  REGISTER,
  type RegisterId,
} from "./registers";

/**
 * The property source backed by the public registers: PDOK Locatieserver (addresses), PDOK BAG
 * (units and panden), EP-Online (energy labels) and CBS KWB (buurt figures), cached in D1.
 *
 * Each method reads D1 first (through `D1PropertyStore`); when the register's last answer for
 * that question is missing or older than its TTL (see `TTL_MS`), it asks the register, writes
 * the answer into D1 and returns what D1 then holds. Results therefore have exactly the shape of
 * synthetic ones, with `source.synthetic === false` and the register and retrieval time.
 *
 * - A "not found" is cached like an answer, so it is not asked again within the TTL.
 * - When a register fails and D1 holds an older answer for the question, that answer is
 *   returned (its `retrievedAt` shows its age) and the failure is logged; without one, the
 *   `RegisterError` is thrown for the tool to show.
 * - Synthetic rows (`is_synthetic = 1`) in the same D1 are never returned or changed, except
 *   municipalities: no live register holds their WOZ-per-m² baseline, so the seeded rows are
 *   returned as they are (marked synthetic).
 * - Without an EP-Online API key, `energyLabels` still answers from a cached EP-Online answer
 *   younger than its TTL; otherwise it throws a `RegisterError` saying EP-Online is not
 *   configured. It never answers [] for "unknown", since [] means "no label registered".
 */

export interface LiveSourceOptions {
  db: D1Database;
  /** EP-Online v5 personal API key; without it energy labels come only from the cache. */
  epOnlineApiKey?: string;
  /** Outbound fetch (tests inject one); default the global `fetch`. */
  fetch?: typeof fetch;
  /** Clock for TTLs and `retrieved_at`; default `new Date()`. */
  now?: () => Date;
  /** Per-request register timeout in ms; default 6000. */
  timeoutMs?: number;
  /** Pause before the single retry of a transient failure, in ms; default 300. */
  retryDelayMs?: number;
  /** Pinned CBS KWB table; default 85984NED (2024). */
  cbsTable?: KwbTableId;
}

export const EP_ONLINE_NOT_CONFIGURED =
  "Energy labels cannot be looked up right now: EP-Online is not configured on this server (it has no EP-Online API key).";

/** Credits for every register the live source uses, for tools to cite. */
export function liveAttributions(cbsTable: KwbTableId = DEFAULT_KWB_TABLE): Attribution[] {
  return [LOCATIESERVER_ATTRIBUTION, BAG_ATTRIBUTION, EP_ONLINE_ATTRIBUTION, kwbAttribution(cbsTable)];
}

const onlyLive = <T extends { source: { synthetic: boolean } }>(rows: T[]): T[] => rows.filter((r) => !r.source.synthetic);

export class LiveSource implements PropertySource {
  private readonly store: D1PropertyStore;
  private readonly cache: RegisterCache;
  private readonly http: HttpOptions;
  private readonly now: () => Date;
  private readonly apiKey: string | undefined;
  private readonly cbsTable: KwbTableId;

  constructor(options: LiveSourceOptions) {
    this.now = options.now ?? (() => new Date());
    this.store = new D1PropertyStore(options.db);
    this.cache = new RegisterCache(options.db, this.now);
    this.http = {
      ...(options.fetch && { fetch: options.fetch }),
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      ...(options.retryDelayMs !== undefined && { retryDelayMs: options.retryDelayMs }),
    };
    const key = options.epOnlineApiKey?.trim();
    this.apiKey = key ? key : undefined;
    this.cbsTable = options.cbsTable ?? DEFAULT_KWB_TABLE;
  }

  /** Whether energy labels can be fetched (an EP-Online key is configured). */
  get epOnlineConfigured(): boolean {
    return this.apiKey !== undefined;
  }

  private fresh(retrievedAt: string | undefined, ttlMs: number): boolean {
    return retrievedAt !== undefined && this.cache.isFresh(retrievedAt, ttlMs);
  }

  /**
   * Asks the register unless its last answer is fresh. On a register failure, falls back to the
   * older answer in D1 when there is one (`haveStale`), and rethrows otherwise.
   */
  private async refresh(register: RegisterId, haveStale: boolean, ask: () => Promise<void>): Promise<void> {
    try {
      await ask();
    } catch (error) {
      if (!(error instanceof RegisterError) || !haveStale) throw error;
      log("warn", "register_stale_served", { register });
    }
  }

  async addressesForPostcode(postcode: string, houseNumber?: number): Promise<Address[]> {
    const pc = normalisePostcode(postcode);
    if (pc === null) return [];
    if (houseNumber !== undefined && (!Number.isInteger(houseNumber) || houseNumber < 1 || houseNumber > 99999)) return [];
    const whole = await this.cache.lastFetch(REGISTER.locatieserver, SUBJECT.postcode(pc));
    const atNumber =
      houseNumber === undefined ? null : await this.cache.lastFetch(REGISTER.locatieserver, SUBJECT.houseNumber(pc, houseNumber));
    const records = [whole, atNumber].filter((r) => r !== null);
    if (!records.some((r) => this.fresh(r.retrievedAt, TTL_MS.address))) {
      const subject = houseNumber === undefined ? SUBJECT.postcode(pc) : SUBJECT.houseNumber(pc, houseNumber);
      await this.refresh(
        REGISTER.locatieserver,
        records.some((r) => r.found),
        async () => {
          const found = await addressesAtPostcode(pc, houseNumber, this.http);
          await this.cache.writeAddresses(subject, found, { postcode: pc, ...(houseNumber !== undefined && { houseNumber }) });
        },
      );
    }
    return onlyLive(await this.store.addressesForPostcode(pc, houseNumber));
  }

  /** Fetches every address at the key's postcode and number, then matches letter and addition (case-insensitive). */
  async findAddress(key: AddressKey): Promise<Address | null> {
    const pc = normalisePostcode(key.postcode);
    if (pc === null) return null;
    const candidates = await this.addressesForPostcode(pc, key.houseNumber);
    return matchAddress(candidates, { ...key, postcode: pc });
  }

  async addressById(id: string): Promise<Address | null> {
    if (!NUMMERAANDUIDING_RE.test(id)) return null;
    const row = await this.store.addressById(id);
    const cached = row && !row.source.synthetic ? row : null;
    if (row && !cached) return null;
    if (cached && this.fresh(cached.source.retrievedAt, TTL_MS.address)) return cached;
    const subject = SUBJECT.address(id);
    const record = await this.cache.lastFetch(REGISTER.locatieserver, subject);
    // A fresh row (above) is newer than any miss; a stale row loses to a fresh miss.
    if (record && !record.found && this.fresh(record.retrievedAt, TTL_MS.address)) return null;
    let found = cached !== null;
    await this.refresh(REGISTER.locatieserver, cached !== null, async () => {
      const address = await addressByNummeraanduiding(id, this.http);
      await this.cache.writeAddresses(subject, address ? [address] : []);
      found = address !== null;
    });
    if (!found) return null;
    const after = await this.store.addressById(id);
    return after && !after.source.synthetic ? after : null;
  }

  async unit(unitId: string): Promise<Unit | null> {
    if (unitKind(unitId) === null || unitId === "0000000000000000") return null;
    const subject = SUBJECT.unit(unitId);
    const record = await this.cache.lastFetch(REGISTER.bag, subject);
    let found = record?.found ?? false;
    if (!record || !this.fresh(record.retrievedAt, TTL_MS.unit)) {
      await this.refresh(REGISTER.bag, found, async () => {
        const answer = await fetchUnit(unitId, this.http, this.now());
        if (answer) await this.cache.writeUnit(subject, answer.unit, answer.buildings);
        else await this.cache.recordFetch(REGISTER.bag, subject, false);
        found = answer !== null;
      });
    }
    if (!found) return null;
    const unit = await this.store.unit(unitId);
    return unit && !unit.source.synthetic ? unit : null;
  }

  async energyLabels(unitId: string): Promise<EnergyLabel[]> {
    if (!isLabelSubject(unitId)) return [];
    const subject = SUBJECT.labels(unitId);
    const record = await this.cache.lastFetch(REGISTER.epOnline, subject);
    const fresh = record !== null && this.fresh(record.retrievedAt, TTL_MS.label);
    if (!fresh) {
      const apiKey = this.apiKey;
      if (apiKey === undefined) throw new RegisterError(REGISTER.epOnline, EP_ONLINE_NOT_CONFIGURED);
      await this.refresh(REGISTER.epOnline, record?.found ?? false, async () => {
        const labels = await fetchLabels(unitId, apiKey, this.http);
        await this.cache.writeLabels(subject, unitId, labels);
      });
    }
    return onlyLive(await this.store.energyLabels(unitId));
  }

  async neighbourhood(code: string): Promise<Neighbourhood | null> {
    if (!BUURT_CODE_RE.test(code)) return null;
    const subject = SUBJECT.neighbourhood(this.cbsTable, code);
    const record = await this.cache.lastFetch(REGISTER.cbs, subject);
    let found = record?.found ?? false;
    if (!record || !this.fresh(record.retrievedAt, TTL_MS.neighbourhood)) {
      await this.refresh(REGISTER.cbs, found, async () => {
        const facts = await fetchNeighbourhood(code, this.http, this.cbsTable);
        if (facts) await this.cache.writeNeighbourhood(subject, facts);
        else await this.cache.recordFetch(REGISTER.cbs, subject, false);
        found = facts !== null;
      });
    }
    if (!found) return null;
    const n = await this.store.neighbourhood(code);
    // dataset_year 0 marks a placeholder written for an address's foreign key.
    return n && !n.source.synthetic && n.datasetYear > 0 ? n : null;
  }

  /**
   * No live register publishes the gemeente's WOZ-per-m² baseline: the row comes from D1 as
   * seeded. A placeholder written by this source (`woz_per_m2_year = 0`) is not returned.
   */
  async municipality(code: string): Promise<Municipality | null> {
    if (!/^GM\d{4}$/.test(code)) return null;
    const m = await this.store.municipality(code);
    return m && m.wozPerM2Year > 0 ? m : null;
  }
}

import { log } from "../../log";
import { type BatchRead, D1PropertyStore, factsOf } from "../d1-store";
import {
  type Address,
  type AddressKey,
  type AddressLookup,
  type D1Queryable,
  type EnergyLabel,
  type Fact,
  type Monument,
  type Municipality,
  type Neighbourhood,
  type Parcel,
  type PropertyFacts,
  type PropertySource,
  RegisterError,
  type Settled,
  type Unit,
  type ValueBasis,
} from "../types";
import { type FetchRecord, RegisterCache, recordKey, SUBJECT, TTL_MS } from "./cache";
import { BUURT_CODE_RE, DEFAULT_KWB_TABLE, fetchNeighbourhood, type KwbTableId, kwbAttribution } from "./cbs";
import { DEFAULT_VALUE_TABLES, fetchValueBasis, type ValueTables } from "./cbs-value";
import { fetchLabels, isLabelSubject } from "./ep-online";
import type { HttpOptions } from "./http";
import { PARCEL_MONUMENT_SUBJECT, PARCEL_MONUMENT_TTL_MS, writeMonuments, writeParcels } from "./parcel-monument-cache";
import { fetchUnit, unitKind } from "./pdok-bag";
import { fetchParcelsOfAddress } from "./pdok-brk";
import { addressByNummeraanduiding, addressesAtPostcode, matchAddress, NUMMERAANDUIDING_RE, normalisePostcode } from "./pdok-locatieserver";
import { fetchMonuments } from "./rce-monuments";
import {
  type Attribution,
  BAG_ATTRIBUTION,
  BRK_ATTRIBUTION,
  EP_ONLINE_ATTRIBUTION,
  LOCATIESERVER_ATTRIBUTION,
  RCE_ATTRIBUTION,
  REGISTER,
  type RegisterId,
  type RegisterUrls,
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
 * - Synthetic rows (`is_synthetic = 1`) in the same D1 are never returned or changed, except a
 *   seeded municipality for which CBS has no value basis: it is returned as seeded (marked synthetic).
 * - Without an EP-Online API key, `energyLabels` still answers from a cached EP-Online answer
 *   younger than its TTL; otherwise it throws a `RegisterError` saying EP-Online is not
 *   configured. It never answers [] for "unknown", since [] means "no label registered".
 */

export interface LiveSourceOptions {
  db: D1Queryable;
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
  /** CBS KWB table (setting CBS_KWB_TABLE); default 85984NED (2024). */
  cbsTable?: KwbTableId;
  /** CBS tables of the value basis; default 85036NED, 85035NED, 85773NED. */
  valueTables?: ValueTables;
  /** Base URLs that replace the registers' public endpoints (settings such as PDOK_BAG_URL). */
  registerUrls?: RegisterUrls;
}

export const EP_ONLINE_NOT_CONFIGURED =
  "Energy labels cannot be looked up right now: EP-Online is not configured on this server (it has no EP-Online API key).";

/** Credits for every register the live source uses, for tools to cite. */
export function liveAttributions(cbsTable: KwbTableId = DEFAULT_KWB_TABLE): Attribution[] {
  return [LOCATIESERVER_ATTRIBUTION, BAG_ATTRIBUTION, EP_ONLINE_ATTRIBUTION, kwbAttribution(cbsTable), BRK_ATTRIBUTION, RCE_ATTRIBUTION];
}

const onlyLive = <T extends { source: { synthetic: boolean } }>(rows: T[]): T[] => rows.filter((r) => !r.source.synthetic);
const liveUnit = (unit: Unit | null | undefined): Unit | null => (unit && !unit.source.synthetic ? unit : null);
// dataset_year 0 marks a placeholder written for an address's foreign key.
const liveNeighbourhood = (n: Neighbourhood | null | undefined): Neighbourhood | null =>
  n && !n.source.synthetic && n.datasetYear > 0 ? n : null;
// A placeholder written by this source (`woz_per_m2_year = 0`) is not returned.
const liveMunicipality = (m: Municipality | null | undefined): Municipality | null => (m && m.wozPerM2Year > 0 ? m : null);
/** A gemeente valued by its CBS value basis; names and province from D1 when cached. */
function withBasis(code: string, d1: Municipality | null | undefined, cached: { basis: ValueBasis; retrievedAt: string }): Municipality {
  const { basis, retrievedAt } = cached;
  return {
    code,
    name: d1?.name ?? code,
    provinceCode: d1?.provinceCode ?? "",
    provinceName: d1?.provinceName ?? "",
    coropName: d1?.coropName ?? "",
    wozPerM2: basis.eurPerM2,
    wozPerM2Year: Number(basis.woz.period.slice(0, 4)),
    valueBasis: basis,
    source: { register: REGISTER.cbs, retrievedAt, synthetic: false },
  };
}
const isUnitSubject = (unitId: string) => unitKind(unitId) !== null && unitId !== "0000000000000000";
const liveRow = <T extends { source: { synthetic: boolean } }>(row: T | null | undefined): T | null =>
  row && !row.source.synthetic ? row : null;
const isMunicipalityCode = (code: string) => /^GM\d{4}$/.test(code);

export class LiveSource implements PropertySource {
  private readonly db: D1Queryable;
  private readonly store: D1PropertyStore;
  private readonly cache: RegisterCache;
  private readonly http: HttpOptions;
  private readonly now: () => Date;
  private readonly apiKey: string | undefined;
  private readonly cbsTable: KwbTableId;
  private readonly valueTables: ValueTables;

  constructor(options: LiveSourceOptions) {
    this.now = options.now ?? (() => new Date());
    this.db = options.db;
    this.store = new D1PropertyStore(options.db);
    this.cache = new RegisterCache(options.db, this.now);
    this.http = {
      ...(options.fetch && { fetch: options.fetch }),
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      ...(options.retryDelayMs !== undefined && { retryDelayMs: options.retryDelayMs }),
      ...(options.registerUrls !== undefined && { registerUrls: options.registerUrls }),
    };
    const key = options.epOnlineApiKey?.trim();
    this.apiKey = key ? key : undefined;
    this.cbsTable = options.cbsTable ?? DEFAULT_KWB_TABLE;
    this.valueTables = options.valueTables ?? DEFAULT_VALUE_TABLES;
  }

  /** Whether energy labels can be fetched (an EP-Online key is configured). */
  get epOnlineConfigured(): boolean {
    return this.apiKey !== undefined;
  }

  private fresh(retrievedAt: string | undefined, ttlMs: number): boolean {
    return retrievedAt !== undefined && this.cache.isFresh(retrievedAt, ttlMs);
  }

  private isFresh(record: FetchRecord | null | undefined, ttlMs: number): boolean {
    return record !== null && record !== undefined && this.fresh(record.retrievedAt, ttlMs);
  }

  /**
   * What the register was last asked about `subject` and what D1 holds for it, read in one round
   * trip: the cache's answer when it is fresh, without a second read.
   */
  private async cached<T>(register: RegisterId, subject: string, read: BatchRead<T>): Promise<[FetchRecord | null, T]> {
    const [record, ...rest] = await this.db.batch<Record<string, unknown>>([
      this.cache.lastFetchStatement(register, subject),
      ...read.statements,
    ]);
    return [RegisterCache.recordOf(record), read.parse(rest)];
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
    const read = this.store.postcodeRead(pc, houseNumber);
    const asked = [SUBJECT.postcode(pc), ...(houseNumber === undefined ? [] : [SUBJECT.houseNumber(pc, houseNumber)])];
    const results = await this.db.batch<Record<string, unknown>>([
      ...asked.map((subject) => this.cache.lastFetchStatement(REGISTER.locatieserver, subject)),
      ...read.statements,
    ]);
    const records = results
      .slice(0, asked.length)
      .map((result) => RegisterCache.recordOf(result))
      .filter((r) => r !== null);
    const rows = results.slice(asked.length);
    if (records.some((r) => this.fresh(r.retrievedAt, TTL_MS.address))) return onlyLive(read.parse(rows));
    const subject = houseNumber === undefined ? SUBJECT.postcode(pc) : SUBJECT.houseNumber(pc, houseNumber);
    await this.refresh(
      REGISTER.locatieserver,
      records.some((r) => r.found),
      async () => {
        const found = await addressesAtPostcode(pc, houseNumber, this.http);
        await this.cache.writeAddresses(subject, found, { postcode: pc, ...(houseNumber !== undefined && { houseNumber }) });
      },
    );
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
    const subject = SUBJECT.address(id);
    const [record, row] = await this.cached(REGISTER.locatieserver, subject, this.store.addressRead({ addressId: id }));
    const cached = row && !row.source.synthetic ? row : null;
    if (row && !cached) return null;
    if (cached && this.fresh(cached.source.retrievedAt, TTL_MS.address)) return cached;
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
    if (!isUnitSubject(unitId)) return null;
    const subject = SUBJECT.unit(unitId);
    const [record, unit] = await this.cached(REGISTER.bag, subject, this.store.unitRead(unitId));
    if (record && this.isFresh(record, TTL_MS.unit)) return record.found ? liveUnit(unit) : null;
    let found = record?.found ?? false;
    await this.refresh(REGISTER.bag, found, async () => {
      const answer = await fetchUnit(unitId, this.http, this.now());
      if (answer) await this.cache.writeUnit(subject, answer.unit, answer.buildings);
      else await this.cache.recordFetch(REGISTER.bag, subject, false);
      found = answer !== null;
    });
    if (!found) return null;
    return liveUnit(await this.store.unit(unitId));
  }

  async energyLabels(unitId: string): Promise<EnergyLabel[]> {
    if (!isLabelSubject(unitId)) return [];
    const subject = SUBJECT.labels(unitId);
    const [record, labels] = await this.cached(REGISTER.epOnline, subject, this.store.labelsRead(unitId));
    if (this.isFresh(record, TTL_MS.label)) return onlyLive(labels);
    const apiKey = this.apiKey;
    if (apiKey === undefined) throw new RegisterError(REGISTER.epOnline, EP_ONLINE_NOT_CONFIGURED);
    await this.refresh(REGISTER.epOnline, record?.found ?? false, async () => {
      const fetched = await fetchLabels(unitId, apiKey, this.http);
      await this.cache.writeLabels(subject, unitId, fetched);
    });
    return onlyLive(await this.store.energyLabels(unitId));
  }

  async neighbourhood(code: string): Promise<Neighbourhood | null> {
    if (!BUURT_CODE_RE.test(code)) return null;
    const subject = SUBJECT.neighbourhood(this.cbsTable, code);
    const [record, n] = await this.cached(REGISTER.cbs, subject, this.store.neighbourhoodRead(code));
    if (record && this.isFresh(record, TTL_MS.neighbourhood)) return record.found ? liveNeighbourhood(n) : null;
    let found = record?.found ?? false;
    await this.refresh(REGISTER.cbs, found, async () => {
      const facts = await fetchNeighbourhood(code, this.http, this.cbsTable);
      if (facts) await this.cache.writeNeighbourhood(subject, facts);
      else await this.cache.recordFetch(REGISTER.cbs, subject, false);
      found = facts !== null;
    });
    if (!found) return null;
    return liveNeighbourhood(await this.store.neighbourhood(code));
  }

  /**
   * The gemeente with its live value basis (cbs-value.ts: CBS average WOZ ÷ average area, price
   * indexed), cached in `value_basis` for `TTL_MS.valueBasis`. When CBS has no basis for it, or
   * fails with none cached, the row as seeded (if any) is returned, marked synthetic; a placeholder
   * (`woz_per_m2_year = 0`) is not. A failure never fails the address: only its value range is missing.
   */
  async municipality(code: string): Promise<Municipality | null> {
    if (!isMunicipalityCode(code)) return null;
    const subject = SUBJECT.valueBasis(code);
    const [record, cachedBasis, row] = await this.db.batch<Record<string, unknown>>([
      this.cache.lastFetchStatement(REGISTER.cbs, subject),
      this.cache.valueBasisStatement(code),
      ...this.store.municipalityRead(code).statements,
    ]);
    const last = RegisterCache.recordOf(record);
    let cached = RegisterCache.valueBasisOf(cachedBasis);
    const d1 = this.store.municipalityRead(code).parse([row as D1Result<Record<string, unknown>>]);
    if (!this.isFresh(last, TTL_MS.valueBasis)) {
      try {
        const basis = await fetchValueBasis(code, this.http, this.valueTables);
        await this.cache.writeValueBasis(code, basis);
        cached = basis ? { basis, retrievedAt: this.now().toISOString() } : null;
      } catch (error) {
        // Without a basis the assessment says no value per m² is known; the rest of it still stands.
        if (!(error instanceof RegisterError)) throw error;
        log("warn", cached ? "register_stale_served" : "register_value_basis_missing", { register: REGISTER.cbs });
      }
    }
    return cached ? withBasis(code, d1, cached) : liveMunicipality(d1);
  }

  /**
   * A fact that must not fail the address: on a register failure the older cached answer when
   * there is one, else null with the register's message (`PropertyFacts.unavailable`).
   */
  private async optional<T>(
    register: RegisterId,
    stale: T | null,
    ask: () => Promise<T | null>,
  ): Promise<{ value: T | null; unavailable?: string }> {
    try {
      return { value: await ask() };
    } catch (error) {
      if (!(error instanceof RegisterError)) throw error;
      if (stale !== null) {
        log("warn", "register_stale_served", { register });
        return { value: stale };
      }
      log("warn", "register_fact_unavailable", { register });
      return { value: null, unavailable: error.message };
    }
  }

  /** Asks the Locatieserver for the address's linked parcels and BRK for each; caches them under the unit. */
  private async askParcel(address: Address): Promise<Parcel | null> {
    const parcels = (await fetchParcelsOfAddress(address.id, this.http)) ?? [];
    const at = this.now().toISOString();
    await writeParcels(this.db, at, address.unitId, parcels);
    const first = [...parcels].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))[0];
    return first ? { ...first, source: { register: REGISTER.brk, retrievedAt: at, synthetic: false } } : null;
  }

  /** Asks RCE for the unit's rijksmonumenten; caches them. */
  private async askMonument(unitId: string): Promise<Monument | null> {
    const monuments = await fetchMonuments(unitId, this.http);
    const at = this.now().toISOString();
    await writeMonuments(this.db, at, unitId, monuments);
    const first = monuments[0];
    return first ? { number: first.number, url: first.url, source: { register: REGISTER.rce, retrievedAt: at, synthetic: false } } : null;
  }

  async property(lookup: AddressLookup, want: readonly Fact[]): Promise<PropertyFacts | null> {
    const address = "addressId" in lookup ? await this.addressById(lookup.addressId) : await this.findAddress(lookup.key);
    if (!address) return null;
    const [facts] = await this.factsFor([address], want);
    if (!facts?.ok) throw facts?.error;
    return facts.value;
  }

  /**
   * One lookup after another, each as `addressById` or `findAddress` answers it (asking the
   * Locatieserver when the cache has nothing fresh), then the facts of all found in `factsFor`.
   */
  async properties(lookups: readonly AddressLookup[], want: readonly Fact[]): Promise<Array<Settled<PropertyFacts | null>>> {
    const addresses: Array<Settled<Address | null>> = [];
    for (const lookup of lookups) {
      try {
        const address = "addressId" in lookup ? await this.addressById(lookup.addressId) : await this.findAddress(lookup.key);
        addresses.push({ ok: true, value: address });
      } catch (error) {
        addresses.push({ ok: false, error });
      }
    }
    const found = addresses.flatMap((a) => (a.ok && a.value ? [a.value] : []));
    const facts = found.length > 0 ? await this.factsFor(found, want) : [];
    let next = 0;
    return addresses.map((a) => (a.ok && a.value ? (facts[next++] as Settled<PropertyFacts>) : a.ok ? { ok: true, value: null } : a));
  }

  /**
   * The facts about many addresses. One round trip reads what each register was last asked about
   * them together with what D1 holds; what is fresh there is the answer, exactly as the single
   * methods would give it. Only a stale or never-asked question goes through the single method,
   * which asks its register. A register failing fails that address only.
   */
  async factsFor(addresses: readonly Address[], want: readonly Fact[]): Promise<Array<Settled<PropertyFacts>>> {
    const questions: Array<readonly [RegisterId, string]> = [];
    for (const a of addresses) {
      if (want.includes("unit") && isUnitSubject(a.unitId)) questions.push([REGISTER.bag, SUBJECT.unit(a.unitId)]);
      if (want.includes("labels") && isLabelSubject(a.unitId)) questions.push([REGISTER.epOnline, SUBJECT.labels(a.unitId)]);
      if (want.includes("municipality") && isMunicipalityCode(a.municipalityCode))
        questions.push([REGISTER.cbs, SUBJECT.valueBasis(a.municipalityCode)]);
      if (want.includes("neighbourhood") && a.neighbourhoodCode && BUURT_CODE_RE.test(a.neighbourhoodCode)) {
        questions.push([REGISTER.cbs, SUBJECT.neighbourhood(this.cbsTable, a.neighbourhoodCode)]);
      }
      if (want.includes("parcel") && isUnitSubject(a.unitId)) questions.push([REGISTER.brk, PARCEL_MONUMENT_SUBJECT.parcel(a.unitId)]);
      if (want.includes("monument") && isUnitSubject(a.unitId)) questions.push([REGISTER.rce, PARCEL_MONUMENT_SUBJECT.monument(a.unitId)]);
    }
    // Addresses at a postcode come from `addressesForPostcode`, which has its own cache rules.
    const read = this.store.factReadsFor(
      addresses,
      want.filter((fact) => fact !== "atPostcode"),
    );
    const codes = want.includes("municipality") ? [...new Set(addresses.map((a) => a.municipalityCode).filter(isMunicipalityCode))] : [];
    const [recordResult, basisResult, ...rest] = await this.db.batch<Record<string, unknown>>([
      this.cache.lastFetchesStatement(questions),
      this.cache.valueBasesStatement(codes),
      ...read.statements,
    ]);
    const bases = RegisterCache.valueBasesOf(basisResult);
    const records = RegisterCache.recordsOf(recordResult);
    const rows = read.parse(rest);
    const fresh = (register: RegisterId, subject: string, ttlMs: number) => {
      const record = records.get(recordKey(register, subject));
      return record && this.isFresh(record, ttlMs) ? record : null;
    };
    const settled: Array<Settled<PropertyFacts>> = [];
    // One value-basis read per gemeente, however many of its addresses are asked about.
    const municipalities = new Map<string, Promise<Municipality | null>>();
    for (const address of addresses) {
      try {
        const d1 = factsOf(address, rows);
        const facts: PropertyFacts = {
          address,
          unit: null,
          labels: [],
          neighbourhood: null,
          municipality: null,
          atPostcode: [],
          parcel: null,
          monument: null,
        };
        if (want.includes("unit") && isUnitSubject(address.unitId)) {
          const record = fresh(REGISTER.bag, SUBJECT.unit(address.unitId), TTL_MS.unit);
          facts.unit = record ? (record.found ? liveUnit(d1.unit) : null) : await this.unit(address.unitId);
        }
        if (want.includes("labels") && isLabelSubject(address.unitId)) {
          const record = fresh(REGISTER.epOnline, SUBJECT.labels(address.unitId), TTL_MS.label);
          facts.labels = record ? onlyLive(d1.labels) : await this.energyLabels(address.unitId);
        }
        const code = address.neighbourhoodCode;
        if (want.includes("neighbourhood") && code && BUURT_CODE_RE.test(code)) {
          const record = fresh(REGISTER.cbs, SUBJECT.neighbourhood(this.cbsTable, code), TTL_MS.neighbourhood);
          facts.neighbourhood = record ? (record.found ? liveNeighbourhood(d1.neighbourhood) : null) : await this.neighbourhood(code);
        }
        if (want.includes("municipality") && isMunicipalityCode(address.municipalityCode)) {
          const code = address.municipalityCode;
          let pending = municipalities.get(code);
          if (!pending) {
            const cached = bases.get(code);
            const record = fresh(REGISTER.cbs, SUBJECT.valueBasis(code), TTL_MS.valueBasis);
            pending = record
              ? Promise.resolve(record.found && cached ? withBasis(code, d1.municipality, cached) : liveMunicipality(d1.municipality))
              : this.municipality(code);
            municipalities.set(code, pending);
          }
          facts.municipality = await pending;
        }
        // An address without a postcode has no neighbours by postcode.
        if (want.includes("atPostcode") && address.postcode !== null) facts.atPostcode = await this.addressesForPostcode(address.postcode);
        if (want.includes("parcel") && isUnitSubject(address.unitId)) {
          const record = fresh(REGISTER.brk, PARCEL_MONUMENT_SUBJECT.parcel(address.unitId), PARCEL_MONUMENT_TTL_MS.parcel);
          const cached = liveRow(d1.parcel);
          if (record) facts.parcel = record.found ? cached : null;
          else {
            const answer = await this.optional(REGISTER.brk, cached, () => this.askParcel(address));
            facts.parcel = answer.value;
            if (answer.unavailable) facts.unavailable = { ...facts.unavailable, parcel: answer.unavailable };
          }
        }
        if (want.includes("monument") && isUnitSubject(address.unitId)) {
          const record = fresh(REGISTER.rce, PARCEL_MONUMENT_SUBJECT.monument(address.unitId), PARCEL_MONUMENT_TTL_MS.monument);
          const cached = liveRow(d1.monument);
          if (record) facts.monument = record.found ? cached : null;
          else {
            const answer = await this.optional(REGISTER.rce, cached, () => this.askMonument(address.unitId));
            facts.monument = answer.value;
            if (answer.unavailable) facts.unavailable = { ...facts.unavailable, monument: answer.unavailable };
          }
        }
        settled.push({ ok: true, value: facts });
      } catch (error) {
        settled.push({ ok: false, error });
      }
    }
    return settled;
  }
}

import { log } from "../../log";
import { type BatchRead, D1PropertyStore, factsOf } from "../d1-store";
import {
  type Address,
  type AddressKey,
  type AddressLookup,
  type D1Queryable,
  type EnergyLabel,
  type Fact,
  type GapField,
  type Monument,
  type Municipality,
  type Neighbourhood,
  type Parcel,
  type PropertyFacts,
  type PropertySource,
  RegisterError,
  type RegisterGap,
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
  REGISTER_NAMES,
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
 *   returned (its `retrievedAt` shows its age) and, in `property`, `properties` and `factsFor`,
 *   listed as a stale `RegisterGap`; without one, the single methods throw the `RegisterError`.
 * - `property`, `properties` and `factsFor` fail an address only when its address lookup fails
 *   (Locatieserver). Any other register failing leaves only its own facts unknown (null or
 *   empty) and lists it in `PropertyFacts.gaps`, never an empty answer passed off as "none".
 * - Synthetic rows (`is_synthetic = 1`) in the same D1 are never returned or changed: live mode
 *   never answers a synthetic figure (a seeded gemeente's COROP value included).
 * - Without an EP-Online API key, `energyLabels` still answers from a cached EP-Online answer
 *   (stale when older than its TTL); otherwise it throws a `RegisterError` saying EP-Online is not
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
  /** Per-request register timeout in ms (setting REGISTER_TIMEOUT_MS); default 6000. */
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
/**
 * A gemeente without a live value basis is unknown: a placeholder written by this source
 * (`woz_per_m2_year = 0`) is not a figure, and a seeded (synthetic) row is never used live.
 */
const liveMunicipality = (m: Municipality | null | undefined): Municipality | null =>
  m && !m.source.synthetic && m.wozPerM2Year > 0 ? m : null;
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

  /** The register as a data gap names it (the CBS table too). */
  private gapName(register: RegisterId, field?: GapField): string {
    if (register === REGISTER.cbs && field === "valueBasis") {
      const t = this.valueTables;
      return `CBS value basis (tables ${t.woz}, ${t.surface}, ${t.priceIndex})`;
    }
    if (register === REGISTER.cbs) return `CBS Kerncijfers wijken en buurten (${this.cbsTable})`;
    return REGISTER_NAMES[register];
  }

  /** A data gap for `fields` of `register`: unknown, or stale since `retrievedAt`. */
  gap(register: RegisterId, fields: GapField[], error: unknown, retrievedAt: string | null = null): RegisterGap {
    const reason = error instanceof RegisterError ? error.message : String(error);
    return { register, name: this.gapName(register, fields[0]), fields, reason, stale: retrievedAt ? { retrievedAt } : null };
  }

  /**
   * Asks the register unless its last answer is fresh. On a register failure, falls back to the
   * older answer in D1 when there is one (`staleAt`: when it was retrieved), noting it in `gaps`
   * as stale; rethrows otherwise.
   */
  private async refresh(
    register: RegisterId,
    staleAt: string | null,
    ask: () => Promise<void>,
    stale?: { gaps: RegisterGap[] | undefined; fields: GapField[] },
  ): Promise<void> {
    try {
      await ask();
    } catch (error) {
      if (!(error instanceof RegisterError) || staleAt === null) throw error;
      log("warn", "register_stale_served", { register });
      stale?.gaps?.push(this.gap(register, stale.fields, error, staleAt));
    }
  }

  /**
   * The addresses at a postcode (and number). `gaps`, when given, receives a stale gap when the
   * Locatieserver failed and an older cached answer is returned (`fields` says for what).
   */
  async addressesForPostcode(
    postcode: string,
    houseNumber?: number,
    gaps?: RegisterGap[],
    fields: GapField[] = ["atPostcode"],
  ): Promise<Address[]> {
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
    const newest = records.filter((r) => r.found).sort((a, b) => b.retrievedAt.localeCompare(a.retrievedAt))[0];
    await this.refresh(
      REGISTER.locatieserver,
      newest?.retrievedAt ?? null,
      async () => {
        const found = await addressesAtPostcode(pc, houseNumber, this.http);
        await this.cache.writeAddresses(subject, found, { postcode: pc, ...(houseNumber !== undefined && { houseNumber }) });
      },
      { gaps, fields },
    );
    return onlyLive(await this.store.addressesForPostcode(pc, houseNumber));
  }

  /** Fetches every address at the key's postcode and number, then matches letter and addition (case-insensitive). */
  async findAddress(key: AddressKey, gaps?: RegisterGap[]): Promise<Address | null> {
    const pc = normalisePostcode(key.postcode);
    if (pc === null) return null;
    const candidates = await this.addressesForPostcode(pc, key.houseNumber, gaps, ["address"]);
    return matchAddress(candidates, { ...key, postcode: pc });
  }

  async addressById(id: string, gaps?: RegisterGap[]): Promise<Address | null> {
    if (!NUMMERAANDUIDING_RE.test(id)) return null;
    const subject = SUBJECT.address(id);
    const [record, row] = await this.cached(REGISTER.locatieserver, subject, this.store.addressRead({ addressId: id }));
    const cached = row && !row.source.synthetic ? row : null;
    if (row && !cached) return null;
    if (cached && this.fresh(cached.source.retrievedAt, TTL_MS.address)) return cached;
    // A fresh row (above) is newer than any miss; a stale row loses to a fresh miss.
    if (record && !record.found && this.fresh(record.retrievedAt, TTL_MS.address)) return null;
    let found = cached !== null;
    await this.refresh(
      REGISTER.locatieserver,
      cached?.source.retrievedAt ?? null,
      async () => {
        const address = await addressByNummeraanduiding(id, this.http);
        await this.cache.writeAddresses(subject, address ? [address] : []);
        found = address !== null;
      },
      { gaps, fields: ["address"] },
    );
    if (!found) return null;
    const after = await this.store.addressById(id);
    return after && !after.source.synthetic ? after : null;
  }

  async unit(unitId: string, gaps?: RegisterGap[]): Promise<Unit | null> {
    if (!isUnitSubject(unitId)) return null;
    const subject = SUBJECT.unit(unitId);
    const [record, unit] = await this.cached(REGISTER.bag, subject, this.store.unitRead(unitId));
    if (record && this.isFresh(record, TTL_MS.unit)) return record.found ? liveUnit(unit) : null;
    let found = record?.found ?? false;
    await this.refresh(
      REGISTER.bag,
      record?.retrievedAt ?? null,
      async () => {
        const answer = await fetchUnit(unitId, this.http, this.now());
        if (answer) await this.cache.writeUnit(subject, answer.unit, answer.buildings);
        else await this.cache.recordFetch(REGISTER.bag, subject, false);
        found = answer !== null;
      },
      { gaps, fields: ["unit"] },
    );
    if (!found) return null;
    return liveUnit(await this.store.unit(unitId));
  }

  async energyLabels(unitId: string, gaps?: RegisterGap[]): Promise<EnergyLabel[]> {
    if (!isLabelSubject(unitId)) return [];
    const subject = SUBJECT.labels(unitId);
    const [record, labels] = await this.cached(REGISTER.epOnline, subject, this.store.labelsRead(unitId));
    if (this.isFresh(record, TTL_MS.label)) return onlyLive(labels);
    const apiKey = this.apiKey;
    await this.refresh(
      REGISTER.epOnline,
      record?.retrievedAt ?? null,
      async () => {
        if (apiKey === undefined) throw new RegisterError(REGISTER.epOnline, EP_ONLINE_NOT_CONFIGURED);
        const fetched = await fetchLabels(unitId, apiKey, this.http);
        await this.cache.writeLabels(subject, unitId, fetched);
      },
      { gaps, fields: ["labels"] },
    );
    return onlyLive(await this.store.energyLabels(unitId));
  }

  async neighbourhood(code: string, gaps?: RegisterGap[]): Promise<Neighbourhood | null> {
    if (!BUURT_CODE_RE.test(code)) return null;
    const subject = SUBJECT.neighbourhood(this.cbsTable, code);
    const [record, n] = await this.cached(REGISTER.cbs, subject, this.store.neighbourhoodRead(code));
    if (record && this.isFresh(record, TTL_MS.neighbourhood)) return record.found ? liveNeighbourhood(n) : null;
    let found = record?.found ?? false;
    await this.refresh(
      REGISTER.cbs,
      record?.retrievedAt ?? null,
      async () => {
        const facts = await fetchNeighbourhood(code, this.http, this.cbsTable);
        if (facts) await this.cache.writeNeighbourhood(subject, facts);
        else await this.cache.recordFetch(REGISTER.cbs, subject, false);
        found = facts !== null;
      },
      { gaps, fields: ["neighbourhood"] },
    );
    if (!found) return null;
    return liveNeighbourhood(await this.store.neighbourhood(code));
  }

  /**
   * The gemeente with its live value basis (cbs-value.ts: CBS average WOZ ÷ average area, price
   * indexed), cached in `value_basis` for `TTL_MS.valueBasis`. When CBS fails, or no longer
   * publishes a basis for the gemeente, an older cached basis is returned and noted in `gaps` as
   * stale; without one, a CBS failure throws the `RegisterError` and "CBS has none" answers null
   * (so the assessment has no value range). Never a seeded (synthetic) figure.
   */
  async municipality(code: string, gaps?: RegisterGap[]): Promise<Municipality | null> {
    if (!isMunicipalityCode(code)) return null;
    const subject = SUBJECT.valueBasis(code);
    const [record, cachedBasis, row] = await this.db.batch<Record<string, unknown>>([
      this.cache.lastFetchStatement(REGISTER.cbs, subject),
      this.cache.valueBasisStatement(code),
      ...this.store.municipalityRead(code).statements,
    ]);
    const last = RegisterCache.recordOf(record);
    const cached = RegisterCache.valueBasisOf(cachedBasis);
    const d1 = this.store.municipalityRead(code).parse([row as D1Result<Record<string, unknown>>]);
    if (this.isFresh(last, TTL_MS.valueBasis)) return this.basisAnswer(code, d1, last?.found ? cached : null, cached, gaps);
    let basis: ValueBasis | null;
    try {
      basis = await fetchValueBasis(code, this.http, this.valueTables);
      await this.cache.writeValueBasis(code, basis);
    } catch (error) {
      if (!(error instanceof RegisterError) || !cached) throw error;
      log("warn", "register_stale_served", { register: REGISTER.cbs });
      gaps?.push(this.gap(REGISTER.cbs, ["valueBasis"], error, cached.retrievedAt));
      return withBasis(code, d1, cached);
    }
    return this.basisAnswer(code, d1, basis ? { basis, retrievedAt: this.now().toISOString() } : null, cached, gaps);
  }

  /**
   * The gemeente valued by its current basis; when CBS has none now, by the older cached one
   * (noted as stale), else null (unknown, never a seeded figure).
   */
  private basisAnswer(
    code: string,
    d1: Municipality | null | undefined,
    current: { basis: ValueBasis; retrievedAt: string } | null,
    older: { basis: ValueBasis; retrievedAt: string } | null,
    gaps: RegisterGap[] | undefined,
  ): Municipality | null {
    if (current) return withBasis(code, d1, current);
    if (older) {
      const reason = new RegisterError(REGISTER.cbs, `CBS publishes no value basis for ${code} in its current tables`);
      gaps?.push(this.gap(REGISTER.cbs, ["valueBasis"], reason, older.retrievedAt));
      return withBasis(code, d1, older);
    }
    return liveMunicipality(d1);
  }

  /**
   * A fact that must not fail the address: on a register failure the older cached answer when
   * there is one, else null with the register's message (`PropertyFacts.unavailable`).
   */
  private async optional<T extends { source: { retrievedAt: string } }>(
    register: RegisterId,
    field: GapField,
    stale: T | null,
    gaps: RegisterGap[],
    ask: () => Promise<T | null>,
  ): Promise<T | null> {
    try {
      return await ask();
    } catch (error) {
      if (!(error instanceof RegisterError)) throw error;
      if (stale !== null) {
        log("warn", "register_stale_served", { register });
        gaps.push(this.gap(register, [field], error, stale.source.retrievedAt));
        return stale;
      }
      log("warn", "register_fact_unavailable", { register });
      gaps.push(this.gap(register, [field], error));
      return null;
    }
  }

  /**
   * A fact whose register failing must not fail the address: on a `RegisterError` (after any
   * stale fallback the single method made) the fact is unknown and its register listed in `gaps`.
   */
  private async fact<T>(register: RegisterId, field: GapField, unknown: T, gaps: RegisterGap[], ask: () => Promise<T>): Promise<T> {
    try {
      return await ask();
    } catch (error) {
      if (!(error instanceof RegisterError)) throw error;
      log("warn", "register_fact_unavailable", { register });
      gaps.push(this.gap(register, [field], error));
      return unknown;
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
    const gaps: RegisterGap[] = [];
    const address = "addressId" in lookup ? await this.addressById(lookup.addressId, gaps) : await this.findAddress(lookup.key, gaps);
    if (!address) return null;
    const [facts] = await this.factsFor([address], want);
    if (!facts?.ok) throw facts?.error;
    return { ...facts.value, gaps: [...gaps, ...facts.value.gaps] };
  }

  /**
   * Many lookups at once: up to `ADDRESS_CONCURRENCY` addresses are under way together, each
   * found as `addressById` or `findAddress` finds it (asking the Locatieserver when the cache has
   * nothing fresh) and then given its facts as `factsFor` gives them, without waiting for the
   * others. How fast the registers are asked is up to their budgets (./budget.ts). A gemeente's
   * value basis and a buurt's figures are asked once for all the lookups in it. One lookup
   * failing fails only its own answer.
   */
  async properties(lookups: readonly AddressLookup[], want: readonly Fact[]): Promise<Array<Settled<PropertyFacts | null>>> {
    const shared = sharedReads();
    return mapConcurrently(lookups, ADDRESS_CONCURRENCY, async (lookup): Promise<Settled<PropertyFacts | null>> => {
      const gaps: RegisterGap[] = [];
      let address: Address | null;
      try {
        address = "addressId" in lookup ? await this.addressById(lookup.addressId, gaps) : await this.findAddress(lookup.key, gaps);
      } catch (error) {
        return { ok: false, error };
      }
      if (!address) return { ok: true, value: null };
      const [settled] = await this.factsFor([address], want, shared);
      if (!settled) return { ok: false, error: new Error("no facts for the address") };
      return settled.ok ? { ok: true, value: { ...settled.value, gaps: [...gaps, ...settled.value.gaps] } } : settled;
    });
  }

  /**
   * The facts about many addresses. One round trip reads what each register was last asked about
   * them together with what D1 holds; what is fresh there is the answer, exactly as the single
   * methods would give it. Only a stale or never-asked question goes through the single method,
   * which asks its register. The registers an address needs are asked side by side (its unit,
   * labels, buurt, gemeente, neighbours, parcel and monument need only the address), and the
   * addresses are under way together (up to `ADDRESS_CONCURRENCY`). A register failing fails
   * that address only; its gaps are listed in one fixed order whatever answered first.
   */
  async factsFor(
    addresses: readonly Address[],
    want: readonly Fact[],
    shared: SharedReads = sharedReads(),
  ): Promise<Array<Settled<PropertyFacts>>> {
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
    return mapConcurrently(addresses, ADDRESS_CONCURRENCY, async (address): Promise<Settled<PropertyFacts>> => {
      try {
        return { ok: true, value: await this.factsOf(address, want, factsOf(address, rows), fresh, bases, shared) };
      } catch (error) {
        return { ok: false, error };
      }
    });
  }

  /** One address's facts (see `factsFor`): every fact asked at once, gaps in the order of `PropertyFacts`. */
  private async factsOf(
    address: Address,
    want: readonly Fact[],
    d1: ReturnType<typeof factsOf>,
    fresh: (register: RegisterId, subject: string, ttlMs: number) => FetchRecord | null,
    bases: Map<string, { basis: ValueBasis; retrievedAt: string }>,
    shared: SharedReads,
  ): Promise<PropertyFacts> {
    /** A fact with the gaps its reading noted, kept apart so they can be listed in a fixed order. */
    const noted = async <T>(work: (gaps: RegisterGap[]) => Promise<T>): Promise<{ value: T; gaps: RegisterGap[] }> => {
      const gaps: RegisterGap[] = [];
      return { value: await work(gaps), gaps };
    };
    const none = <T>(value: T) => Promise.resolve({ value, gaps: [] as RegisterGap[] });

    const unit: Promise<{ value: Unit | null; gaps: RegisterGap[] }> =
      want.includes("unit") && isUnitSubject(address.unitId)
        ? noted(async (gaps) => {
            const record = fresh(REGISTER.bag, SUBJECT.unit(address.unitId), TTL_MS.unit);
            if (record) return record.found ? liveUnit(d1.unit) : null;
            return this.fact(REGISTER.bag, "unit", null, gaps, () => this.unit(address.unitId, gaps));
          })
        : none(null);
    const labels: Promise<{ value: EnergyLabel[]; gaps: RegisterGap[] }> =
      want.includes("labels") && isLabelSubject(address.unitId)
        ? noted(async (gaps) => {
            const record = fresh(REGISTER.epOnline, SUBJECT.labels(address.unitId), TTL_MS.label);
            if (record) return onlyLive(d1.labels);
            return this.fact(REGISTER.epOnline, "labels", [], gaps, () => this.energyLabels(address.unitId, gaps));
          })
        : none([]);
    const code = address.neighbourhoodCode;
    const neighbourhood: Promise<{ value: Neighbourhood | null; gaps: RegisterGap[] }> =
      want.includes("neighbourhood") && code && BUURT_CODE_RE.test(code)
        ? (() => {
            const record = fresh(REGISTER.cbs, SUBJECT.neighbourhood(this.cbsTable, code), TTL_MS.neighbourhood);
            if (record) return none(record.found ? liveNeighbourhood(d1.neighbourhood) : null);
            // One read per buurt, however many of its addresses are asked about at once; its gaps are shared.
            let pending = shared.neighbourhoods.get(code);
            if (!pending) {
              pending = noted((gaps) => this.fact(REGISTER.cbs, "neighbourhood", null, gaps, () => this.neighbourhood(code, gaps)));
              shared.neighbourhoods.set(code, pending);
            }
            return pending;
          })()
        : none(null);
    const municipality: Promise<{ value: Municipality | null; gaps: RegisterGap[] }> =
      want.includes("municipality") && isMunicipalityCode(address.municipalityCode)
        ? (() => {
            const gm = address.municipalityCode;
            // One value-basis read per gemeente, however many of its addresses are asked about.
            let pending = shared.municipalities.get(gm);
            if (!pending) {
              const cached = bases.get(gm) ?? null;
              const record = fresh(REGISTER.cbs, SUBJECT.valueBasis(gm), TTL_MS.valueBasis);
              // The gaps of a gemeente's one read are shared by every address in it.
              const own: RegisterGap[] = [];
              const read = record
                ? Promise.resolve(this.basisAnswer(gm, d1.municipality, record.found ? cached : null, cached, own))
                : this.municipality(gm, own);
              pending = read.then(
                (value) => ({ value, gaps: own }),
                (error: unknown) => {
                  if (!(error instanceof RegisterError)) throw error;
                  log("warn", "register_fact_unavailable", { register: REGISTER.cbs });
                  return { value: null, gaps: [...own, this.gap(REGISTER.cbs, ["valueBasis"], error)] };
                },
              );
              shared.municipalities.set(gm, pending);
            }
            return pending;
          })()
        : none(null);
    // An address without a postcode has no neighbours by postcode.
    const postcode = address.postcode;
    const atPostcode: Promise<{ value: Address[]; gaps: RegisterGap[] }> =
      want.includes("atPostcode") && postcode !== null
        ? noted((gaps) =>
            this.fact(REGISTER.locatieserver, "atPostcode", [], gaps, () => this.addressesForPostcode(postcode, undefined, gaps)),
          )
        : none([]);
    // A parcel or a monument: a fresh record of the register's answer (found or not) serves the
    // cached row; otherwise the register is asked, and a failure is a gap, not a failed address.
    const parcelOrMonument = <T extends Parcel | Monument>(
      fact: "parcel" | "monument",
      register: RegisterId,
      row: T | null | undefined,
      ask: () => Promise<T | null>,
    ): Promise<{ value: T | null; gaps: RegisterGap[] }> =>
      want.includes(fact) && isUnitSubject(address.unitId)
        ? noted(async (gaps) => {
            const record = fresh(register, PARCEL_MONUMENT_SUBJECT[fact](address.unitId), PARCEL_MONUMENT_TTL_MS[fact]);
            const cached = liveRow(row);
            if (record) return record.found ? cached : null;
            return this.optional(register, fact, cached, gaps, ask);
          })
        : none(null);
    const parcel = parcelOrMonument("parcel", REGISTER.brk, d1.parcel, () => this.askParcel(address));
    const monument = parcelOrMonument("monument", REGISTER.rce, d1.monument, () => this.askMonument(address.unitId));

    // Every fact settles before the address is answered (or fails), so nothing is left running.
    const all = [unit, labels, neighbourhood, municipality, atPostcode, parcel, monument] as const;
    for (const result of await Promise.allSettled(all)) if (result.status === "rejected") throw result.reason;
    const [u, l, n, m, p, pa, mo] = await Promise.all(all);
    return {
      address,
      unit: u.value,
      labels: l.value,
      neighbourhood: n.value,
      municipality: m.value,
      atPostcode: p.value,
      parcel: pa.value,
      monument: mo.value,
      gaps: [...u.gaps, ...l.gaps, ...n.gaps, ...m.gaps, ...p.gaps, ...pa.gaps, ...mo.gaps],
    };
  }
}

/** How many addresses `properties` and `factsFor` have under way at once (the registers' budgets pace them further). */
export const ADDRESS_CONCURRENCY = 16;

/** Reads shared by the addresses of one `properties` or `factsFor` call: one per gemeente and per buurt. */
interface SharedReads {
  municipalities: Map<string, Promise<{ value: Municipality | null; gaps: RegisterGap[] }>>;
  neighbourhoods: Map<string, Promise<{ value: Neighbourhood | null; gaps: RegisterGap[] }>>;
}

function sharedReads(): SharedReads {
  return { municipalities: new Map(), neighbourhoods: new Map() };
}

/** `work` over `items` with at most `limit` under way at once; the answers in the order of `items`. */
async function mapConcurrently<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

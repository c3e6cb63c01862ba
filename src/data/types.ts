import { z } from "zod";
import type { Address, AddressKey, EnergyLabel, Monument, Municipality, Neighbourhood, Parcel, Unit } from "../domain/records";
import { GAP_FIELDS } from "./gap-text";

export * from "../domain/records";

/**
 * What the stores need of D1: the binding itself or a session on it (`env.DB.withSession(...)`,
 * see services.ts). `batch` sends several statements in one round trip (and one transaction).
 */
export type D1Queryable = Pick<D1Database, "prepare" | "batch">;

/** An address as the stores look it up: by its BAG id, or by postcode, number, letter and addition. */
export type AddressLookup = { addressId: string } | { key: AddressKey };

/**
 * The facts a tool or an assessment can ask for about an address, besides the address itself:
 * its unit (with its panden), its energy labels, its buurt, its gemeente, and every address at
 * its postcode, its unit's cadastral parcel and its unit's rijksmonument.
 */
export type Fact = "unit" | "labels" | "neighbourhood" | "municipality" | "atPostcode" | "parcel" | "monument";

/** An address with the facts asked for; a fact not asked for is `null` or `[]`. */
export interface PropertyFacts {
  address: Address;
  unit: Unit | null;
  /** Newest registration first. */
  labels: EnergyLabel[];
  neighbourhood: Neighbourhood | null;
  municipality: Municipality | null;
  /** Every address at the address's postcode (itself included), in postcode order. */
  atPostcode: Address[];
  /** The cadastral parcel of the address's unit (the first by id when several). */
  parcel: Parcel | null;
  /** The rijksmonument the address's unit is part of (the lowest number when several). */
  monument: Monument | null;
  /**
   * Live data only: every register that could not answer for this address, with the facts it
   * supplies. Those facts are null or empty because they are unknown (`stale: null`), or hold the
   * register's older cached answer (`stale` says when it was retrieved). Empty when every register
   * asked answered (and always for the synthetic dataset).
   */
  gaps: RegisterGap[];
}

export { describeGap, GAP_FIELDS, type GapField } from "./gap-text";

/**
 * A register that could not answer (failed, timed out, answered malformed or doubtfully, or is
 * not configured). One shape for every tool's structured output (`registerGaps`) and the text.
 */
export const RegisterGapSchema = z.object({
  register: z.string().describe('Register id, e.g. "pdok-bag", "ep-online", "cbs-kwb", "rce-monuments".'),
  name: z.string().describe('The register (and CBS table) as users know it, e.g. "CBS Kerncijfers wijken en buurten (85984NED)".'),
  fields: z.array(z.enum(GAP_FIELDS)).describe("The facts this register supplies that are unknown or stale in this answer."),
  reason: z.string().describe("Why it could not answer, for the user."),
  stale: z
    .object({ retrievedAt: z.string().describe("When the cached answer used instead was retrieved (ISO 8601).") })
    .nullable()
    .describe("Null: the facts are unknown. Otherwise an older cached answer of the register was used (stale)."),
});
export type RegisterGap = z.infer<typeof RegisterGapSchema>;

/** One item's outcome in a batch read: a register can fail for one address and not the next. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Where property facts come from. `D1PropertyStore` reads the synthetic dataset in D1; `LiveSource`
 * asks the public registers (PDOK, EP-Online, CBS) and caches what they say in D1.
 * Methods return `null`/`[]` for "not found"; a register that cannot be reached throws
 * `RegisterError`, which tools turn into a clear error.
 *
 * The last three read many things at once, which is what keeps a tool call or a portfolio batch
 * to a fixed number of D1 round trips (test/data/round-trips.test.ts): in D1, `property` is one
 * round trip, and `properties` and `factsFor` are one each for any number of addresses.
 */
export interface PropertySource {
  /** `gaps`, when given, receives a stale gap when a register failed and older cached addresses are returned (live). */
  addressesForPostcode(postcode: string, houseNumber?: number, gaps?: RegisterGap[]): Promise<Address[]>;
  findAddress(key: AddressKey): Promise<Address | null>;
  addressById(id: string): Promise<Address | null>;
  unit(unitId: string): Promise<Unit | null>;
  energyLabels(unitId: string): Promise<EnergyLabel[]>;
  neighbourhood(code: string): Promise<Neighbourhood | null>;
  municipality(code: string): Promise<Municipality | null>;
  /** The address a lookup names with the facts asked for, or null when there is no such address. */
  property(lookup: AddressLookup, want: readonly Fact[]): Promise<PropertyFacts | null>;
  /** The address each lookup names with the facts asked for (null: no such address), in the lookups' order. */
  properties(lookups: readonly AddressLookup[], want: readonly Fact[]): Promise<Array<Settled<PropertyFacts | null>>>;
  /** The facts asked for about each address, in the addresses' order. */
  factsFor(addresses: readonly Address[], want: readonly Fact[]): Promise<Array<Settled<PropertyFacts>>>;
}

export { RegisterError } from "../errors";

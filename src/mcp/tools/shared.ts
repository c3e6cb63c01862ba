import { z } from "zod";
import { sourcesOf } from "../../data/sources";
import { type Address, describeGap, type RegisterGap, RegisterGapSchema, type Source, SourceSchema } from "../../data/types";
import { formatAddress } from "../../domain/address-input";
import { isUuid } from "../../domain/ids";
import { UserError } from "../../errors";

/** How tools take an address: a BAG address id, or postcode + house number (+ letter, addition); see data/resolve-address.ts. */
export const AddressSelector = {
  addressId: z.string().max(32).optional().describe("BAG id from Search_Addresses; or postcode + houseNumber."),
  postcode: z.string().max(40).optional(),
  houseNumber: z
    .union([z.number().int(), z.string().max(20)])
    .optional()
    .describe("20, or 20A-2 (letter, addition)."),
  houseLetter: z.string().max(5).optional(),
  houseNumberAddition: z.string().max(10).optional(),
};

/**
 * The SEP-2243 (2026-07-28) header name of a tool's `addressId` argument: a 2026-07-28 client
 * mirrors the argument into `Mcp-Param-Address-Id`, so a gateway in front of pandgate (Blockbrain's)
 * can route, log or rate-limit per address without reading the body, and the MCP SDK refuses a
 * call whose header disagrees with the body (400, -32020). 2025-era requests are not checked.
 */
export const ADDRESS_ID_HEADER = "Address-Id";

/**
 * `AddressSelector` for a tool about one property, its `addressId` declared as the
 * `Mcp-Param-Address-Id` header (`x-mcp-header`). Only at the root of a tool's input: the
 * declaration is not allowed under `items` (Assess_Portfolio's list keeps the plain selector).
 */
export const HeaderedAddressSelector = {
  ...AddressSelector,
  addressId: AddressSelector.addressId.meta({ "x-mcp-header": ADDRESS_ID_HEADER }),
};

export const Paging = {
  page: z.number().int().min(1).max(10_000).default(1),
  pageSize: z.number().int().min(1).max(100).default(25),
};

export const AddressOut = z.object({
  addressId: z.string().describe("BAG address (nummeraanduiding) id, 16 digits: what every tool takes as addressId."),
  label: z.string(),
  street: z.string(),
  houseNumber: z.number(),
  houseLetter: z.string().nullable(),
  houseNumberAddition: z.string().nullable(),
  postcode: z.string().nullable().describe("Null for a BAG address without a postcode (a shed, garage or mooring)."),
  place: z.string(),
  municipality: z.string().nullable(),
  isMainAddress: z.boolean(),
  unitId: z.string(),
});
export type AddressOutT = z.infer<typeof AddressOut>;

export const SourcesOut = z.array(SourceSchema);

export function addressOut(a: Address): AddressOutT {
  return {
    addressId: a.id,
    label: formatAddress(a),
    street: a.street,
    houseNumber: a.houseNumber,
    houseLetter: a.houseLetter,
    houseNumberAddition: a.houseNumberAddition,
    postcode: a.postcode,
    place: a.place,
    municipality: a.municipalityName,
    isMainAddress: a.isMain,
    unitId: a.unitId,
  };
}

export { sourcesOf };

/** A UUID-shaped id (assessments, jobs), lower-cased; `what` names it in the error, e.g. "an assessment id: ids". */
export function parseUuid(raw: string, what: string): string {
  const id = raw.trim().toLowerCase();
  if (!isUuid(id)) throw new UserError(`"${raw.slice(0, 40)}" is not ${what} look like 3f1c2a6e-8b4d-4e21-9a57-0c6d2e8f4b11.`);
  return id;
}

export function syntheticNote(sources: Source[]): string {
  return sources.some((s) => s.synthetic) ? "\n(Synthetic demonstration data, not real registers.)" : "";
}

/** Every register-reading tool's list of registers that could not answer (live data; [] otherwise). */
export const RegisterGapsOut = z.array(RegisterGapSchema).describe("Failed registers: their facts null or stale.");

/** The text lines for register gaps: a heading and one line per register, or nothing. */
export function gapLines(gaps: readonly RegisterGap[]): string[] {
  return gaps.length > 0 ? ["Data gaps (registers that could not answer):", ...gaps.map((g) => `- ${describeGap(g)}`)] : [];
}

/** When a source's facts were retrieved: the date for the synthetic dataset, date and time (UTC) for a register. */
function retrieved(s: Source): string {
  return s.synthetic ? `as of ${s.retrievedAt.slice(0, 10)}` : `retrieved ${s.retrievedAt.slice(0, 10)} ${s.retrievedAt.slice(11, 16)} UTC`;
}

/** The "Sources:" line (each register with its retrieval time), then the synthetic note when it applies. */
export function sourcesNote(sources: Source[]): string {
  if (sources.length === 0) return "";
  return `\nSources: ${sources.map((s) => `${s.register} (${retrieved(s)})`).join("; ")}${syntheticNote(sources)}`;
}

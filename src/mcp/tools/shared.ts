import { z } from "zod";
import type { Services } from "../../data/services";
import { sourcesOf } from "../../data/sources";
import { type Address, type AddressKey, type Source, SourceSchema } from "../../data/types";
import { formatAddress, formatHouseNumber, type Parsed, parseAddressId, parseAddressKey } from "../../domain/address-input";
import { ToolError } from "../catalog";

/** How tools take an address: a BAG address id, or postcode + house number (+ letter, addition). */
export const AddressSelector = {
  addressId: z.string().max(32).optional().describe("BAG address (nummeraanduiding) id, 16 digits. Use this or postcode + houseNumber."),
  postcode: z.string().max(40).optional().describe("Dutch postcode, e.g. 3815 DT or 3815DT."),
  houseNumber: z
    .union([z.number().int(), z.string().max(20)])
    .optional()
    .describe("House number, optionally with letter and addition: 20, '20A', '20-2', '20 A 2'."),
  houseLetter: z.string().max(5).optional().describe("House letter (one letter), if not part of houseNumber."),
  houseNumberAddition: z.string().max(10).optional().describe("House number addition (1–4 letters or digits), if not part of houseNumber."),
};
export type AddressSelectorInput = {
  addressId?: string | undefined;
  postcode?: string | undefined;
  houseNumber?: number | string | undefined;
  houseLetter?: string | undefined;
  houseNumberAddition?: string | undefined;
};

export const Paging = {
  page: z.number().int().min(1).max(10_000).default(1).describe("Page number, from 1."),
  pageSize: z.number().int().min(1).max(100).default(25).describe("Items per page, 1–100."),
};

export const AddressOut = z.object({
  id: z.string(),
  label: z.string(),
  street: z.string(),
  houseNumber: z.number(),
  houseLetter: z.string().nullable(),
  houseNumberAddition: z.string().nullable(),
  postcode: z.string(),
  place: z.string(),
  municipality: z.string().nullable(),
  isMainAddress: z.boolean(),
  unitId: z.string(),
});
export type AddressOutT = z.infer<typeof AddressOut>;

export const SourcesOut = z.array(SourceSchema).describe("Where the facts came from: register, retrieval time, synthetic flag.");

export function addressOut(a: Address): AddressOutT {
  return {
    id: a.id,
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID-shaped id (assessments, jobs), lower-cased; `what` names it in the error, e.g. "an assessment id: ids". */
export function parseUuid(raw: string, what: string): string {
  const id = raw.trim().toLowerCase();
  if (!UUID.test(id)) throw new ToolError(`"${raw.slice(0, 40)}" is not ${what} look like 3f1c2a6e-8b4d-4e21-9a57-0c6d2e8f4b11.`);
  return id;
}

export function syntheticNote(sources: Source[]): string {
  return sources.some((s) => s.synthetic) ? "\n(Synthetic demonstration data, not real registers.)" : "";
}

/**
 * Finds the address a tool was asked about, or throws a ToolError that says what was wrong with
 * the input, or that nothing is registered there with the nearest valid forms.
 */
/**
 * The normalised postcode, number, letter and addition a selector names, or null when it gives
 * no postcode and number.
 */
export function selectorKey(input: AddressSelectorInput): Parsed<AddressKey> | null {
  if (input.postcode === undefined || input.houseNumber === undefined) return null;
  return parseAddressKey({
    postcode: input.postcode,
    houseNumber: input.houseNumber,
    houseLetter: input.houseLetter ?? null,
    houseNumberAddition: input.houseNumberAddition ?? null,
  });
}

export async function resolveAddress(services: Services, input: AddressSelectorInput): Promise<Address> {
  if (input.addressId !== undefined && input.addressId.trim() !== "") {
    const id = parseAddressId(input.addressId);
    if (!id.ok) throw new ToolError(id.error);
    const found = await services.data.addressById(id.value);
    if (!found)
      throw new ToolError(`No address with BAG id ${id.value} is known. Look addresses up by postcode with Get_Addresses_for_Postcode.`);
    return found;
  }
  const key = selectorKey(input);
  if (key === null) {
    throw new ToolError("Say which address: give addressId, or postcode and houseNumber (e.g. postcode 3815 DT, houseNumber 20).");
  }
  if (!key.ok) throw new ToolError(key.error);
  const found = await services.data.findAddress(key.value);
  if (found) return found;

  const pc = `${key.value.postcode.slice(0, 4)} ${key.value.postcode.slice(4)}`;
  const wanted = formatHouseNumber(key.value);
  const atPostcode = await services.data.addressesForPostcode(key.value.postcode);
  if (atPostcode.length === 0) {
    throw new ToolError(
      `No addresses are known at postcode ${pc}. Check the postcode; Get_Addresses_for_Postcode lists the addresses at a postcode.`,
    );
  }
  const sameNumber = atPostcode.filter((a) => a.houseNumber === key.value.houseNumber);
  if (sameNumber.length > 0) {
    throw new ToolError(
      `No address ${pc} ${wanted} is known. At ${pc} ${key.value.houseNumber} there are: ${sameNumber.map(formatHouseNumber).join(", ")}.`,
    );
  }
  const numbers = [...new Set(atPostcode.map((a) => a.houseNumber))].sort(
    (x, y) => Math.abs(x - key.value.houseNumber) - Math.abs(y - key.value.houseNumber) || x - y,
  );
  throw new ToolError(
    `No address ${pc} ${wanted} is known. The nearest house numbers at ${pc} are: ${numbers
      .slice(0, 5)
      .sort((x, y) => x - y)
      .join(", ")}.`,
  );
}

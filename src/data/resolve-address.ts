import { formatHouseNumber, houseNumberReadings, type Parsed, parseAddressId, parseAddressKey } from "../domain/address-input";
import { UserError } from "../errors";
import type { Services } from "./services";
import type { Address, AddressKey, AddressLookup, Fact, PropertyFacts } from "./types";

/** An address as a caller names it: a BAG address id, or postcode + house number (+ letter, addition). */
export type AddressSelectorInput = {
  addressId?: string | undefined;
  postcode?: string | undefined;
  houseNumber?: number | string | undefined;
  houseLetter?: string | undefined;
  houseNumberAddition?: string | undefined;
};

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

/**
 * How the stores are to look up the address a selector names, or a UserError that says what is
 * wrong with the input. Reads nothing.
 */
export function lookupOf(input: AddressSelectorInput): AddressLookup {
  if (input.addressId !== undefined && input.addressId.trim() !== "") {
    const id = parseAddressId(input.addressId);
    if (!id.ok) throw new UserError(id.error);
    return { addressId: id.value };
  }
  const key = selectorKey(input);
  if (key === null) {
    throw new UserError("Say which address: give addressId, or postcode and houseNumber (e.g. postcode 3815 DT, houseNumber 20).");
  }
  if (!key.ok) throw new UserError(key.error);
  return { key: key.value };
}

/**
 * Finds the address a tool or a portfolio job was asked about, with the facts asked for (one
 * round trip in D1), or throws a UserError that says what was wrong with the input, or that
 * nothing is registered there with the nearest valid forms.
 */
export async function resolveProperty(services: Services, input: AddressSelectorInput, want: readonly Fact[]): Promise<PropertyFacts> {
  const lookup = lookupOf(input);
  const found = await services.data.property(lookup, want);
  if (found) return found;
  // "100-H" or "100 H": in Amsterdam H, 1, 2, III are additions, elsewhere H is a letter. The
  // other reading is tried before refusing (one more read, only on this path).
  if ("key" in lookup) {
    for (const other of houseNumberReadings(lookup.key).slice(1)) {
      const again = await services.data.property({ key: other }, want);
      if (again) return again;
    }
  }
  return notFound(services, lookup);
}

/** The address a selector names (see `resolveProperty`), without further facts. */
export async function resolveAddress(services: Services, input: AddressSelectorInput): Promise<Address> {
  return (await resolveProperty(services, input, [])).address;
}

/**
 * Throws the UserError for a lookup that found nothing: for a postcode and number, naming the
 * addresses that do exist there or the nearest house numbers (one more read, only on this path).
 */
export async function notFound(services: Services, lookup: AddressLookup): Promise<never> {
  if ("addressId" in lookup) {
    throw new UserError(
      `No address with BAG id ${lookup.addressId} is known. Look addresses up by postcode with Get_Addresses_for_Postcode.`,
    );
  }
  const key = lookup.key;
  const pc = `${key.postcode.slice(0, 4)} ${key.postcode.slice(4)}`;
  const wanted = formatHouseNumber(key);
  const atPostcode = await services.data.addressesForPostcode(key.postcode);
  if (atPostcode.length === 0) {
    throw new UserError(
      `No addresses are known at postcode ${pc}. Check the postcode; Get_Addresses_for_Postcode lists the addresses at a postcode.`,
    );
  }
  const sameNumber = atPostcode.filter((a) => a.houseNumber === key.houseNumber);
  if (sameNumber.length > 0) {
    throw new UserError(
      `No address ${pc} ${wanted} is known. At ${pc} ${key.houseNumber} there are: ${sameNumber.map(formatHouseNumber).join(", ")}.`,
    );
  }
  const numbers = [...new Set(atPostcode.map((a) => a.houseNumber))].sort(
    (x, y) => Math.abs(x - key.houseNumber) - Math.abs(y - key.houseNumber) || x - y,
  );
  throw new UserError(
    `No address ${pc} ${wanted} is known. The nearest house numbers at ${pc} are: ${numbers
      .slice(0, 5)
      .sort((x, y) => x - y)
      .join(", ")}.`,
  );
}

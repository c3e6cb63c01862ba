import { formatHouseNumber, type Parsed, parseAddressId, parseAddressKey } from "../domain/address-input";
import { UserError } from "../errors";
import type { Services } from "./services";
import type { Address, AddressKey } from "./types";

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
 * Finds the address a tool or a portfolio job was asked about, or throws a UserError that says
 * what was wrong with the input, or that nothing is registered there with the nearest valid forms.
 */
export async function resolveAddress(services: Services, input: AddressSelectorInput): Promise<Address> {
  if (input.addressId !== undefined && input.addressId.trim() !== "") {
    const id = parseAddressId(input.addressId);
    if (!id.ok) throw new UserError(id.error);
    const found = await services.data.addressById(id.value);
    if (!found)
      throw new UserError(`No address with BAG id ${id.value} is known. Look addresses up by postcode with Get_Addresses_for_Postcode.`);
    return found;
  }
  const key = selectorKey(input);
  if (key === null) {
    throw new UserError("Say which address: give addressId, or postcode and houseNumber (e.g. postcode 3815 DT, houseNumber 20).");
  }
  if (!key.ok) throw new UserError(key.error);
  const found = await services.data.findAddress(key.value);
  if (found) return found;

  const pc = `${key.value.postcode.slice(0, 4)} ${key.value.postcode.slice(4)}`;
  const wanted = formatHouseNumber(key.value);
  const atPostcode = await services.data.addressesForPostcode(key.value.postcode);
  if (atPostcode.length === 0) {
    throw new UserError(
      `No addresses are known at postcode ${pc}. Check the postcode; Get_Addresses_for_Postcode lists the addresses at a postcode.`,
    );
  }
  const sameNumber = atPostcode.filter((a) => a.houseNumber === key.value.houseNumber);
  if (sameNumber.length > 0) {
    throw new UserError(
      `No address ${pc} ${wanted} is known. At ${pc} ${key.value.houseNumber} there are: ${sameNumber.map(formatHouseNumber).join(", ")}.`,
    );
  }
  const numbers = [...new Set(atPostcode.map((a) => a.houseNumber))].sort(
    (x, y) => Math.abs(x - key.value.houseNumber) - Math.abs(y - key.value.houseNumber) || x - y,
  );
  throw new UserError(
    `No address ${pc} ${wanted} is known. The nearest house numbers at ${pc} are: ${numbers
      .slice(0, 5)
      .sort((x, y) => x - y)
      .join(", ")}.`,
  );
}

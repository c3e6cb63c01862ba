import type { Address, AddressKey, EnergyLabel, Municipality, Neighbourhood, Unit } from "../domain/records";

export * from "../domain/records";

/**
 * Where property facts come from. `D1PropertyStore` reads the synthetic dataset in D1; `LiveSource`
 * asks the public registers (PDOK, EP-Online, CBS) and caches what they say in D1.
 * Methods return `null`/`[]` for "not found"; a register that cannot be reached throws
 * `RegisterError`, which tools turn into a clear error.
 */
export interface PropertySource {
  addressesForPostcode(postcode: string, houseNumber?: number): Promise<Address[]>;
  findAddress(key: AddressKey): Promise<Address | null>;
  addressById(id: string): Promise<Address | null>;
  unit(unitId: string): Promise<Unit | null>;
  energyLabels(unitId: string): Promise<EnergyLabel[]>;
  neighbourhood(code: string): Promise<Neighbourhood | null>;
  municipality(code: string): Promise<Municipality | null>;
}

export { RegisterError } from "../errors";

import { z } from "zod";

/**
 * The records every property data source returns, whether it reads the synthetic dataset in D1
 * or a live register (cached in D1). Each carries where it came from. They are the domain's
 * vocabulary: the assessment reads them, the data layer fills them.
 */
export const SourceSchema = z.object({
  /** Register or generator: "synthetic", "pdok-locatieserver", "pdok-bag", "ep-online", "cbs-kwb". */
  register: z.string(),
  /** ISO 8601 time the data was retrieved from the register (or generated). */
  retrievedAt: z.string(),
  synthetic: z.boolean(),
});
export type Source = z.infer<typeof SourceSchema>;

export const AddressSchema = z.object({
  /** BAG nummeraanduiding id (16 digits). */
  id: z.string(),
  /** BAG verblijfsobject/ligplaats/standplaats id. */
  unitId: z.string(),
  isMain: z.boolean(),
  /** Null for the few BAG addresses without one (sheds, garages, some moorings): found by id only. */
  postcode: z.string().nullable(),
  houseNumber: z.number().int(),
  houseLetter: z.string().nullable(),
  houseNumberAddition: z.string().nullable(),
  street: z.string(),
  place: z.string(),
  municipalityCode: z.string(),
  municipalityName: z.string().nullable(),
  neighbourhoodCode: z.string().nullable(),
  lat: z.number(),
  lon: z.number(),
  source: SourceSchema,
});
export type Address = z.infer<typeof AddressSchema>;

export const BuildingSchema = z.object({
  id: z.string(),
  buildYear: z.number().int().nullable(),
  status: z.string(),
  source: SourceSchema,
});
export type Building = z.infer<typeof BuildingSchema>;

export const UnitSchema = z.object({
  id: z.string(),
  kind: z.enum(["verblijfsobject", "ligplaats", "standplaats"]),
  surfaceM2: z.number().int().nullable(),
  /** BAG gebruiksdoelen, one per entry (the register may join several with commas). */
  usePurposes: z.array(z.string()),
  status: z.string(),
  dwellingType: z.string().nullable(),
  /** BAG "in onderzoek"; null when the source does not say (PDOK BAG OGC API v2 does not publish it). */
  inResearch: z.boolean().nullable(),
  buildings: z.array(BuildingSchema),
  source: SourceSchema,
});
export type Unit = z.infer<typeof UnitSchema>;

export const EnergyLabelSchema = z.object({
  id: z.string(),
  unitId: z.string(),
  energyClass: z.string(),
  registeredAt: z.string(),
  inspectedAt: z.string().nullable(),
  validUntil: z.string(),
  method: z.enum(["NTA 8800", "Energie-Index"]),
  calculationType: z.string().nullable(),
  ep2KwhM2: z.number().nullable(),
  energyIndex: z.number().nullable(),
  buildingType: z.string().nullable(),
  source: SourceSchema,
});
export type EnergyLabel = z.infer<typeof EnergyLabelSchema>;

export const NeighbourhoodSchema = z.object({
  code: z.string(),
  name: z.string(),
  districtCode: z.string(),
  districtName: z.string().nullable(),
  municipalityCode: z.string(),
  municipalityName: z.string().nullable(),
  datasetYear: z.number().int(),
  inhabitants: z.number().nullable(),
  households: z.number().nullable(),
  avgHouseholdSize: z.number().nullable(),
  /** CBS unit ×1000 EUR, as published. */
  avgWozThousands: z.number().nullable(),
  /** Dwellings in the buurt (KWB `Woningvoorraad`); null when not published. */
  dwellings: z.number().nullable(),
  /** The municipality's average WOZ (×1000 EUR) from the same KWB table and year (its GM row); null when not known. */
  municipalityAvgWozThousands: z.number().nullable(),
  pctOwnerOccupied: z.number().nullable(),
  pctBuiltBefore1945: z.number().nullable(),
  distancesKm: z.object({
    gp: z.number().nullable(),
    supermarket: z.number().nullable(),
    school: z.number().nullable(),
    station: z.number().nullable(),
  }),
  liveabilityClass: z.number().int().nullable(),
  liveabilityDeviation: z.number().nullable(),
  crimePer1000: z.number().nullable(),
  floodDepthClass: z.string().nullable(),
  soilType: z.enum(["sand", "clay", "peat"]).nullable(),
  foundationRiskArea: z.boolean().nullable(),
  source: SourceSchema,
});
export type Neighbourhood = z.infer<typeof NeighbourhoodSchema>;

/**
 * Where a value per m² comes from: a CBS table chain (live mode) or the seeded table (synthetic).
 * `referenceDate` is the WOZ valuation date (1 January of the year before the WOZ year), null when unknown.
 */
export const ValueBasisSchema = z.object({
  source: z.string(),
  synthetic: z.boolean(),
  level: z.enum(["buurt", "gemeente", "corop"]),
  regionCode: z.string(),
  eurPerM2: z.number(),
  woz: z.object({ table: z.string(), column: z.string(), period: z.string(), avgEur: z.number().nullable() }),
  referenceDate: z.string().nullable(),
  surface: z.object({ table: z.string(), column: z.string(), period: z.string(), avgM2: z.number() }).nullable(),
  priceIndex: z
    .object({ table: z.string(), column: z.string(), basePeriod: z.string(), period: z.string(), factor: z.number() })
    .nullable(),
});
export type ValueBasis = z.infer<typeof ValueBasisSchema>;

export const MunicipalitySchema = z.object({
  code: z.string(),
  name: z.string(),
  provinceCode: z.string(),
  provinceName: z.string(),
  coropName: z.string(),
  wozPerM2: z.number(),
  wozPerM2Year: z.number().int(),
  /** Live mode: the CBS basis behind `wozPerM2`; absent for the seeded table. */
  valueBasis: ValueBasisSchema.optional(),
  source: SourceSchema,
});
export type Municipality = z.infer<typeof MunicipalitySchema>;

/** A cadastral parcel (BRK Kadastrale Kaart `perceel`), named by its kadastrale aanduiding. */
export const ParcelSchema = z.object({
  /** Kadastrale aanduiding "AKR code-sectie-perceelnummer", e.g. "AMF03-B-1234". */
  id: z.string(),
  /** AKR kadastrale gemeente code, e.g. "AMF03" (synthetic ones start "SY"). */
  cadastralCode: z.string(),
  cadastralName: z.string().nullable(),
  section: z.string(),
  parcelNumber: z.number().int(),
  /** Kadastrale grootte in m²; null when the register gives none. */
  areaM2: z.number().nullable(),
  /** Soort grootte (whether the area is established or provisional), as the register words it. */
  areaKind: z.string().nullable(),
  source: SourceSchema,
});
export type Parcel = z.infer<typeof ParcelSchema>;

/** A rijksmonument (Rijksmonumentenregister, RCE). */
export const MonumentSchema = z.object({
  number: z.number().int(),
  /** The register's page; null for a synthetic monument. */
  url: z.string().nullable(),
  source: SourceSchema,
});
export type Monument = z.infer<typeof MonumentSchema>;

/** The canonical key of a Dutch address. */
export interface AddressKey {
  postcode: string;
  houseNumber: number;
  houseLetter: string | null;
  houseNumberAddition: string | null;
}

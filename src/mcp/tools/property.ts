import { z } from "zod";
import { SCOPE_READ } from "../../auth/scopes";
import { resolveProperty } from "../../data/resolve-address";
import { EnergyLabelSchema, NeighbourhoodSchema, SourceSchema } from "../../data/types";
import { parsePostcode } from "../../domain/address-input";
import { buildYearOf, locationFlags, RiskSchema } from "../../domain/assessment";
import { expectedLabelForBuildYear, labelValidity, yearsBetween } from "../../domain/energy-label";
import { UserError } from "../../errors";
import type { ToolSpec } from "../catalog";
import { AddressOut, AddressSelector, addressOut, Paging, SourcesOut, sourcesOf, syntheticNote } from "./shared";

const READ_ONLY = { readOnlyHint: true, openWorldHint: false, idempotentHint: true } as const;

const postcodeInput = z.object({
  postcode: z.string().max(40).describe("Dutch postcode, e.g. 3815 DT."),
  houseNumber: z.number().int().min(1).max(99999).optional().describe("Only addresses with this house number."),
  ...Paging,
});
const postcodeOutput = z.object({
  postcode: z.string(),
  total: z.number(),
  page: z.number(),
  pageSize: z.number(),
  addresses: z.array(AddressOut),
  sources: SourcesOut,
});

export const getAddressesForPostcode: ToolSpec<typeof postcodeInput, typeof postcodeOutput> = {
  name: "Get_Addresses_for_Postcode",
  title: "Addresses at a postcode",
  description:
    "Lists the addresses at a Dutch postcode (e.g. 3815 DT), sorted by house number, letter and addition, with their BAG ids. Optionally only one house number. Paged.",
  input: postcodeInput,
  output: postcodeOutput,
  annotations: READ_ONLY,
  readsRegisters: true,
  requiredScopes: [SCOPE_READ],
  async run({ postcode, houseNumber, page, pageSize }, { services }) {
    const pc = parsePostcode(postcode);
    if (!pc.ok) throw new UserError(pc.error);
    const all = await services.data.addressesForPostcode(pc.value, houseNumber);
    if (all.length === 0) {
      throw new UserError(
        houseNumber === undefined
          ? `No addresses are known at postcode ${pc.value}.`
          : `No addresses with house number ${houseNumber} are known at postcode ${pc.value}; leave houseNumber out to see all.`,
      );
    }
    const slice = all.slice((page - 1) * pageSize, page * pageSize);
    return { postcode: pc.value, total: all.length, page, pageSize, addresses: slice.map(addressOut), sources: sourcesOf(...all) };
  },
  render(r) {
    const lines = r.addresses.map((a) => `- ${a.label} (addressId ${a.addressId})`);
    const more = r.total > r.page * r.pageSize ? `\n… page ${r.page} of ${Math.ceil(r.total / r.pageSize)}` : "";
    return `${r.total} address(es) at ${r.postcode}:\n${lines.join("\n")}${more}${syntheticNote(r.sources)}`;
  },
};

const addressInput = z.object(AddressSelector);

const propertyOutput = z.object({
  address: AddressOut,
  unit: z.object({
    id: z.string(),
    kind: z.string(),
    surfaceM2: z.number().nullable(),
    usePurposes: z.array(z.string()),
    status: z.string(),
    dwellingType: z.string().nullable(),
    inResearch: z
      .boolean()
      .nullable()
      .describe('BAG "in onderzoek" (register data under investigation); null when unknown: PDOK BAG OGC API v2 does not publish it.'),
  }),
  buildings: z.array(z.object({ id: z.string(), buildYear: z.number().nullable(), status: z.string() })),
  buildYear: z.number().nullable(),
  otherAddresses: z.array(z.string()),
  parcel: z
    .object({
      id: z.string().describe('Kadastrale aanduiding "AKR code-sectie-perceelnummer", e.g. AMF03-B-1234.'),
      cadastralCode: z.string(),
      section: z.string(),
      parcelNumber: z.number(),
      areaM2: z.number().nullable().describe("Kadastrale grootte in m² (the plot, not the floor area)."),
      designation: z.string().nullable().describe("Soort grootte: whether the area is established or provisional."),
      source: SourceSchema,
    })
    .nullable()
    .describe(
      "The cadastral parcel of the unit (BRK Kadastrale Kaart). Null when none is linked (houseboats, caravan pitches; in live mode also when the register links none or cannot be reached).",
    ),
  monument: z
    .object({
      number: z.number().describe("Rijksmonumentnummer."),
      url: z.string().nullable().describe("The Rijksmonumentenregister page; null for synthetic monuments."),
      source: SourceSchema,
    })
    .nullable()
    .describe(
      "The rijksmonument the unit is part of (Rijksmonumentenregister, RCE); null when it is not a listed national monument (in live mode also when the register cannot be reached).",
    ),
  missing: z
    .array(z.string())
    .optional()
    .describe("Live data only: why parcel or monument is null although it may exist (its register could not be reached)."),
  sources: SourcesOut,
});

export const getPropertyData: ToolSpec<typeof addressInput, typeof propertyOutput> = {
  name: "Get_Property_Data",
  title: "Unit and building facts",
  description:
    "Register facts (BAG) about the property at an address: the unit (usable area in m², use purposes, status, dwelling type) and its building(s) with build year and status. Give addressId, or postcode + houseNumber. With live register data, dwellingType is always null (BAG does not record it) and inResearch null (unknown: the BAG OGC API does not publish 'in onderzoek'); surfaceM2 and a building's buildYear are null where BAG has no plausible value. Also the unit's cadastral parcel (kadastrale aanduiding, plot area in m², soort grootte) and national monument status (rijksmonument number and register link): parcel is null when none is linked, monument null when the unit is not a rijksmonument; with live register data either can also be null when the register has not been asked or cannot be reached.",
  input: addressInput,
  output: propertyOutput,
  annotations: READ_ONLY,
  readsRegisters: true,
  requiredScopes: [SCOPE_READ],
  async run(args, { services }) {
    // One round trip in D1: the address, its unit and panden, the addresses at its postcode, its parcel and monument.
    const { address, unit, atPostcode, parcel, monument, unavailable } = await resolveProperty(services, args, [
      "unit",
      "atPostcode",
      "parcel",
      "monument",
    ]);
    if (!unit) throw new UserError(`The register has no unit for ${addressOut(address).label}.`);
    const siblings = atPostcode.filter((a) => a.unitId === unit.id && a.id !== address.id);
    return {
      address: addressOut(address),
      unit: {
        id: unit.id,
        kind: unit.kind,
        surfaceM2: unit.surfaceM2,
        usePurposes: unit.usePurposes,
        status: unit.status,
        dwellingType: unit.dwellingType,
        inResearch: unit.inResearch,
      },
      buildings: unit.buildings.map((b) => ({ id: b.id, buildYear: b.buildYear, status: b.status })),
      buildYear: buildYearOf(unit),
      otherAddresses: siblings.map((a) => addressOut(a).label),
      parcel: parcel
        ? {
            id: parcel.id,
            cadastralCode: parcel.cadastralCode,
            section: parcel.section,
            parcelNumber: parcel.parcelNumber,
            areaM2: parcel.areaM2,
            designation: parcel.areaKind,
            source: parcel.source,
          }
        : null,
      monument: monument ? { number: monument.number, url: monument.url, source: monument.source } : null,
      ...(unavailable &&
        Object.keys(unavailable).length > 0 && {
          missing: Object.entries(unavailable).map(([fact, why]) => `${fact === "parcel" ? "Parcel" : "Monument status"}: ${why}`),
        }),
      sources: sourcesOf(address, unit, ...unit.buildings, parcel, monument),
    };
  },
  render(r) {
    return (
      [
        r.address.label,
        `${r.unit.kind}, ${r.unit.surfaceM2 ?? "unknown"} m², ${r.unit.usePurposes.join(", ")}; status: ${r.unit.status}${r.unit.dwellingType ? `; ${r.unit.dwellingType}` : ""}`,
        ...(r.unit.inResearch === true ? ["Some register data of the unit is under investigation (in onderzoek)."] : []),
        ...(r.unit.inResearch === null
          ? ["Missing: whether the register data is under investigation (in onderzoek); the register does not say."]
          : []),
        `Building(s): ${r.buildings.map((b) => `${b.id} (built ${b.buildYear ?? "unknown"}, ${b.status})`).join("; ")}`,
        r.parcel
          ? `Parcel ${r.parcel.id}: ${r.parcel.areaM2 ?? "unknown"} m²${r.parcel.designation ? ` (${r.parcel.designation})` : ""}`
          : unknownFact(r.missing, "Parcel")
            ? "Parcel: unknown"
            : "Parcel: none linked",
        r.monument
          ? `Rijksmonument ${r.monument.number}${r.monument.url ? ` (${r.monument.url})` : ""}`
          : unknownFact(r.missing, "Monument status")
            ? "Rijksmonument: unknown"
            : "Not a rijksmonument",
        ...(r.missing ?? []).map((m) => `Missing: ${m}`),
      ].join("\n") + syntheticNote(r.sources)
    );
  },
};

/** Whether a register could not be asked for this fact (it is then unknown, not absent). */
function unknownFact(missing: readonly string[] | undefined, fact: string): boolean {
  return (missing ?? []).some((line) => line.startsWith(`${fact}:`));
}

const LabelOut = EnergyLabelSchema.omit({ source: true, unitId: true });
const labelOutput = z.object({
  address: AddressOut,
  current: LabelOut.nullable(),
  validity: z.object({ status: z.enum(["valid", "expired", "none"]), validUntil: z.string().nullable(), ageYears: z.number().nullable() }),
  history: z.array(LabelOut),
  substituteLabelForBuildYear: z
    .object({ label: z.string(), buildYear: z.number(), basis: z.string() })
    .nullable()
    .describe(
      "The WWS substitute label for the build year: the label the rent points system (Woningwaarderingsstelsel) counts when a dwelling has no registered label. A statutory stand-in, not a prediction of the label the property would get.",
    ),
  sources: SourcesOut,
});

export const getPropertyEnergyLabel: ToolSpec<typeof addressInput, typeof labelOutput> = {
  name: "Get_Property_Energy_Label",
  title: "Energy label",
  description:
    "The registered energy label (EP-Online) of the property at an address: class, registration and expiry dates, method (NTA 8800 or the older Energie-Index), EP2 or index, earlier labels, and the WWS substitute label for the build year (the label the rent points system counts when a dwelling has none; not a prediction). current is null when no label is registered (common: many dwellings, houseboats and non-residential units have none); ep2KwhM2 is null for Energie-Index labels and energyIndex for NTA 8800 ones.",
  input: addressInput,
  output: labelOutput,
  annotations: READ_ONLY,
  readsRegisters: true,
  requiredScopes: [SCOPE_READ],
  async run(args, { services }) {
    const { address, labels, unit } = await resolveProperty(services, args, ["labels", "unit"]);
    const now = services.now();
    const strip = ({ source: _s, unitId: _u, ...rest }: (typeof labels)[number]) => rest;
    const current = labels[0] ?? null;
    const buildYear = buildYearOf(unit);
    return {
      address: addressOut(address),
      current: current ? strip(current) : null,
      validity: current
        ? {
            status: labelValidity(current.validUntil, now),
            validUntil: current.validUntil,
            ageYears: yearsBetween(current.registeredAt, now),
          }
        : { status: "none" as const, validUntil: null, ageYears: null },
      history: labels.slice(1).map(strip),
      substituteLabelForBuildYear:
        buildYear === null
          ? null
          : {
              label: expectedLabelForBuildYear(buildYear),
              buildYear,
              basis:
                "WWS substitute label by build year (rent points system, used when a dwelling has no registered label: ≥2002 A … ≤1976 G); not a registration and not a prediction",
            },
      sources: sourcesOf(address, ...labels),
    };
  },
  render(r) {
    const head = r.current
      ? `Label ${r.current.energyClass} (${r.current.method}${r.current.ep2KwhM2 !== null ? `, EP2 ${r.current.ep2KwhM2} kWh/m²·yr` : ""}${r.current.energyIndex !== null ? `, EI ${r.current.energyIndex}` : ""}), registered ${r.current.registeredAt.slice(0, 10)}, ${r.validity.status} until ${r.validity.validUntil?.slice(0, 10)}`
      : "No registered energy label.";
    const expected = r.substituteLabelForBuildYear
      ? `\nWWS substitute label for build year ${r.substituteLabelForBuildYear.buildYear}: ${r.substituteLabelForBuildYear.label} (what the rent points system counts without a label; not a prediction).`
      : "";
    return `${r.address.label}\n${head}${expected}${syntheticNote(r.sources)}`;
  },
};

const locationOutput = z.object({
  address: AddressOut,
  coordinates: z.object({ lat: z.number(), lon: z.number() }),
  neighbourhood: NeighbourhoodSchema.omit({ source: true, avgWozThousands: true })
    .extend({ avgWozEur: z.number().nullable().describe("Average WOZ value of dwellings, in euros.") })
    .nullable(),
  flags: z.array(RiskSchema),
  note: z.string(),
  sources: SourcesOut,
});

export const analyzePropertyLocation: ToolSpec<typeof addressInput, typeof locationOutput> = {
  name: "Analyze_Property_Location",
  title: "Neighbourhood and location",
  description:
    "The neighbourhood (buurt) of an address with its statistics (inhabitants, average WOZ value in euros, owner-occupation, distances to GP, supermarket, school and station, liveability, crime, flood depth class, soil), and location flags with their basis. With live register data (CBS Kerncijfers wijken en buurten) the station distance, share built before 1945, liveability, crime, flood depth, soil type and foundation risk are always null, since CBS does not publish them in that table, so no location flags come from them; any CBS figure the table leaves out for a small buurt is null too, never 0. neighbourhood is null when the address has no buurt or CBS has no row for it.",
  input: addressInput,
  output: locationOutput,
  annotations: READ_ONLY,
  readsRegisters: true,
  requiredScopes: [SCOPE_READ],
  async run(args, { services }) {
    const { address, neighbourhood: n } = await resolveProperty(services, args, ["neighbourhood"]);
    const neighbourhood = n
      ? (({ source: _s, avgWozThousands, ...rest }) => ({
          ...rest,
          // CBS publishes ×1000 EUR; every tool answers in euros.
          avgWozEur: avgWozThousands === null ? null : Math.round(avgWozThousands * 1000),
        }))(n)
      : null;
    return {
      address: addressOut(address),
      coordinates: { lat: address.lat, lon: address.lon },
      neighbourhood,
      flags: locationFlags(n),
      note: n
        ? "Neighbourhood figures describe the area, not this property. Average WOZ is in euros (CBS publishes it in thousands)."
        : "No neighbourhood statistics are available for this address.",
      sources: sourcesOf(address, n),
    };
  },
  render(r) {
    const n = r.neighbourhood;
    if (!n) return `${r.address.label}\n${r.note}`;
    return (
      [
        `${r.address.label} — buurt ${n.name} (${n.code}), ${n.municipalityName ?? n.municipalityCode}, ${n.datasetYear}`,
        `Inhabitants ${n.inhabitants ?? "?"}, average WOZ ${n.avgWozEur === null ? "?" : `€${n.avgWozEur.toLocaleString("en-GB")}`}, owner-occupied ${n.pctOwnerOccupied ?? "?"} %`,
        `Distances (km): GP ${n.distancesKm.gp ?? "?"}, supermarket ${n.distancesKm.supermarket ?? "?"}, school ${n.distancesKm.school ?? "?"}, station ${n.distancesKm.station ?? "?"}`,
        ...r.flags.map((f) => `! ${f.severity}: ${f.evidence}`),
      ].join("\n") + syntheticNote(r.sources)
    );
  },
};

import { z } from "zod";
import { SCOPE_READ } from "../../auth/scopes";
import { resolveProperty } from "../../data/resolve-address";
import { EnergyLabelSchema, NeighbourhoodSchema, type RegisterGap, SourceSchema } from "../../data/types";
import { parsePostcode } from "../../domain/address-input";
import { buildYearOf, isDwelling, locationFlags, RiskSchema } from "../../domain/assessment";
import { expectedLabelForBuildYear, labelValidity, yearsBetween } from "../../domain/energy-label";
import { UserError } from "../../errors";
import { PROPERTY_CARD } from "../apps";
import type { ToolSpec } from "../catalog";
import {
  AddressOut,
  addressOut,
  gapLines,
  HeaderedAddressSelector,
  Paging,
  RegisterGapsOut,
  SourcesOut,
  sourcesNote,
  sourcesOf,
} from "./shared";

const READ_ONLY = { readOnlyHint: true, openWorldHint: false, idempotentHint: true } as const;

const postcodeInput = z.object({
  postcode: z.string().max(40).describe("Dutch postcode, e.g. 3815 DT."),
  houseNumber: z.number().int().min(1).max(99999).optional().describe("Only this house number."),
  ...Paging,
});
const postcodeOutput = z.object({
  postcode: z.string(),
  total: z.number(),
  page: z.number(),
  pageSize: z.number(),
  addresses: z.array(AddressOut),
  registerGaps: RegisterGapsOut,
  sources: SourcesOut,
});

export const getAddressesForPostcode: ToolSpec<typeof postcodeInput, typeof postcodeOutput> = {
  name: "Get_Addresses_for_Postcode",
  title: "Addresses at a postcode",
  description: "Addresses at a Dutch postcode with BAG ids; paged. Use when you have a postcode, not an address.",
  input: postcodeInput,
  output: postcodeOutput,
  annotations: READ_ONLY,
  readsRegisters: true,
  stateless: true,
  requiredScopes: [SCOPE_READ],
  async run({ postcode, houseNumber, page, pageSize }, { services }) {
    const pc = parsePostcode(postcode);
    if (!pc.ok) throw new UserError(pc.error);
    const registerGaps: RegisterGap[] = [];
    const all = await services.data.addressesForPostcode(pc.value, houseNumber, registerGaps);
    if (all.length === 0) {
      throw new UserError(
        houseNumber === undefined
          ? `No addresses are known at postcode ${pc.value}.`
          : `No addresses with house number ${houseNumber} are known at postcode ${pc.value}; leave houseNumber out to see all.`,
      );
    }
    const slice = all.slice((page - 1) * pageSize, page * pageSize);
    return {
      postcode: pc.value,
      total: all.length,
      page,
      pageSize,
      addresses: slice.map(addressOut),
      registerGaps,
      sources: sourcesOf(...all),
    };
  },
  render(r) {
    const lines = r.addresses.map((a) => `- ${a.label} (addressId ${a.addressId})${addressNotes(a)}`);
    const more = r.total > r.page * r.pageSize ? `\n… page ${r.page} of ${Math.ceil(r.total / r.pageSize)}` : "";
    const gaps = gapLines(r.registerGaps);
    return `${r.total} address(es) at ${r.postcode}:\n${lines.join("\n")}${more}${gaps.length ? `\n${gaps.join("\n")}` : ""}${sourcesNote(r.sources)}`;
  },
};

const addressInput = z.object(HeaderedAddressSelector);

/** What the address label leaves out: a secondary address (nevenadres), a municipality other than the place. */
function addressNotes(a: z.infer<typeof AddressOut>): string {
  const notes = [
    a.isMainAddress ? null : "nevenadres",
    a.postcode === null ? "no postcode in BAG" : null,
    a.municipality === null ? "municipality unknown" : a.municipality !== a.place ? `gemeente ${a.municipality}` : null,
  ].filter((x) => x !== null);
  return notes.length > 0 ? ` (${notes.join(", ")})` : "";
}

/** The address heading of a one-address answer: its label, BAG id and what the label leaves out. */
export function addressHeading(a: z.infer<typeof AddressOut>): string {
  return `${a.label} (BAG address id ${a.addressId})${addressNotes(a)}`;
}

const propertyOutput = z.object({
  address: AddressOut,
  unit: z
    .object({
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
    })
    .nullable()
    .describe("Null only if BAG failed."),
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
    .describe("BRK parcel; null if none or unknown."),
  monument: z
    .object({
      number: z.number().describe("Rijksmonumentnummer."),
      url: z.string().nullable().describe("The Rijksmonumentenregister page; null for synthetic monuments."),
      source: SourceSchema,
    })
    .nullable()
    .describe("Rijksmonument (RCE); null if none or unknown."),
  registerGaps: RegisterGapsOut,
  sources: SourcesOut,
});

export const getPropertyData: ToolSpec<typeof addressInput, typeof propertyOutput> = {
  name: "Get_Property_Data",
  app: PROPERTY_CARD.uri,
  title: "Unit and building facts",
  description:
    "BAG facts of an address (unit area, use, status; buildings, build year), cadastral parcel and rijksmonument status. Use for physical facts.",
  input: addressInput,
  output: propertyOutput,
  annotations: READ_ONLY,
  readsRegisters: true,
  stateless: true,
  requiredScopes: [SCOPE_READ],
  async run(args, { services }) {
    // One round trip in D1: the address, its unit and panden, the addresses at its postcode, its parcel and monument.
    const { address, unit, atPostcode, parcel, monument, gaps } = await resolveProperty(services, args, [
      "unit",
      "atPostcode",
      "parcel",
      "monument",
    ]);
    const unitUnknown = gaps.some((g) => g.fields.includes("unit") && g.stale === null);
    if (!unit && !unitUnknown) throw new UserError(`The register has no unit for ${addressOut(address).label}.`);
    const siblings = unit ? atPostcode.filter((a) => a.unitId === unit.id && a.id !== address.id) : [];
    return {
      address: addressOut(address),
      unit: unit
        ? {
            id: unit.id,
            kind: unit.kind,
            surfaceM2: unit.surfaceM2,
            usePurposes: unit.usePurposes,
            status: unit.status,
            dwellingType: unit.dwellingType,
            inResearch: unit.inResearch,
          }
        : null,
      buildings: (unit?.buildings ?? []).map((b) => ({ id: b.id, buildYear: b.buildYear, status: b.status })),
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
      registerGaps: gaps,
      sources: sourcesOf(address, unit, ...(unit?.buildings ?? []), parcel, monument),
    };
  },
  render(r) {
    const unknown = (field: RegisterGap["fields"][number]) => r.registerGaps.some((g) => g.fields.includes(field) && g.stale === null);
    const u = r.unit;
    return (
      [
        addressHeading(r.address),
        u
          ? `${u.kind} ${u.id}, ${u.surfaceM2 ?? "unknown"} m², ${u.usePurposes.join(", ") || "no use purpose registered"}; status: ${u.status}${u.dwellingType ? `; ${u.dwellingType}` : ""}`
          : "Unit and building facts: unknown",
        ...(u?.inResearch === true ? ["Some register data of the unit is under investigation (in onderzoek)."] : []),
        ...(u && u.inResearch === null
          ? ["Missing: whether the register data is under investigation (in onderzoek); the register does not say."]
          : []),
        ...(u
          ? [
              r.buildings.length > 0
                ? `Building(s): ${r.buildings.map((b) => `${b.id} (built ${b.buildYear ?? "unknown"}, ${b.status})`).join("; ")}`
                : `No building (pand): a ${u.kind} has none, so no build year.`,
            ]
          : []),
        ...(r.otherAddresses.length > 0 ? [`Other addresses of this unit: ${r.otherAddresses.join("; ")}`] : []),
        r.parcel
          ? `Parcel ${r.parcel.id}: ${r.parcel.areaM2 ?? "unknown"} m²${r.parcel.designation ? ` (${r.parcel.designation})` : ""}`
          : unknown("parcel")
            ? "Parcel: unknown"
            : "Parcel: none linked",
        r.monument
          ? `Rijksmonument ${r.monument.number}${r.monument.url ? ` (${r.monument.url})` : ""}`
          : unknown("monument")
            ? "Rijksmonument: unknown"
            : "Not a rijksmonument",
        ...gapLines(r.registerGaps),
      ].join("\n") + sourcesNote(r.sources)
    );
  },
};

const LabelOut = EnergyLabelSchema.omit({ source: true, unitId: true });
const labelOutput = z.object({
  address: AddressOut,
  current: LabelOut.nullable(),
  validity: z.object({
    status: z
      .enum(["valid", "expired", "none", "unknown"])
      .describe('"none": no label is registered; "unknown": EP-Online could not be asked (registerGaps names it).'),
    validUntil: z.string().nullable(),
    ageYears: z.number().nullable(),
  }),
  history: z.array(LabelOut),
  substituteLabelForBuildYear: z
    .object({ label: z.string(), buildYear: z.number(), basis: z.string() })
    .nullable()
    .describe("WWS substitute label (statutory, not a prediction)."),
  noSubstituteLabelReason: z.string().nullable(),
  registerGaps: RegisterGapsOut,
  sources: SourcesOut,
});

export const getPropertyEnergyLabel: ToolSpec<typeof addressInput, typeof labelOutput> = {
  name: "Get_Property_Energy_Label",
  title: "Energy label",
  description:
    "Registered energy label (EP-Online) of an address, earlier labels and the WWS substitute label. Use for sustainability questions.",
  input: addressInput,
  output: labelOutput,
  annotations: READ_ONLY,
  readsRegisters: true,
  stateless: true,
  requiredScopes: [SCOPE_READ],
  async run(args, { services }) {
    const { address, labels, unit, gaps } = await resolveProperty(services, args, ["labels", "unit"]);
    const labelsUnknown = gaps.some((g) => g.fields.includes("labels") && g.stale === null);
    const now = services.now();
    const strip = ({ source: _s, unitId: _u, ...rest }: (typeof labels)[number]) => rest;
    const current = labels[0] ?? null;
    const buildYear = buildYearOf(unit);
    const noSubstituteLabelReason = !unit
      ? "the unit and its use are not known"
      : !isDwelling(unit)
        ? `not a dwelling (use: ${unit.usePurposes.join(", ") || "none registered"}); WWS covers dwellings only`
        : buildYear === null
          ? "no build year is registered"
          : null;
    return {
      address: addressOut(address),
      current: current ? strip(current) : null,
      validity: current
        ? {
            status: labelValidity(current.validUntil, now),
            validUntil: current.validUntil,
            ageYears: yearsBetween(current.registeredAt, now),
          }
        : { status: labelsUnknown ? ("unknown" as const) : ("none" as const), validUntil: null, ageYears: null },
      history: labels.slice(1).map(strip),
      // WWS (the rent points system) covers dwellings only: no substitute label for an office, shop, etc.
      substituteLabelForBuildYear:
        buildYear === null || !isDwelling(unit)
          ? null
          : {
              label: expectedLabelForBuildYear(buildYear),
              buildYear,
              basis:
                "WWS substitute label by build year (rent points system, used when a dwelling has no registered label: ≥2002 A … ≤1976 G); not a registration and not a prediction",
            },
      noSubstituteLabelReason,
      registerGaps: gaps,
      sources: sourcesOf(address, ...labels),
    };
  },
  render(r) {
    const head =
      r.validity.status === "unknown"
        ? "Energy label: unknown."
        : r.current
          ? `${labelLine(r.current)}, ${r.validity.status} until ${r.validity.validUntil?.slice(0, 10)} (${r.validity.ageYears} year(s) since registration)`
          : "No registered energy label.";
    const history =
      r.history.length > 0
        ? `\nEarlier labels:\n${r.history.map((l) => `- ${labelLine(l)}, valid until ${l.validUntil.slice(0, 10)}`).join("\n")}`
        : "";
    const expected = r.substituteLabelForBuildYear
      ? `\nWWS substitute label for build year ${r.substituteLabelForBuildYear.buildYear}: ${r.substituteLabelForBuildYear.label} (${r.substituteLabelForBuildYear.basis}).`
      : `\nNo WWS substitute label: ${r.noSubstituteLabelReason ?? "unknown why"}.`;
    const gaps = gapLines(r.registerGaps);
    return `${addressHeading(r.address)}\n${head}${history}${expected}${gaps.length ? `\n${gaps.join("\n")}` : ""}${sourcesNote(r.sources)}`;
  },
};

/** One registered label: class, method and its figure, dates, calculation and building type. */
function labelLine(l: z.infer<typeof LabelOut>): string {
  const figure = `${l.ep2KwhM2 !== null ? `, EP2 ${l.ep2KwhM2} kWh/m²·yr` : ""}${l.energyIndex !== null ? `, EI ${l.energyIndex}` : ""}`;
  const detail = [
    l.inspectedAt ? `inspected ${l.inspectedAt.slice(0, 10)}` : null,
    l.calculationType ? `calculation ${l.calculationType}` : null,
    l.buildingType ? `building type ${l.buildingType}` : null,
  ].filter((x) => x !== null);
  return `Label ${l.energyClass} (${l.method}${figure}), registered ${l.registeredAt.slice(0, 10)}${detail.length > 0 ? `; ${detail.join(", ")}` : ""}`;
}

const locationOutput = z.object({
  address: AddressOut,
  coordinates: z.object({ lat: z.number(), lon: z.number() }),
  neighbourhood: NeighbourhoodSchema.omit({ source: true, avgWozThousands: true, municipalityAvgWozThousands: true })
    .extend({
      avgWozEur: z.number().nullable().describe("Average WOZ value of dwellings, in euros."),
      municipalityAvgWozEur: z
        .number()
        .nullable()
        .describe("The municipality's average WOZ value of dwellings from the same table and year, in euros."),
    })
    .nullable(),
  flags: z.array(RiskSchema),
  note: z.string(),
  registerGaps: RegisterGapsOut,
  sources: SourcesOut,
});

export const analyzePropertyLocation: ToolSpec<typeof addressInput, typeof locationOutput> = {
  name: "Analyze_Property_Location",
  title: "Neighbourhood and location",
  description: "The buurt of an address with CBS figures (WOZ, inhabitants, distances) and location flags. Use for location questions.",
  input: addressInput,
  output: locationOutput,
  annotations: READ_ONLY,
  readsRegisters: true,
  stateless: true,
  requiredScopes: [SCOPE_READ],
  async run(args, { services }) {
    const { address, neighbourhood: n, gaps } = await resolveProperty(services, args, ["neighbourhood"]);
    const unknown = gaps.some((g) => g.fields.includes("neighbourhood") && g.stale === null);
    const neighbourhood = n
      ? (({ source: _s, avgWozThousands, municipalityAvgWozThousands, ...rest }) => ({
          ...rest,
          // CBS publishes ×1000 EUR; every tool answers in euros.
          avgWozEur: avgWozThousands === null ? null : Math.round(avgWozThousands * 1000),
          municipalityAvgWozEur: municipalityAvgWozThousands === null ? null : Math.round(municipalityAvgWozThousands * 1000),
        }))(n)
      : null;
    return {
      address: addressOut(address),
      coordinates: { lat: address.lat, lon: address.lon },
      neighbourhood,
      flags: locationFlags(n),
      note: n
        ? "Neighbourhood figures describe the area, not this property. Average WOZ is in euros (CBS publishes it in thousands)."
        : unknown
          ? "The neighbourhood statistics are unknown: their register could not be asked."
          : "No neighbourhood statistics are available for this address.",
      registerGaps: gaps,
      sources: sourcesOf(address, n),
    };
  },
  render(r) {
    const n = r.neighbourhood;
    const where = `${addressHeading(r.address)}\nCoordinates ${r.coordinates.lat}, ${r.coordinates.lon} (WGS 84)`;
    if (!n) return [where, r.note, ...gapLines(r.registerGaps)].join("\n") + sourcesNote(r.sources);
    const yesNo = (b: boolean | null) => (b === null ? "unknown" : b ? "yes" : "no");
    // A figure the table does not give is "unknown", with its unit only when there is a figure.
    const fig = (v: number | null, unit = "") => (v === null ? "unknown" : `${v}${unit}`);
    const euro = (v: number | null) => (v === null ? "unknown" : `€${v.toLocaleString("en-GB")}`);
    return (
      [
        where,
        `Buurt ${n.name} (${n.code}) in wijk ${n.districtName ?? "unknown"} (${n.districtCode}), ${n.municipalityName ?? "municipality unknown"} (${n.municipalityCode}); CBS figures for ${n.datasetYear}`,
        `Inhabitants ${fig(n.inhabitants)}, households ${fig(n.households)} (average size ${fig(n.avgHouseholdSize)}), dwellings ${fig(n.dwellings)}, average WOZ ${euro(n.avgWozEur)} (municipality ${euro(n.municipalityAvgWozEur)}), owner-occupied ${fig(n.pctOwnerOccupied, " %")}, built before 1945 ${fig(n.pctBuiltBefore1945, " %")}`,
        `Distances (km): GP ${fig(n.distancesKm.gp)}, supermarket ${fig(n.distancesKm.supermarket)}, school ${fig(n.distancesKm.school)}, station ${fig(n.distancesKm.station)}`,
        `Liveability class ${fig(n.liveabilityClass)} (deviation ${fig(n.liveabilityDeviation)}), crime ${n.crimePer1000 === null ? "unknown" : `${n.crimePer1000} per 1,000 inhabitants`}`,
        `Flood depth class ${n.floodDepthClass ?? "unknown"}, soil ${n.soilType ?? "unknown"}, foundation risk area: ${yesNo(n.foundationRiskArea)}`,
        ...r.flags.map((f) => `! ${f.severity}: ${f.evidence} (source: ${f.source})`),
        r.note,
        ...gapLines(r.registerGaps),
      ].join("\n") + sourcesNote(r.sources)
    );
  },
};

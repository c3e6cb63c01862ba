// A register gap as the MCP Apps show it: the same sentence the tools' text gives (describeGap in
// src/data/types.ts, which the apps cannot import, since that module needs the Worker's types).
// Without imports, so test/mcp-apps.test.ts holds it to the Worker's sentence for every field.

/** A register that could not answer (registerGaps in every tool's structured result, src/data/types.ts). */
export interface Gap {
  register: string;
  name: string;
  fields: Array<"address" | "unit" | "labels" | "neighbourhood" | "valueBasis" | "atPostcode" | "parcel" | "monument">;
  reason: string;
  /** Null: the facts are unknown; otherwise an older cached answer was used, retrieved then. */
  stale: { retrievedAt: string } | null;
}

const GAP_FIELD_NAMES: Record<Gap["fields"][number], string> = {
  address: "the address",
  unit: "unit and building facts (area, use, status, build year)",
  labels: "energy label",
  neighbourhood: "neighbourhood statistics",
  valueBasis: "value basis (average WOZ per m² of the municipality)",
  atPostcode: "other addresses at the postcode",
  parcel: "cadastral parcel",
  monument: "rijksmonument status",
};

/** A gap as the tools' text says it. */
export function describeGap(gap: Gap): string {
  const what = gap.fields.map((f) => GAP_FIELD_NAMES[f] ?? f).join(", ");
  const reason = gap.reason.replace(/\.$/, "");
  return gap.stale
    ? `${gap.name} could not be asked (${reason}): ${what} as retrieved on ${gap.stale.retrievedAt.slice(0, 10)} (stale).`
    : `${gap.name} could not be asked (${reason}): ${what} unknown.`;
}

// How a register gap reads, in one place for the tools' text (src/data/types.ts) and the MCP Apps
// (apps/), which bundle this file into their pages. Kept free of imports so a page can take it.

/** The facts a register gap can leave unknown or stale ("valueBasis" is the gemeente's CBS value basis). */
export const GAP_FIELDS = ["address", "unit", "labels", "neighbourhood", "valueBasis", "atPostcode", "parcel", "monument"] as const;
export type GapField = (typeof GAP_FIELDS)[number];

/** What the sentence needs of a register gap (RegisterGap in ./types.ts). */
export interface GapText {
  name: string;
  fields: readonly GapField[];
  reason: string;
  stale: { retrievedAt: string } | null;
}

const GAP_FIELD_NAMES: Record<GapField, string> = {
  address: "the address",
  unit: "unit and building facts (area, use, status, build year)",
  labels: "energy label",
  neighbourhood: "neighbourhood statistics",
  valueBasis: "value basis (average WOZ per m² of the municipality)",
  atPostcode: "other addresses at the postcode",
  parcel: "cadastral parcel",
  monument: "rijksmonument status",
};

/** One sentence for a register gap, as every tool's text and the apps show it. */
export function describeGap(gap: GapText): string {
  const what = gap.fields.map((f) => GAP_FIELD_NAMES[f] ?? f).join(", ");
  const reason = gap.reason.replace(/\.$/, "");
  return gap.stale
    ? `${gap.name} could not be asked (${reason}): ${what} as retrieved on ${gap.stale.retrievedAt.slice(0, 10)} (stale).`
    : `${gap.name} could not be asked (${reason}): ${what} unknown.`;
}

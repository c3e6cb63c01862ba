// A register gap as the MCP Apps show it: the tools' own sentence (src/data/gap-text.ts, bundled
// into the page), for the gap shape of every tool's structured result (`registerGaps`).
import type { GapField } from "../src/data/gap-text";

export { describeGap } from "../src/data/gap-text";

/** A register that could not answer (registerGaps in every tool's structured result, src/data/types.ts). */
export interface Gap {
  register: string;
  name: string;
  fields: GapField[];
  reason: string;
  /** Null: the facts are unknown; otherwise an older cached answer was used, retrieved then. */
  stale: { retrievedAt: string } | null;
}

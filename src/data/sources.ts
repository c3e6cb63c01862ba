import type { Source } from "./types";

/** Distinct sources, in order of first appearance. */
export function sourcesOf(...items: Array<{ source: Source } | null | undefined>): Source[] {
  const seen = new Map<string, Source>();
  for (const item of items) {
    if (!item) continue;
    const key = `${item.source.register}|${item.source.retrievedAt}|${item.source.synthetic}`;
    if (!seen.has(key)) seen.set(key, item.source);
  }
  return [...seen.values()];
}

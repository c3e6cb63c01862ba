import { z } from "zod";
import { log } from "../../log";
import { RegisterError } from "../types";
import { getJson, type HttpOptions, NOT_FOUND } from "./http";
import { REGISTER, REGISTER_NAMES } from "./registers";

/**
 * CBS OData v3 column keys resolved from a table's `DataProperties` at run time.
 *
 * CBS suffixes every measure key with its position in the table (`GemiddeldeWOZWaardeVanWoningen_39`
 * in 85984NED, `_36` in 85618NED, `_1` in 85036NED), so a key is asked for by its stable part, the
 * `Key` without the `_NN` suffix. `DataProperties` lists topics (`"Type": "Topic"`, a `Key` and a
 * `Title`), topic groups (`"Type": "TopicGroup"`, empty `Key`) and dimensions; only topics are
 * measures. The resolved keys are kept per isolate: a table's columns never change once published.
 */

export const CBS_ODATA_BASE = "https://opendata.cbs.nl/ODataApi/odata";

const PropertySchema = z.object({
  Type: z.string(),
  Key: z.string().nullish(),
  Title: z.string().nullish(),
});
const DataPropertiesSchema = z.object({ value: z.array(z.record(z.string(), z.unknown())) });

/** `AantalInwoners_5` → `AantalInwoners`; a key without a numeric suffix stays as it is. */
export function stableKey(key: string): string {
  return key.trim().replace(/_\d+$/, "");
}

/** Per isolate: table id → (stable key → full key). */
const resolved = new Map<string, Promise<Map<string, string>>>();

/** Forgets what this isolate resolved (tests). */
export function clearResolvedColumns(): void {
  resolved.clear();
}

async function topicKeys(tableId: string, options: HttpOptions): Promise<Map<string, string>> {
  const answer = await getJson(
    { register: REGISTER.cbs, url: `${CBS_ODATA_BASE}/${tableId}/DataProperties?$format=json`, schema: DataPropertiesSchema },
    options,
  );
  const keys = new Map<string, string>();
  if (answer === NOT_FOUND) return keys;
  for (const raw of answer.value) {
    const p = PropertySchema.safeParse(raw);
    if (!p.success || p.data.Type !== "Topic" || !p.data.Key) continue;
    const key = p.data.Key.trim();
    const stable = stableKey(key);
    // The first topic with a stable key wins: CBS numbers positions upward, so that is the table's main measure.
    if (!keys.has(stable)) keys.set(stable, key);
    const title = p.data.Title?.trim();
    if (title && !keys.has(`title:${title}`)) keys.set(`title:${title}`, key);
  }
  return keys;
}

/**
 * The full column keys of `tableId` for the stable keys asked for, e.g.
 * `{ avgWoz: "GemiddeldeWOZWaardeVanWoningen" }` → `{ avgWoz: "GemiddeldeWOZWaardeVanWoningen_39" }`.
 * A stable key may also be given as `title:<Title>`.
 * @throws RegisterError when CBS cannot be reached, or the table lacks one of the columns.
 */
export async function resolveColumns<K extends string>(
  tableId: string,
  wanted: Readonly<Record<K, string>>,
  options: HttpOptions = {},
): Promise<Record<K, string>> {
  let pending = resolved.get(tableId);
  if (!pending) {
    pending = topicKeys(tableId, options);
    resolved.set(tableId, pending);
    // A failed read is not kept: the next request asks again.
    pending.catch(() => resolved.delete(tableId));
  }
  const keys = await pending;
  const out = {} as Record<K, string>;
  const missing: string[] = [];
  for (const [name, stable] of Object.entries(wanted) as Array<[K, string]>) {
    const key = keys.get(stable);
    if (key) out[name] = key;
    else missing.push(stable);
  }
  if (missing.length > 0) {
    resolved.delete(tableId);
    log("warn", "register_failed", { register: REGISTER.cbs, reason: "columns", table: tableId, missing: missing.join(", ") });
    throw new RegisterError(REGISTER.cbs, `${REGISTER_NAMES[REGISTER.cbs]} table ${tableId} lacks the expected columns; try again later.`);
  }
  return out;
}

/**
 * Tool schemas as `tools/list` sends them: zod's JSON Schema made shorter without changing what
 * a valid value is, except where an output schema is deliberately less detailed (below). Issue 19's
 * context budget (./tool-budget.ts): every byte here is read by the model on every turn.
 *
 * Both schemas:
 * - no `$schema`: MCP's default dialect for tool schemas is JSON Schema 2020-12 already;
 * - no ±(2^53 − 1) bounds zod gives every `int()`: JSON numbers past them are not exact anyway;
 * - no `pattern` beside a `format` (zod's ISO date-time regex beside `format: "date-time"`);
 * - no `propertyNames: {type: "string"}` (every JSON key is a string).
 * The server still validates arguments and results with the zod schemas themselves.
 *
 * Output schemas:
 * - no `additionalProperties: false`, so a client never rejects an answer for a field added later;
 * - no `required`: every field is always present (null when unknown), except where its description
 *   says when it is absent; the server checks each answer against the full zod schema;
 * - `anyOf: [X, {type: "null"}]` written as X with `type: [X's type, "null"]` (the same values);
 * - the root's fields are listed with their types, nullability and descriptions; a field's own
 *   nested object (or array of objects) is listed in full when that is short
 *   (≤ `NESTED_INLINE_BYTES` of JSON), otherwise as `{"type": "object"}` with its description.
 *   The structured content names every nested field itself, and the text answer and the docs
 *   explain them; the full shapes would not fit the budget (test/tool-budget.test.ts).
 */
type Json = Record<string, unknown>;

export const NESTED_INLINE_BYTES = 120;

const SAFE = Number.MAX_SAFE_INTEGER;

export function compactSchema(schema: Json, io: "input" | "output"): Json {
  const clean = tidy(schema, io === "output") as Json;
  if (io === "input") return clean;
  const properties = clean.properties as Record<string, Json> | undefined;
  if (!properties) return clean;
  const fields = Object.fromEntries(Object.entries(properties).map(([name, field]) => [name, shallow(field)]));
  return { ...clean, properties: fields };
}

/** The generic clean-up of one schema node and everything under it. */
function tidy(node: unknown, output: boolean): unknown {
  if (Array.isArray(node)) return node.map((child) => tidy(child, output));
  if (node === null || typeof node !== "object") return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === "$schema") continue;
    if ((key === "minimum" && value === -SAFE) || (key === "maximum" && value === SAFE)) continue;
    if (key === "pattern" && "format" in (node as Json)) continue;
    if (key === "propertyNames" && JSON.stringify(value) === '{"type":"string"}') continue;
    if (output && key === "additionalProperties" && value === false) continue;
    if (output && key === "required") continue;
    out[key] = key === "properties" ? mapValues(value as Json, (child) => tidy(child, output)) : tidy(value, output);
  }
  return output ? nullableInline(out) : out;
}

function mapValues(record: Json, f: (value: unknown) => unknown): Json {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, f(value)]));
}

/** `{anyOf: [X, {type: "null"}], …}` → `{…X, type: [X.type, "null"], …}` when X has one plain type. */
function nullableInline(node: Json): Json {
  const anyOf = node.anyOf;
  if (!Array.isArray(anyOf) || anyOf.length !== 2) return node;
  const isNull = (s: unknown) => typeof s === "object" && s !== null && Object.keys(s).length === 1 && (s as Json).type === "null";
  const other = anyOf.find((s) => !isNull(s)) as Json | undefined;
  if (!other || !anyOf.some(isNull) || typeof other.type !== "string" || "enum" in other || "const" in other || "anyOf" in other)
    return node;
  const { anyOf: _, ...rest } = node;
  return { ...other, ...rest, type: [other.type, "null"] };
}

const bytes = (value: unknown) => JSON.stringify(value).length;
const isObjectType = (type: unknown) => type === "object" || (Array.isArray(type) && type.includes("object"));

/** A top-level output field: its nested object (or array of objects) in full if short, else typed only. */
function shallow(field: Json): Json {
  if (bytes(field) <= NESTED_INLINE_BYTES) return field;
  if (isObjectType(field.type)) return keep(field, ["type", "description"]);
  const items = field.items as Json | undefined;
  if (field.type === "array" && items && (isObjectType(items.type) || "anyOf" in items)) {
    return { ...keep(field, ["type", "description", "minItems", "maxItems"]), items: { type: "object" } };
  }
  if (Array.isArray(field.anyOf)) {
    return {
      ...keep(field, ["description"]),
      anyOf: field.anyOf.map((choice) => (isObjectType((choice as Json).type) ? keep(choice as Json, ["type"]) : choice)),
    };
  }
  return field;
}

function keep(node: Json, keys: string[]): Json {
  return Object.fromEntries(keys.filter((key) => key in node).map((key) => [key, node[key]]));
}

/**
 * Tool schemas as `tools/list` sends them: zod's JSON Schema made shorter, for issue 19's context
 * budget (./tool-budget.ts): every byte here is read by the model on every turn. The server still
 * validates arguments and results with the zod schemas themselves; a listed output schema accepts
 * every answer the server gives (test/tool-output-schemas.test.ts checks the golden answers and a
 * real answer of every tool against it with Ajv's 2020-12 validator, as MCP clients do).
 *
 * Both schemas:
 * - no `$schema`: MCP's default dialect for tool schemas is JSON Schema 2020-12 already;
 * - no ±(2^53 − 1) bounds zod gives every `int()`: JSON numbers past them are not exact anyway;
 * - no `pattern` beside a `format` (zod's ISO date-time regex beside `format: "date-time"`);
 * - no `propertyNames: {type: "string"}` (every JSON key is a string);
 * - no `additionalProperties: {}` (the empty schema: any value, as without it).
 *
 * Input schemas: no `maxLength`. Those caps only stop abuse (no real query, postcode, id or
 * cursor comes near them); the server refuses longer text with a clear error.
 *
 * Output schemas:
 * - no `additionalProperties: false`, so a client never rejects an answer for a field added later;
 * - no `required`: every field is always present (null when unknown), except a few that appear
 *   only when they have something to say (moreFailures, moreAssessmentIds, nextCursor, and
 *   fields of quick-assess/3 and later in saved assessments);
 * - `anyOf: [X, {type: "null"}]` written as X with `type: [X's type, "null"]` (the same values);
 * - every root field is listed with its type and nullability, and with its description where
 *   its name and the tool's description do not say enough (zod's `.describe` on that field);
 *   below the root, no descriptions;
 * - a root field's nested object (or array of objects) is listed in full (every nested field with
 *   its type and nullability) when that is at most `NESTED_INLINE_BYTES` of JSON, otherwise as an
 *   object (or array of objects) with its nullability only; a map (zod's `record`, e.g. counts
 *   per label) is always listed as an object. The full shapes of every tool take
 *   about 22 KB even without descriptions and with `$defs`, over the whole budget; the text answer
 *   and the structured content itself name every nested field.
 *
 * Not used: `$defs` + `$ref` for shapes repeated in one schema. With every nested shape listed it
 * saves about 3% (25.1 to 24.4 KB over all tools, no descriptions), far from the budget; at the
 * depth listed here no shape repeats within one tool's schema.
 */
type Json = Record<string, unknown>;

/**
 * A tool's annotations as listed: `idempotentHint` left out of a read-only tool's, where MCP
 * says it has no meaning (it is "meaningful only when readOnlyHint == false").
 */
export function listedAnnotations<A extends { readOnlyHint?: boolean; idempotentHint?: boolean }>(annotations: A): A {
  if (annotations.readOnlyHint !== true || !("idempotentHint" in annotations)) return annotations;
  const { idempotentHint: _, ...rest } = annotations;
  return rest as A;
}

/** Nested shapes up to this many bytes of JSON are listed in full (e.g. a job's failures, the download links). */
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
    if (key === "maxLength" && !output) continue;
    if (key === "propertyNames" && JSON.stringify(value) === '{"type":"string"}') continue;
    if (output && key === "additionalProperties" && value === false) continue;
    // `additionalProperties: {}` (any value) is what JSON Schema assumes without it.
    if (key === "additionalProperties" && JSON.stringify(value) === "{}") continue;
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

/**
 * A top-level output field: its own description kept; below it, no descriptions (the root field's
 * says what needs saying). A nested object (or array of objects) is listed in full when that is at
 * most `NESTED_INLINE_BYTES` of JSON, otherwise typed only (object or array of objects, with its
 * nullability).
 */
function shallow(field: Json): Json {
  const { description, ...shape } = field;
  const bare = undescribed(shape) as Json;
  const listed = isMap(bare) ? typedOnly(bare) : bytes(bare) <= NESTED_INLINE_BYTES ? bare : typedOnly(bare);
  return description === undefined ? listed : { description, ...listed };
}

/** A map from free keys to values (zod's `record`: label counts, table versions): what its values are, the answer shows. */
function isMap(field: Json): boolean {
  return isObjectType(field.type) && !("properties" in field) && typeof field.additionalProperties === "object";
}

function typedOnly(field: Json): Json {
  if (isObjectType(field.type)) return keep(field, ["type"]);
  const items = field.items as Json | undefined;
  if (field.type === "array" && items && (isObjectType(items.type) || "anyOf" in items)) {
    return { ...keep(field, ["type", "minItems", "maxItems"]), items: { type: "object" } };
  }
  if (Array.isArray(field.anyOf)) {
    return { anyOf: field.anyOf.map((choice) => (isObjectType((choice as Json).type) ? keep(choice as Json, ["type"]) : choice)) };
  }
  return field;
}

/** `node` without any `description`, at any depth. */
function undescribed(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(undescribed);
  if (node === null || typeof node !== "object") return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === "description") continue;
    out[key] = key === "properties" ? mapValues(value as Json, undescribed) : undescribed(value);
  }
  return out;
}

function keep(node: Json, keys: string[]): Json {
  return Object.fromEntries(keys.filter((key) => key in node).map((key) => [key, node[key]]));
}

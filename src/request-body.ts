import { readRequestBody } from "@modelcontextprotocol/server";

/*
 * Request bodies read by pandgate's own code, each within a bound, so that no input it cannot
 * read reaches code that would throw or recurse over it: every such body gets a specific 4xx.
 */

/**
 * How deep a JSON body may nest (objects and arrays inside each other) on every route that reads
 * JSON: `/mcp`, `/oauth/register` and the operator API. No request pandgate understands comes
 * near it (an MCP message with tool arguments nests well under 10 levels); a body nested
 * thousands deep would otherwise reach code that recurses over it (schema validation, the
 * structured clone to the user's agent) and exhaust the stack.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether `text` opens more than `limit` objects or arrays inside each other, counted by one
 * linear scan that skips string contents (escapes included), so it runs before `JSON.parse` and
 * recurses over nothing. It judges nesting only: whether the text is valid JSON is for the parser.
 */
export function jsonNestingExceeds(text: string, limit: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c /* \ */) escaped = true;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth += 1;
      if (depth > limit) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth -= 1;
    }
  }
  return false;
}

/** A JSON request body, read within a size and nesting bound; or why it cannot be used. */
export type JsonBody =
  | { ok: true; text: string; value: unknown }
  | { ok: false; problem: "too_large" | "too_deep" | "malformed"; message: string };

/**
 * Reads a request body as JSON: at most `maxBytes` (a larger `Content-Length` is refused unread,
 * an unannounced one as soon as the limit is passed), at most {@link MAX_JSON_DEPTH} levels deep
 * (checked before parsing), then parsed once. The messages say what was wrong, for the caller's
 * own error format.
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<JsonBody> {
  const read = await readRequestBody(request, maxBytes);
  if (read.tooLarge) return { ok: false, problem: "too_large", message: `the request body must not exceed ${maxBytes} bytes` };
  if (jsonNestingExceeds(read.text)) {
    return { ok: false, problem: "too_deep", message: `the JSON nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays` };
  }
  try {
    return { ok: true, text: read.text, value: JSON.parse(read.text) };
  } catch {
    return { ok: false, problem: "malformed", message: "the request body is not valid JSON" };
  }
}

/**
 * The largest form body pandgate reads: the consent form (`POST /authorize`) and token requests
 * (`/oauth/token`). Both carry a handful of short fields; 64 KiB leaves room for long client ids
 * (a metadata-document URL) and refresh tokens many times over.
 */
export const MAX_FORM_BYTES = 64 * 1024;

const FORM_URLENCODED = "application/x-www-form-urlencoded";
const MULTIPART = "multipart/form-data";

/** The media type of a `Content-Type` value, lower-cased, without parameters ("" when there is none). */
export function mediaType(contentType: string | null): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/** A form request body, read within {@link MAX_FORM_BYTES}; or why it cannot be used. */
export type FormBody =
  | { ok: true; text: string; form: URLSearchParams }
  | { ok: false; problem: "unsupported_type" | "too_large" | "malformed"; message: string };

/**
 * Reads an HTML form body (`application/x-www-form-urlencoded`, or `multipart/form-data`, whose
 * text fields are kept), at most `maxBytes`. Anything else, no content type included, is
 * `unsupported_type`; a multipart body that does not parse (a broken or missing boundary) is
 * `malformed`. Nothing is thrown for what the client sent.
 */
export async function readFormBody(request: Request, maxBytes: number = MAX_FORM_BYTES): Promise<FormBody> {
  const type = mediaType(request.headers.get("content-type"));
  if (type !== FORM_URLENCODED && type !== MULTIPART) {
    return { ok: false, problem: "unsupported_type", message: `the body must be a form (${FORM_URLENCODED})` };
  }
  const read = await readRequestBody(request, maxBytes);
  if (read.tooLarge) return { ok: false, problem: "too_large", message: `the request body must not exceed ${maxBytes} bytes` };
  if (type === FORM_URLENCODED) return { ok: true, text: read.text, form: new URLSearchParams(read.text) };
  try {
    const parts = await new Response(read.text, { headers: { "content-type": request.headers.get("content-type") ?? "" } }).formData();
    const form = new URLSearchParams();
    for (const [name, value] of parts) if (typeof value === "string") form.append(name, value);
    return { ok: true, text: read.text, form };
  } catch {
    return { ok: false, problem: "malformed", message: "the multipart form could not be read (check its boundary)" };
  }
}

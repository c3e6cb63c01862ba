// zod 4 without its 64 locales (about 260 KiB of the minified bundle), for the Worker bundle:
// wrangler.toml's [alias] points "zod" and "zod/v4" (ours, the MCP SDK's) here. Messages stay
// English: zod registers its English locale itself (classic/schemas.js), and nothing in the
// Worker asks for another. It mirrors node_modules/zod/v4/classic/external.js less `locales`,
// over the same zod files, so there is still one zod in the bundle; scripts/build.mjs checks
// that it exports exactly what "zod" exports but `locales`.
import * as z from "./zod.mjs";

export * from "../node_modules/zod/v4/classic/checks.js";
export * as coerce from "../node_modules/zod/v4/classic/coerce.js";
export * from "../node_modules/zod/v4/classic/compat.js";
export { deepPartial } from "../node_modules/zod/v4/classic/deep-partial.js";
export * from "../node_modules/zod/v4/classic/errors.js";
export { fromJSONSchema } from "../node_modules/zod/v4/classic/from-json-schema.js";
export { input, output } from "../node_modules/zod/v4/classic/in-out.js";
export * as iso from "../node_modules/zod/v4/classic/iso.js";
export { ZodISODate, ZodISODateTime, ZodISODuration, ZodISOTime } from "../node_modules/zod/v4/classic/iso.js";
export * from "../node_modules/zod/v4/classic/parse.js";
export * from "../node_modules/zod/v4/classic/schemas.js";
export { toJSONSchema } from "../node_modules/zod/v4/core/json-schema-processors.js";
export * as core from "./zod-core.mjs";
export {
  $brand,
  $input,
  $output,
  clone,
  compile,
  config,
  flattenError,
  formatError,
  getDiscriminatedOption,
  globalRegistry,
  INVALID,
  memoizer,
  NEVER,
  prettifyError,
  regexes,
  registry,
  TimePrecision,
  toZod,
  treeifyError,
  util,
  withParser,
  ZodCompileAsyncError,
  ZodCompileUnsupportedError,
} from "./zod-core.mjs";
export { z, z as default };

import { z } from "zod";
import { isLoopbackHostname } from "../encoding";

/**
 * Building blocks of the configuration schema (`src/config.ts`, with the sign-in settings in
 * `src/config/sign-in.ts`). Every rule writes its problem as one line of the start-up error:
 * the setting's name, what is wrong with it, and how to fix it, all three next to the rule.
 */

/** One problem with one setting: `SETTING what is wrong: how to fix it`. */
export function problem(setting: string, wrong: string, fix: string): string {
  return `${setting} ${wrong}: ${fix}`;
}

/** Reports a problem found by a rule that reads several settings, on the setting to change. */
export function report(ctx: z.RefinementCtx<unknown>, setting: string, wrong: string, fix: string): void {
  ctx.addIssue({ code: "custom", path: [setting], message: problem(setting, wrong, fix) });
}

/** Whether any problem reported so far is about one of `settings`. */
export function hasProblemWith(payload: { issues: readonly { path?: readonly PropertyKey[] }[] }, settings: object): boolean {
  return payload.issues.some((issue) => {
    const setting = issue.path?.[0];
    return typeof setting === "string" && Object.hasOwn(settings, setting);
  });
}

/** A text setting, trimmed; empty, absent, or not text at all counts as unset. */
export const optionalText = z
  .unknown()
  .optional()
  .transform((value) => (typeof value === "string" && value.trim() !== "" ? value.trim() : undefined));

/** A text setting, trimmed; empty or absent counts as unset, anything other than text is refused. */
export function strictText(setting: string) {
  return z
    .string({ error: problem(setting, "must be text", `quote the value of ${setting} under [vars] in wrangler.toml`) })
    .trim()
    .nullish()
    .transform((value) => value || undefined);
}

/** A whole number from 1 to `max`, given as a number or as text; unset or empty is `fallback`. */
export function wholeNumber(setting: string, fallback: number, max: number, fix: string) {
  const wrong = problem(setting, `must be a whole number from 1 to ${max}`, fix);
  return z
    .union([z.string(), z.number()], { error: wrong })
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === "") return fallback;
      const n = typeof value === "number" ? value : Number(value);
      if (!Number.isInteger(n) || n < 1 || n > max) {
        ctx.addIssue({ code: "custom", message: wrong });
        return z.NEVER;
      }
      return n;
    });
}

/** Items separated by commas or white space. */
export function list(value: string): string[] {
  return value
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter(Boolean);
}

/** A host name with an optional port, and nothing else (no scheme, no path). */
export function isHostOnly(value: string): boolean {
  return /^[a-z0-9.-]+(:\d+)?$/i.test(value);
}

/** https, or plain http on a loopback host. */
export function isSecureUrl(url: URL): boolean {
  return url.protocol === "https:" || (url.protocol === "http:" && isLoopbackHostname(url.hostname));
}

/**
 * A register's base URL (`PDOK_BAG_URL` …): https, or plain http on a loopback host (a local
 * proxy or a test stand-in), with a path but no query, fragment or credentials. Unset is
 * `undefined` (the register's public endpoint); the value is kept without a trailing slash.
 */
export function registerUrl(setting: string, publicEndpoint: string) {
  const fix = `set ${setting} under [vars] in wrangler.toml to the register's base URL, such as "${publicEndpoint}" (the default), or to a caching proxy or mirror of it`;
  return optionalText.transform((raw, ctx) => {
    if (raw === undefined) return undefined;
    const url = URL.canParse(raw) ? new URL(raw) : undefined;
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
      ctx.addIssue({ code: "custom", message: problem(setting, "must be an absolute http(s) URL", fix) });
      return z.NEVER;
    }
    if (!isSecureUrl(url)) {
      ctx.addIssue({ code: "custom", message: problem(setting, "must use https (plain http is allowed only for localhost)", fix) });
      return z.NEVER;
    }
    if (url.search || url.hash || url.username || url.password) {
      ctx.addIssue({ code: "custom", message: problem(setting, "must be a base URL only, with no query, fragment or credentials", fix) });
      return z.NEVER;
    }
    return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
  });
}

import { z } from "zod";
import { problem, wholeNumber } from "./settings";

/**
 * The settings of the per-register budgets (src/data/live/budget.ts): for each live register,
 * how many requests this isolate may have under way at once and how many it may start in any
 * one second, and the longest a register's `Retry-After` pauses it.
 *
 * - REGISTER_CONCURRENCY (default 10) and REGISTER_REQUESTS_PER_SECOND (default 30): every register.
 * - REGISTER_BUDGETS: per register, `register=concurrency/perSecond`, separated by commas or
 *   blanks, e.g. `ep-online=4/10 pdok-bag=20/45`. A register named here takes these figures
 *   instead of the defaults (and instead of the built-in EP-Online figures below).
 * - REGISTER_MAX_PAUSE_SECONDS (default 60): a longer `Retry-After` pauses the register this long.
 *
 * Why these defaults (the registers' published fair use, /work/shared/reference/dutch-real-estate-data.md
 * section 1, as of 2026-11):
 *
 * - Kadaster publishes one number for BAG data: its BAG API Individuele Bevragingen allows 50
 *   requests per second per key (then 429). PDOK (Locatieserver, BAG OGC API, BRK Kadastrale
 *   Kaart) asks for "fair use" without a number; CBS and RCE publish none. So every register gets
 *   at most 30 requests per second from one isolate, 60 % of the one published ceiling of the same
 *   provider, and 10 under way at once: the widest step of one cold tool call fits in one round
 *   trip (a cold Quick_Assess_Property asks CBS for 10 things at once: the KWB table's columns and
 *   its three rows, and the value basis's three tables with their columns).
 * - EP-Online (RVO) publishes no limit and is asked with a personal key whose owner answers for
 *   its use: 8 under way and 20 per second, still twice the one request per address a live
 *   portfolio at 10 addresses per second needs.
 *
 * With these, a live portfolio whose register answers take 200 ms each is bound by PDOK BAG (two
 * requests per address: the unit and its pand): 30 ÷ 2 = 15 addresses per second per isolate.
 * Several isolates each keep their own budget, so an operator who runs many raises no register's
 * limit by lowering these.
 */

export const REGISTER_IDS = ["pdok-locatieserver", "pdok-bag", "ep-online", "cbs-kwb", "pdok-brk", "rce-monuments"] as const;
export type BudgetRegister = (typeof REGISTER_IDS)[number];

export interface Budget {
  /** Requests to the register under way at once. */
  concurrency: number;
  /** Requests started in any window of one second. */
  perSecond: number;
}

export interface BudgetSettings {
  defaults: Budget;
  overrides: Partial<Record<BudgetRegister, Budget>>;
  /** The longest a `Retry-After` pauses a register, in ms. */
  maxPauseMs: number;
}

export const DEFAULT_BUDGET: Budget = { concurrency: 10, perSecond: 30 };
/** Registers whose default differs from `DEFAULT_BUDGET` (why: above). */
export const DEFAULT_BUDGET_OVERRIDES: Partial<Record<BudgetRegister, Budget>> = {
  "ep-online": { concurrency: 8, perSecond: 20 },
};
export const DEFAULT_MAX_PAUSE_SECONDS = 60;

export const DEFAULT_BUDGET_SETTINGS: BudgetSettings = {
  defaults: DEFAULT_BUDGET,
  overrides: DEFAULT_BUDGET_OVERRIDES,
  maxPauseMs: DEFAULT_MAX_PAUSE_SECONDS * 1000,
};

const BUDGETS_FIX =
  "set REGISTER_BUDGETS under [vars] in wrangler.toml as register=concurrency/perSecond pairs (e.g. ep-online=4/10 pdok-bag=20/45; registers: " +
  `${REGISTER_IDS.join(", ")}), or leave it out`;

/** REGISTER_BUDGETS: `register=concurrency/perSecond` pairs. */
const registerBudgets = z
  .unknown()
  .optional()
  .transform((value, ctx): Partial<Record<BudgetRegister, Budget>> => {
    if (value === undefined || value === null || (typeof value === "string" && value.trim() === "")) return {};
    const wrong = (what: string) => {
      ctx.addIssue({ code: "custom", message: problem("REGISTER_BUDGETS", what, BUDGETS_FIX) });
      return z.NEVER;
    };
    if (typeof value !== "string") return wrong("must be text");
    const out: Partial<Record<BudgetRegister, Budget>> = {};
    for (const item of value.split(/[\s,]+/).filter(Boolean)) {
      const m = /^([a-z-]+)=(\d{1,4})\/(\d{1,5})$/.exec(item);
      if (!m) return wrong(`has "${item}", which is not register=concurrency/perSecond`);
      const register = m[1] as BudgetRegister;
      if (!REGISTER_IDS.includes(register)) return wrong(`names "${m[1]}", which is not a register`);
      const concurrency = Number(m[2]);
      const perSecond = Number(m[3]);
      if (concurrency < 1 || concurrency > 100 || perSecond < 1 || perSecond > 1000)
        return wrong(`gives ${register} ${concurrency}/${perSecond}; concurrency must be 1 to 100 and perSecond 1 to 1000`);
      out[register] = { concurrency, perSecond };
    }
    return out;
  });

export const budgetSettings = {
  REGISTER_CONCURRENCY: wholeNumber(
    "REGISTER_CONCURRENCY",
    DEFAULT_BUDGET.concurrency,
    100,
    `set REGISTER_CONCURRENCY under [vars] in wrangler.toml (requests under way at once per register), or leave it out for the default ${DEFAULT_BUDGET.concurrency}`,
  ),
  REGISTER_REQUESTS_PER_SECOND: wholeNumber(
    "REGISTER_REQUESTS_PER_SECOND",
    DEFAULT_BUDGET.perSecond,
    1000,
    `set REGISTER_REQUESTS_PER_SECOND under [vars] in wrangler.toml (requests started per second per register), or leave it out for the default ${DEFAULT_BUDGET.perSecond}`,
  ),
  REGISTER_BUDGETS: registerBudgets,
  REGISTER_MAX_PAUSE_SECONDS: wholeNumber(
    "REGISTER_MAX_PAUSE_SECONDS",
    DEFAULT_MAX_PAUSE_SECONDS,
    3600,
    `set REGISTER_MAX_PAUSE_SECONDS under [vars] in wrangler.toml (the longest a register's Retry-After pauses it), or leave it out for the default ${DEFAULT_MAX_PAUSE_SECONDS}`,
  ),
};

/** The budget settings from the parsed settings above. */
export function budgetSettingsFrom(s: {
  REGISTER_CONCURRENCY: number;
  REGISTER_REQUESTS_PER_SECOND: number;
  REGISTER_BUDGETS: Partial<Record<BudgetRegister, Budget>>;
  REGISTER_MAX_PAUSE_SECONDS: number;
}): BudgetSettings {
  return {
    defaults: { concurrency: s.REGISTER_CONCURRENCY, perSecond: s.REGISTER_REQUESTS_PER_SECOND },
    overrides: { ...DEFAULT_BUDGET_OVERRIDES, ...s.REGISTER_BUDGETS },
    maxPauseMs: s.REGISTER_MAX_PAUSE_SECONDS * 1000,
  };
}

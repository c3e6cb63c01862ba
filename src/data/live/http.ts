import type { z } from "zod";
import { describeError, log } from "../../log";
import { RegisterError } from "../types";
import { BudgetExhausted, parseRetryAfter, type RegisterBudgets, sharedBudgets } from "./budget";
import { REGISTER_NAMES, type RegisterId, type RegisterUrls, rebase } from "./registers";

/**
 * GET a register's JSON answer: one timeout per attempt, one retry on a transient failure, and
 * a zod check of the answer's shape. Every attempt first takes a slot of the register's budget
 * (./budget.ts: concurrency and requests per second, shared by the isolate); a 429 with
 * `Retry-After` pauses the register for every caller. Every failure becomes a `RegisterError` whose message is
 * meant for the user: it names the register and what to do, and never carries a URL, a header
 * (API keys travel in headers), an upstream body or a stack.
 */

export const DEFAULT_TIMEOUT_MS = 6_000;
export const DEFAULT_RETRY_DELAY_MS = 300;
/**
 * A `Retry-After` longer than this is not waited for by the request that got it; the request
 * fails instead (the register stays paused for everyone until then, see ./budget.ts).
 */
const MAX_RETRY_AFTER_MS = 2_000;
/** Statuses worth one more try: rate limited, or a gateway between us and the register failed. */
const TRANSIENT_STATUSES = new Set([429, 502, 503, 504]);

/** Returned instead of a body when the register answered with a status that means "unknown". */
export const NOT_FOUND: unique symbol = Symbol("register: not found");
export type NotFound = typeof NOT_FOUND;

/** Transport settings shared by every adapter; tests shorten the timings and inject `fetch`. */
export interface HttpOptions {
  fetch?: typeof fetch;
  /** Per attempt, in milliseconds. Default 6000. */
  timeoutMs?: number;
  /** Pause before the single retry, in milliseconds. Default 300. */
  retryDelayMs?: number;
  /** Base URLs that replace the registers' public endpoints (a caching proxy or mirror). */
  registerUrls?: RegisterUrls;
  /** The budgets requests wait for; default the isolate's shared ones (tests pass their own). */
  budgets?: RegisterBudgets;
}

export interface RegisterRequest<T> {
  register: RegisterId;
  url: string;
  headers?: Record<string, string>;
  /**
   * Sent as an `application/x-www-form-urlencoded` POST body instead of a GET (a SPARQL query
   * too long for a URL). Only for read-only questions: a transient failure is retried alike.
   */
  form?: Record<string, string>;
  schema: z.ZodType<T>;
  /** Statuses that mean "the register does not know this" (e.g. EP-Online's 404). */
  notFoundStatuses?: readonly number[];
  /** User-facing messages for particular statuses (e.g. 401 for a missing API key). */
  statusMessages?: Readonly<Partial<Record<number, string>>>;
}

const defaultFetch: typeof fetch = (input, init) => fetch(input, init);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isTimeout(error: unknown): boolean {
  return error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError");
}

/** Rejects when `signal` aborts, so a fetch or body read that ignores the signal still ends. */
function deadline<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * How long to wait before the one retry of a transient status: `Retry-After` (seconds or an
 * HTTP-date), at least `fallback`; null when it asks for longer than `MAX_RETRY_AFTER_MS`.
 */
function retryAfterMs(res: Response, fallback: number): number | null {
  const asked = parseRetryAfter(res.headers.get("retry-after"));
  if (asked === null) return fallback;
  return asked <= MAX_RETRY_AFTER_MS ? Math.max(asked, fallback) : null;
}

async function discard(res: Response): Promise<void> {
  try {
    await res.body?.cancel();
  } catch {
    // nothing to free
  }
}

function statusMessage(name: string, status: number): string {
  if (status === 429) return `${name} is receiving too many requests right now; try again in a minute.`;
  if (status === 401 || status === 403) return `${name} refused the request (not authorised).`;
  if (status >= 500) return `${name} is not available right now (HTTP ${status}); try again later.`;
  return `${name} rejected the request (HTTP ${status}).`;
}

/**
 * The validated answer, or `NOT_FOUND` for a status listed in `notFoundStatuses`.
 * @throws RegisterError on timeout, network failure, an error status or an unexpected shape.
 */
export async function getJson<T>(req: RegisterRequest<T>, options: HttpOptions = {}): Promise<T | NotFound> {
  const name = REGISTER_NAMES[req.register];
  const doFetch = options.fetch ?? defaultFetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  const url = rebase(req.register, req.url, options.registerUrls);
  const fail = (message: string, fields: Record<string, string | number> = {}): RegisterError => {
    log("warn", "register_failed", { register: req.register, ...fields });
    return new RegisterError(req.register, message);
  };

  const budgets = options.budgets ?? sharedBudgets;
  const budget = budgets.of(req.register);

  for (let attempt = 1; ; attempt++) {
    const canRetry = attempt === 1;
    let release: () => void;
    try {
      // A request that cannot start within its own timeout gives up: the register is unavailable to it.
      release = await budget.acquire(Date.now() + timeoutMs);
    } catch (error) {
      if (!(error instanceof BudgetExhausted)) throw error;
      throw error.reason === "paused"
        ? fail(statusMessage(name, 429), { reason: "paused" })
        : fail(`${name} could not be asked in time: this server's requests to it are at their limit; try again later.`, {
            reason: "budget",
          });
    }
    let answer: Awaited<ReturnType<typeof attemptOnce>>;
    try {
      answer = await attemptOnce(canRetry);
    } finally {
      release();
    }
    if (!answer.retry) return answer.value;
    await sleep(answer.waitMs);
  }

  /** One request: its answer, or that it is worth one more try after `waitMs`. */
  async function attemptOnce(canRetry: boolean): Promise<{ retry: true; waitMs: number } | { retry: false; value: T | NotFound }> {
    const signal = AbortSignal.timeout(timeoutMs);
    let res: Response;
    try {
      const headers = { accept: "application/json", ...req.headers };
      const init: RequestInit = req.form
        ? {
            method: "POST",
            headers: { ...headers, "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams(req.form),
            signal,
          }
        : { headers, signal };
      res = await deadline(doFetch(url, init), signal);
    } catch (error) {
      // A timeout is not retried: the caller's time budget is already spent.
      if (isTimeout(error)) throw fail(`${name} did not answer in time; try again later.`, { reason: "timeout" });
      if (canRetry) return { retry: true, waitMs: retryDelayMs };
      throw fail(`${name} could not be reached; try again later.`, { reason: "network", error: describeError(error) });
    }

    if (req.notFoundStatuses?.includes(res.status)) {
      await discard(res);
      return { retry: false, value: NOT_FOUND };
    }
    if (res.status === 429) {
      // The register asked everyone to wait: pause it for every caller of this isolate.
      const asked = parseRetryAfter(res.headers.get("retry-after"));
      if (asked !== null && asked > 0) budget.pause(Date.now() + Math.min(asked, budgets.maxPauseMs));
    }
    if (TRANSIENT_STATUSES.has(res.status)) {
      const wait = canRetry ? retryAfterMs(res, retryDelayMs) : null;
      await discard(res);
      if (wait !== null) return { retry: true, waitMs: wait };
    }
    if (!res.ok) {
      await discard(res);
      throw fail(req.statusMessages?.[res.status] ?? statusMessage(name, res.status), { status: res.status });
    }

    let body: unknown;
    try {
      body = JSON.parse(await deadline(res.text(), signal));
    } catch (error) {
      if (isTimeout(error)) throw fail(`${name} did not answer in time; try again later.`, { reason: "timeout" });
      throw fail(`${name} answered with something that is not JSON; try again later.`, { reason: "not_json" });
    }
    const parsed = req.schema.safeParse(body);
    if (!parsed.success) {
      const where = parsed.error.issues
        .slice(0, 3)
        .map((issue) => issue.path.join("."))
        .join(", ");
      throw fail(`${name} answered in an unexpected format; try again later.`, { reason: "shape", paths: where });
    }
    return { retry: false, value: parsed.data };
  }
}

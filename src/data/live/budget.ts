import { type Budget, type BudgetSettings, DEFAULT_BUDGET_SETTINGS } from "../../config/register-budgets";
import { log } from "../../log";
import type { RegisterId } from "./registers";

/**
 * Per-register budgets: how many requests to one register may be under way at once
 * (`concurrency`) and how many may start in any one second (`perSecond`), shared by every request
 * this isolate sends to that register. The state is module-level, so the tool calls and the
 * portfolio workers that run in one isolate share one budget per register, as a register sees
 * them: one client.
 *
 * A `429 Too Many Requests` with `Retry-After` pauses the register for every caller until then
 * (bounded by `maxPauseMs`), not only the request that got it. A request that cannot start
 * before its own deadline (a pause or a queue that would outlast it) gives up at once with
 * `BudgetExhausted`, which the HTTP layer turns into that register being unavailable.
 *
 * Waiting is fair (first come, first served) and event-driven: a request waits for a slot to be
 * released, or, when a pause or the rate window holds it back, for a timer of its own (set in
 * its own request's context, so a Worker request that ends takes no one else's timer with it).
 * The settings and why their defaults are what they are: src/config/register-budgets.ts.
 */

export type { Budget, BudgetSettings };

/** Thrown when a request cannot start before its deadline; `pausedUntil` when a 429 pause is the reason. */
export class BudgetExhausted extends Error {
  override name = "BudgetExhausted";
  constructor(
    readonly register: RegisterId,
    readonly reason: "paused" | "busy",
  ) {
    super(`${register}: no request slot before the deadline (${reason})`);
  }
}

const WINDOW_MS = 1_000;

interface Ticket {
  wake: () => void;
}

/** One register's budget: its limits, what is under way, recent starts, a pause, and who waits. */
export class RegisterBudget {
  private inFlight = 0;
  /** Start times within the last second, oldest first. */
  private starts: number[] = [];
  private pausedUntil = 0;
  private readonly queue: Ticket[] = [];
  /** Most requests ever under way at once (for tests and the bench). */
  maxInFlight = 0;

  constructor(
    readonly register: RegisterId,
    public limits: Budget,
  ) {}

  /** When the register's pause ends (epoch ms); 0 when not paused. */
  get pauseEnds(): number {
    return this.pausedUntil > Date.now() ? this.pausedUntil : 0;
  }

  /** Pauses the register for every caller until `until` (epoch ms), unless a longer pause is on. */
  pause(until: number): void {
    if (until <= this.pausedUntil) return;
    this.pausedUntil = until;
    log("warn", "register_paused", { register: this.register, ms: Math.max(0, until - Date.now()) });
    // Waiters whose deadline falls before the end give up now rather than at their deadline.
    for (const ticket of [...this.queue]) ticket.wake();
  }

  /** Milliseconds until a request may start by pause and rate (0: now). */
  private holdBack(now: number): number {
    while (this.starts.length > 0 && (this.starts[0] as number) <= now - WINDOW_MS) this.starts.shift();
    const paused = this.pausedUntil - now;
    const rate = this.starts.length >= this.limits.perSecond ? (this.starts[0] as number) + WINDOW_MS - now : 0;
    return Math.max(0, paused, rate);
  }

  /**
   * Waits for a slot and takes it; returns the function that gives it back (call it once, when
   * the request's answer has been read or it failed).
   * @throws BudgetExhausted when the slot cannot be had before `deadline` (epoch ms).
   */
  async acquire(deadline: number): Promise<() => void> {
    let wake: () => void = () => {};
    const ticket: Ticket = { wake: () => wake() };
    this.queue.push(ticket);
    try {
      for (;;) {
        const now = Date.now();
        if (this.pausedUntil > deadline) throw new BudgetExhausted(this.register, "paused");
        if (now >= deadline) throw new BudgetExhausted(this.register, this.pausedUntil > now ? "paused" : "busy");
        let waitMs = deadline - now;
        if (this.queue[0] === ticket && this.inFlight < this.limits.concurrency) {
          const hold = this.holdBack(now);
          if (hold === 0) {
            this.queue.shift();
            this.inFlight++;
            this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
            this.starts.push(now);
            // The next in line may be able to start too.
            this.queue[0]?.wake();
            return this.releaser();
          }
          if (now + hold > deadline) throw new BudgetExhausted(this.register, this.pausedUntil > now ? "paused" : "busy");
          waitMs = hold;
        }
        // Woken by a release, a pause, the one ahead giving up, or this request's own timer.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, waitMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = () => {};
      }
    } finally {
      const at = this.queue.indexOf(ticket);
      if (at !== -1) {
        this.queue.splice(at, 1);
        if (at === 0) this.queue[0]?.wake();
      }
    }
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      this.queue[0]?.wake();
    };
  }
}

/** The budgets of every register, with their settings. */
export class RegisterBudgets {
  private readonly budgets = new Map<RegisterId, RegisterBudget>();

  constructor(private settings: BudgetSettings = DEFAULT_BUDGET_SETTINGS) {}

  get maxPauseMs(): number {
    return this.settings.maxPauseMs;
  }

  limitsOf(register: RegisterId): Budget {
    return this.settings.overrides[register] ?? this.settings.defaults;
  }

  /** Applies new settings; registers already in use keep their state and take the new limits. */
  configure(settings: BudgetSettings): void {
    this.settings = settings;
    for (const [register, budget] of this.budgets) budget.limits = this.limitsOf(register);
  }

  /** Forgets every register's state (pauses, recent starts); requests under way keep their slots' release. Tests only. */
  reset(): void {
    this.budgets.clear();
  }

  of(register: RegisterId): RegisterBudget {
    let budget = this.budgets.get(register);
    if (!budget) {
      budget = new RegisterBudget(register, this.limitsOf(register));
      this.budgets.set(register, budget);
    }
    return budget;
  }
}

/** The budgets every request of this isolate shares (unless a caller passes its own, as tests do). */
export const sharedBudgets = new RegisterBudgets();

/**
 * Sets the shared budgets' limits from the Worker's settings. Settings are parsed once per
 * isolate, so this runs with the same figures each time; calling it again is cheap.
 */
export function configureSharedBudgets(settings: BudgetSettings): void {
  sharedBudgets.configure(settings);
}

/**
 * A `Retry-After` header as milliseconds from `now`: delta-seconds or an HTTP-date; null when
 * absent or not either form. Never negative.
 */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | null {
  if (header === null) return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at) || !/[A-Za-z]/.test(text)) return null;
  return Math.max(0, at - now);
}

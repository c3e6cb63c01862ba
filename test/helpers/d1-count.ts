/**
 * Counts D1 round trips: wraps a D1 binding (and every session `withSession` opens on it) so each
 * trip to the database is counted where it really happens. One round trip is a statement's
 * `first`, `all`, `run` or `raw`, one `batch([...])` (however many statements it carries) and one
 * `exec`. Preparing and binding cost nothing and are not counted. Each round trip's statements
 * are kept with their bound values (test/data/query-plans.test.ts explains exactly those).
 *
 * Used by test/data/round-trips.test.ts (the tools' budgets) and by the bench, which reports round
 * trips beside times:
 *
 *   const counted = countRoundTrips(env.DB);
 *   const services = createServices(config, { ...env, DB: counted.db });
 *   ... run a tool with these services ...
 *   counted.trips.count; // how many round trips it made
 */

/** One statement as it was sent: its SQL and the values bound to it. */
export interface SentStatement {
  sql: string;
  params: unknown[];
}

/** What was sent, one entry per round trip. */
export interface RoundTrip {
  kind: "first" | "all" | "run" | "raw" | "batch" | "exec";
  /** Whether it went through the binding itself or through a session `withSession` opened. */
  via: "db" | "session";
  /** The statement, or for a batch every statement in order. */
  statements: SentStatement[];
}

export interface RoundTrips {
  readonly count: number;
  readonly log: readonly RoundTrip[];
  /** The constraint or bookmark of each session opened, in order (`undefined` when none was given). */
  readonly sessions: ReadonlyArray<string | undefined>;
  /** Forgets what was counted so far (sessions included). */
  reset(): void;
  /** The log as text, one round trip a line, for assertion messages. */
  describe(): string;
}

export interface CountingD1 {
  /** Use this wherever the D1 binding goes (e.g. `{ ...env, DB: counted.db }`). */
  db: D1Database;
  trips: RoundTrips;
}

class Counter implements RoundTrips {
  log: RoundTrip[] = [];
  sessions: Array<string | undefined> = [];
  get count(): number {
    return this.log.length;
  }
  reset(): void {
    this.log = [];
    this.sessions = [];
  }
  describe(): string {
    const oneLine = (sql: string) => sql.replace(/\s+/g, " ").trim().slice(0, 160);
    return this.log.map((t, i) => `${i + 1}. ${t.kind}: ${t.statements.map((s) => oneLine(s.sql)).join(" ‖ ")}`).join("\n");
  }
  hit(kind: RoundTrip["kind"], via: RoundTrip["via"], statements: SentStatement[]): void {
    this.log.push({ kind, via, statements });
  }
}

const INNER = Symbol("inner statement");

type Counted = { [INNER]: D1PreparedStatement; sent: SentStatement };

function countedStatement(inner: D1PreparedStatement, sent: SentStatement, counter: Counter, via: RoundTrip["via"]): D1PreparedStatement {
  const hit = (kind: RoundTrip["kind"]) => counter.hit(kind, via, [sent]);
  const statement = {
    [INNER]: inner,
    sent,
    bind: (...values: unknown[]) => countedStatement(inner.bind(...values), { sql: sent.sql, params: values }, counter, via),
    first: (column?: string) => {
      hit("first");
      return column === undefined ? inner.first() : inner.first(column);
    },
    all: () => {
      hit("all");
      return inner.all();
    },
    run: () => {
      hit("run");
      return inner.run();
    },
    raw: (options?: { columnNames?: boolean }) => {
      hit("raw");
      return options?.columnNames ? inner.raw({ columnNames: true }) : inner.raw();
    },
  };
  return statement as unknown as D1PreparedStatement;
}

function unwrap(statement: D1PreparedStatement): { inner: D1PreparedStatement; sent: SentStatement } {
  const counted = statement as unknown as Partial<Counted>;
  const inner = counted[INNER];
  return inner && counted.sent
    ? { inner, sent: counted.sent }
    : { inner: statement, sent: { sql: "(prepared outside the counter)", params: [] } };
}

/** `prepare` and `batch` over `target` (the database or one of its sessions), counted. */
function countedQueries(target: D1Database | D1DatabaseSession, counter: Counter, via: RoundTrip["via"]) {
  return {
    prepare: (sql: string) => countedStatement(target.prepare(sql), { sql, params: [] }, counter, via),
    batch: <T = unknown>(statements: D1PreparedStatement[]) => {
      const parts = statements.map(unwrap);
      counter.hit(
        "batch",
        via,
        parts.map((p) => p.sent),
      );
      return target.batch<T>(parts.map((p) => p.inner));
    },
  };
}

/** Wraps `db` so every round trip through it, or through a session it opens, is counted. */
export function countRoundTrips(db: D1Database): CountingD1 {
  const counter = new Counter();
  const wrapped = {
    ...countedQueries(db, counter, "db"),
    exec: (sql: string) => {
      counter.hit("exec", "db", [{ sql, params: [] }]);
      return db.exec(sql);
    },
    withSession: (constraintOrBookmark?: string) => {
      counter.sessions.push(constraintOrBookmark);
      const session = db.withSession(constraintOrBookmark);
      return { ...countedQueries(session, counter, "session"), getBookmark: () => session.getBookmark() } as unknown as D1DatabaseSession;
    },
    dump: () => db.dump(),
  };
  return { db: wrapped as unknown as D1Database, trips: counter };
}

import { AuditStore } from "../audit/store";
import type { Config } from "../config";
import { createUploads, type Uploads } from "../uploads/store";
import { AssessmentStore } from "./assessments";
import { D1PropertyStore } from "./d1-store";
import { configureSharedBudgets } from "./live/budget";
import { DEFAULT_KWB_TABLE } from "./live/cbs";
import { LiveSource } from "./live/live-source";
import { DEFAULT_REGISTER_URLS, REGISTER, REGISTER_NAMES, REGISTER_VERSIONS, type RegisterId } from "./live/registers";
import { type AddressSearch, createAddressSearch } from "./search";
import type { D1Queryable, PropertySource } from "./types";

/** One register the live source asks, as `Get_Server_Info` reports it. */
export interface RegisterProvenance {
  register: RegisterId;
  name: string;
  /** Host (and port) of the base URL asked: the public endpoint's, or a configured proxy's or mirror's. */
  host: string;
  /** The API version asked, e.g. "Locatieserver v3.1". */
  version: string;
  /** The CBS table asked (CBS only). */
  table?: string;
}

/** Where property data comes from: the synthetic dataset, or the live registers listed. */
export type DataProvenance = { source: "synthetic" } | { source: "live"; registers: RegisterProvenance[] };

const provenanceOf = new WeakMap<object, DataProvenance>();

/** The provenance of `config`'s property data, for tools to report (worked out once per configuration). */
export function dataProvenance(config: Pick<Config, "dataSource" | "registerUrls" | "cbsKwbTable">): DataProvenance {
  let provenance = provenanceOf.get(config);
  if (!provenance) {
    provenance = Object.freeze(provenanceFrom(config));
    provenanceOf.set(config, provenance);
  }
  return provenance;
}

function provenanceFrom(config: Pick<Config, "dataSource" | "registerUrls" | "cbsKwbTable">): DataProvenance {
  if (config.dataSource !== "live") return { source: "synthetic" };
  const registers = Object.values(REGISTER).map((register): RegisterProvenance => {
    const base = config.registerUrls[register] ?? DEFAULT_REGISTER_URLS[register];
    return {
      register,
      name: REGISTER_NAMES[register],
      host: new URL(base).host,
      version: REGISTER_VERSIONS[register],
      ...(register === REGISTER.cbs && { table: config.cbsKwbTable ?? DEFAULT_KWB_TABLE }),
    };
  });
  return { source: "live", registers };
}

/** What tools use to read property data, keep assessments and read the audit trail. */
export interface Services {
  data: PropertySource;
  /** Free-text address search (Search_Addresses): FTS5 in D1, or the Locatieserver when live. */
  search: AddressSearch;
  /** Where `data` comes from (the data source and, when live, each register asked). */
  provenance: DataProvenance;
  assessments: AssessmentStore;
  /** The audit trail, for the tenant administrator's Get_Audit_Log (read only; the queue consumer writes it). */
  audit: AuditStore;
  /**
   * Portfolio spreadsheet uploads (src/uploads/store.ts), on the D1 binding itself rather than the
   * session: the file arrives through the Worker, and the agent must see it at once.
   */
  uploads: Uploads;
  now: () => Date;
  /**
   * The newest D1 bookmark this request's session has seen (after its reads and writes), or null
   * before its first query. Give it to the next request (`ServicesOptions.bookmark`) and that
   * request reads a database at least this new, on whichever replica serves it.
   */
  bookmark(): string | null;
}

export interface ServicesOptions {
  /** Where the session starts: the newest bookmark the caller kept; without one, any replica ("first-unconstrained"). */
  bookmark?: string | null | undefined;
  /**
   * Called with the session's bookmark once an assessment has been saved or deleted, before the
   * tool answers, so the caller can keep it even when the answer streams on.
   */
  onWrite?: ((bookmark: string) => Promise<void> | void) | undefined;
}

/**
 * The services for one request (or one portfolio batch). Every property and assessment query goes
 * through one D1 session (the Sessions API), so with read replication on, reads are served by a
 * nearby replica while the session stays sequentially consistent: what it wrote, it reads back.
 * Starting from the bookmark of the user's previous request carries that across requests.
 * The audit trail is read on the binding itself (operator and admin reads, rare, and written by
 * the queue consumer, not by this user).
 */
export function createServices(config: Config, env: Env, options: ServicesOptions = {}): Services {
  const session = env.DB.withSession(options.bookmark ?? "first-unconstrained");
  const { onWrite } = options;
  const afterWrite = async () => {
    const bookmark = session.getBookmark();
    if (onWrite && bookmark !== null) await onWrite(bookmark);
  };
  return {
    data: createPropertySource(config, session),
    search: createAddressSearch(config, session),
    provenance: dataProvenance(config),
    assessments: new AssessmentStore(session, afterWrite),
    audit: new AuditStore(env.DB),
    uploads: createUploads(env, config),
    now: () => new Date(),
    bookmark: () => session.getBookmark(),
  };
}

/** The synthetic dataset in D1 by default; with DATA_SOURCE=live, the public registers cached in D1. */
export function createPropertySource(config: Config, db: D1Queryable): PropertySource {
  if (config.dataSource === "live") {
    // The isolate's register budgets take this configuration's limits (the same on every request).
    configureSharedBudgets(config.registerBudgets);
    return new LiveSource({
      db,
      registerUrls: config.registerUrls,
      timeoutMs: config.registerTimeoutMs,
      ...(config.cbsKwbTable !== undefined && { cbsTable: config.cbsKwbTable }),
      ...(config.epOnlineApiKey !== undefined && { epOnlineApiKey: config.epOnlineApiKey }),
    });
  }
  return new D1PropertyStore(db);
}

/** Where the user's agent keeps the newest D1 bookmark its requests and jobs have seen. */
export const BOOKMARK_KEY = "d1-bookmark";

/** The part of Durable Object storage the agent's bookmark needs. */
export type BookmarkStorage = Pick<DurableObjectStorage, "get" | "put">;

/** The newest bookmark each agent's storage holds, as this instance knows it (kept in step with the storage). */
const newestKept = new WeakMap<BookmarkStorage, string>();

/**
 * Keeps `bookmark` in the agent's storage if it is newer than the one kept. D1 bookmarks sort
 * lexicographically in commit order; comparing before writing means a request that finishes late
 * with an older bookmark never replaces a newer one. The comparison and the decision to write
 * happen without an await, so two requests of the same agent cannot interleave between them.
 */
export function keepBookmark(storage: BookmarkStorage, bookmark: string | null): Promise<void> {
  const kept = newestKept.get(storage);
  if (bookmark === null || (kept !== undefined && bookmark <= kept)) return Promise.resolve();
  newestKept.set(storage, bookmark);
  return storage.put(BOOKMARK_KEY, bookmark);
}

/**
 * Services for a request, or a portfolio batch, in the user's agent: its D1 session starts at
 * the newest bookmark the agent has kept, and every saved or deleted assessment's bookmark is
 * kept at once. So what the user saved, in this request or in a job, is seen by their next
 * request even when a replica that has not caught up would otherwise serve it. After the
 * request, `keepBookmark(storage, services.bookmark())` also keeps what its reads saw.
 */
export async function agentServices(config: Config, env: Env, storage: BookmarkStorage): Promise<Services> {
  let kept = newestKept.get(storage);
  if (kept === undefined) {
    const stored = await storage.get<string>(BOOKMARK_KEY);
    // Another request may have kept a newer one while this one read the storage.
    kept = newestKept.get(storage) ?? stored;
    if (kept !== undefined) newestKept.set(storage, kept);
  }
  return createServices(config, env, { bookmark: kept, onWrite: (bookmark) => keepBookmark(storage, bookmark) });
}

import type { AssessmentResult } from "../domain/assessment";
import type { D1Queryable } from "./types";

/** One saved assessment, as its owner (or an admin of the same tenant) sees it. */
export interface SavedAssessment {
  id: string;
  ownerKey: string;
  tenantId: string;
  /**
   * The owner's name and e-mail as signed in when the assessment was saved: null when it was
   * saved before they were recorded (migration 0009), "" when the identity had no such claim.
   */
  ownerName: string | null;
  ownerEmail: string | null;
  addressId: string;
  addressLabel: string;
  engineVersion: string;
  createdAt: string;
  jobId: string | null;
  inputs: Record<string, unknown>;
  result: AssessmentResult;
}

type Row = Record<string, unknown>;

function toSaved(row: Row): SavedAssessment {
  return {
    id: String(row.id),
    ownerKey: String(row.owner_key),
    tenantId: String(row.tenant_id),
    ownerName: typeof row.owner_name === "string" ? row.owner_name : null,
    ownerEmail: typeof row.owner_email === "string" ? row.owner_email : null,
    addressId: String(row.address_id),
    addressLabel: String(row.address_label),
    engineVersion: String(row.engine_version),
    createdAt: String(row.created_at),
    jobId: typeof row.job_id === "string" ? row.job_id : null,
    inputs: JSON.parse(String(row.inputs)) as Record<string, unknown>,
    result: withAddressId(JSON.parse(String(row.result)) as AssessmentResult),
  };
}

/**
 * Results saved before the address id was called `addressId` in every output hold
 * `address.id`: read them under today's name, so old and new rows have one shape.
 */
function withAddressId(result: AssessmentResult): AssessmentResult {
  const address = (result as { address?: { id?: unknown; addressId?: unknown; label?: unknown } }).address;
  if (address && address.addressId === undefined && typeof address.id === "string") {
    const { id, ...rest } = address;
    return { ...result, address: { ...rest, addressId: id } as AssessmentResult["address"] };
  }
  return result;
}

export interface Page<T> {
  items: T[];
  total: number;
}

/** The most JSON one multi-row insert binds (D1 refuses a bound value over 2 MB). */
const INSERT_CHUNK_BYTES = 512 * 1024;

const COLUMNS =
  "id, owner_key, tenant_id, address_id, address_label, inputs, result, engine_version, created_at, job_id, owner_name, owner_email";

/** An assessment's values in the order of COLUMNS. */
function columnValues(a: SavedAssessment): Array<string | null> {
  return [
    a.id,
    a.ownerKey,
    a.tenantId,
    a.addressId,
    a.addressLabel,
    JSON.stringify(a.inputs),
    JSON.stringify(a.result),
    a.engineVersion,
    a.createdAt,
    a.jobId,
    a.ownerName,
    a.ownerEmail,
  ];
}

/**
 * Each user's assessments in D1. Every read and delete is scoped by the owner's key (or, for
 * the admin view, by the tenant), in SQL: no query here can return another user's rows.
 *
 * `afterWrite` runs once each write has been made (services.ts uses it to keep the D1 session's
 * bookmark, so the user's next request reads its own writes even on another replica).
 */
export class AssessmentStore {
  constructor(
    private readonly db: D1Queryable,
    private readonly afterWrite: () => Promise<void> | void = () => {},
  ) {}

  async save(a: Omit<SavedAssessment, "createdAt" | "id">): Promise<SavedAssessment> {
    const saved: SavedAssessment = { ...a, id: crypto.randomUUID(), createdAt: new Date().toISOString() };
    await this.db
      .prepare(`INSERT INTO assessments (${COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)`)
      .bind(...columnValues(saved))
      .run();
    await this.afterWrite();
    return saved;
  }

  /**
   * The statements that save assessments under fixed ids, keeping an id already saved, for a
   * caller that sends them in its own batch (a portfolio batch writes them together with its
   * items' outcomes, in one transaction).
   */
  insertOnceStatements(list: ReadonlyArray<SavedAssessment>): D1PreparedStatement[] {
    // A few statements, each inserting many assessments from one JSON array (json_each), instead
    // of one statement per assessment: a 500-address portfolio batch is 2-4 statements, not 500.
    // Each array stays under INSERT_CHUNK_BYTES, well below D1's limit on a bound value.
    const statements: D1PreparedStatement[] = [];
    let chunk: string[] = [];
    let bytes = 0;
    const flush = () => {
      if (chunk.length === 0) return;
      statements.push(
        this.db
          .prepare(
            `INSERT INTO assessments (${COLUMNS})
             SELECT value ->> '$[0]', value ->> '$[1]', value ->> '$[2]', value ->> '$[3]', value ->> '$[4]', value ->> '$[5]',
                    value ->> '$[6]', value ->> '$[7]', value ->> '$[8]', value ->> '$[9]', value ->> '$[10]', value ->> '$[11]'
             FROM json_each(?1) WHERE true
             ON CONFLICT (id) DO NOTHING`,
          )
          .bind(`[${chunk.join(",")}]`),
      );
      chunk = [];
      bytes = 0;
    };
    for (const a of list) {
      const row = JSON.stringify(columnValues(a));
      if (bytes + row.length > INSERT_CHUNK_BYTES) flush();
      chunk.push(row);
      bytes += row.length + 1;
    }
    flush();
    return statements;
  }

  /**
   * Saves assessments under fixed ids in one round trip (one batch, one transaction); an id that
   * is already saved is left as it is, so saving the same list again changes nothing.
   */
  async saveAllOnce(list: ReadonlyArray<Omit<SavedAssessment, "createdAt">>): Promise<void> {
    if (list.length === 0) return;
    const createdAt = new Date().toISOString();
    await this.db.batch(this.insertOnceStatements(list.map((a) => ({ ...a, createdAt }))));
    await this.afterWrite();
  }

  /** The owner's assessed addresses, each with its latest assessment, newest first. */
  async latestPerAddress(ownerKey: string, limit: number, offset: number): Promise<Page<SavedAssessment>> {
    const [rows, count] = await this.db.batch<Row>([
      this.db
        .prepare(
          `SELECT a.* FROM assessments a
           WHERE a.owner_key = ?1 AND a.id = (
             SELECT b.id FROM assessments b WHERE b.owner_key = a.owner_key AND b.address_id = a.address_id
             ORDER BY b.created_at DESC, b.id DESC LIMIT 1)
           ORDER BY a.created_at DESC, a.id DESC LIMIT ?2 OFFSET ?3`,
        )
        .bind(ownerKey, limit, offset),
      this.db.prepare("SELECT count(DISTINCT address_id) AS total FROM assessments WHERE owner_key = ?1").bind(ownerKey),
    ]);
    return { items: (rows?.results ?? []).map(toSaved), total: Number(count?.results[0]?.total ?? 0) };
  }

  /**
   * One page of the owner's assessments, newest first, without their results (what
   * `resources/list` shows): keyset-paged after `after` on the owner index, so a user with tens
   * of thousands of portfolio assessments pages without counting or skipping them.
   */
  async ownedPage(
    ownerKey: string,
    limit: number,
    after: { createdAt: string; id: string } | null,
  ): Promise<{ items: Array<Pick<SavedAssessment, "id" | "addressId" | "addressLabel" | "createdAt" | "engineVersion">>; more: boolean }> {
    const columns = "id, address_id, address_label, created_at, engine_version";
    const statement = after
      ? this.db
          .prepare(
            `SELECT ${columns} FROM assessments WHERE owner_key = ?1 AND (created_at < ?2 OR (created_at = ?2 AND id < ?3))
             ORDER BY created_at DESC, id DESC LIMIT ?4`,
          )
          .bind(ownerKey, after.createdAt, after.id, limit + 1)
      : this.db
          .prepare(`SELECT ${columns} FROM assessments WHERE owner_key = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2`)
          .bind(ownerKey, limit + 1);
    const { results } = await statement.all<Row>();
    const items = results.slice(0, limit).map((row) => ({
      id: String(row.id),
      addressId: String(row.address_id),
      addressLabel: String(row.address_label),
      createdAt: String(row.created_at),
      engineVersion: String(row.engine_version),
    }));
    return { items, more: results.length > limit };
  }

  async forAddress(ownerKey: string, addressId: string): Promise<SavedAssessment[]> {
    const { results } = await this.db
      .prepare("SELECT * FROM assessments WHERE owner_key = ?1 AND address_id = ?2 ORDER BY created_at DESC, id DESC LIMIT 100")
      .bind(ownerKey, addressId)
      .all<Row>();
    return results.map(toSaved);
  }

  async byId(ownerKey: string, id: string): Promise<SavedAssessment | null> {
    const row = await this.db.prepare("SELECT * FROM assessments WHERE owner_key = ?1 AND id = ?2").bind(ownerKey, id).first<Row>();
    return row ? toSaved(row) : null;
  }

  /** Deletes one of the owner's assessments, in one round trip; what it was about, or null when the owner has none with that id. */
  async delete(ownerKey: string, id: string): Promise<{ addressId: string; addressLabel: string } | null> {
    const { results } = await this.db
      .prepare("DELETE FROM assessments WHERE owner_key = ?1 AND id = ?2 RETURNING address_id, address_label")
      .bind(ownerKey, id)
      .all<{ address_id: string; address_label: string }>();
    const row = results[0];
    if (!row) return null;
    await this.afterWrite();
    return { addressId: row.address_id, addressLabel: row.address_label };
  }

  /** Every assessment in one tenant, newest first (the Admin view). */
  async forTenant(tenantId: string, limit: number, offset: number): Promise<Page<SavedAssessment>> {
    const [rows, count] = await this.db.batch<Row>([
      this.db
        .prepare("SELECT * FROM assessments WHERE tenant_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3")
        .bind(tenantId, limit, offset),
      this.db.prepare("SELECT count(*) AS total FROM assessments WHERE tenant_id = ?1").bind(tenantId),
    ]);
    return { items: (rows?.results ?? []).map(toSaved), total: Number(count?.results[0]?.total ?? 0) };
  }
}

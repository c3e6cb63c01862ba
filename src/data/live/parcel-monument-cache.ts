import type { D1Queryable } from "../types";
import { unitKind } from "./pdok-bag";
import type { BrkParcelFacts } from "./pdok-brk";
import type { RceMonumentFacts } from "./rce-monuments";
import { REGISTER, type RegisterId } from "./registers";

/**
 * Cache writes for a unit's cadastral parcels (PDOK BRK) and rijksmonumenten (RCE), by the rules
 * of ./cache.ts: rows get `is_synthetic = 0`, the register as `source` and the answer's time as
 * `retrieved_at`; synthetic rows and links are never changed; each write is one `db.batch` with a
 * fixed number of statements; the question is remembered in `register_fetches` (subjects
 * `parcel:<unitId>` and `monument:<unitId>`), an empty answer too.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

export const PARCEL_MONUMENT_TTL_MS = {
  /** Parcels are split or merged now and then: 30 days. */
  parcel: 30 * DAY_MS,
  /** Designations and withdrawals of rijksmonumenten are rare: 30 days. */
  monument: 30 * DAY_MS,
} as const;

export const PARCEL_MONUMENT_SUBJECT = {
  parcel: (unitId: string) => `parcel:${unitId}`,
  monument: (unitId: string) => `monument:${unitId}`,
} as const;

function record(db: D1Queryable, register: RegisterId, subject: string, found: boolean, at: string): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO register_fetches (register, subject, retrieved_at, found) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (register, subject) DO UPDATE SET retrieved_at = excluded.retrieved_at, found = excluded.found`,
    )
    .bind(register, subject, at, found ? 1 : 0);
}

/** The unit as a placeholder (status '', no purposes) when it is not cached yet, for the links' foreign key. */
function unitPlaceholder(db: D1Queryable, unitId: string, source: RegisterId, at: string): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO units (id, kind, surface_m2, use_purposes, status, dwelling_type, in_research, is_synthetic, source, retrieved_at)
       VALUES (?1, ?2, NULL, '[]', '', NULL, NULL, 0, ?3, ?4)
       ON CONFLICT (id) DO NOTHING`,
    )
    .bind(unitId, unitKind(unitId), source, at);
}

const LIVE_UNIT = "EXISTS (SELECT 1 FROM units WHERE id = ?1 AND is_synthetic = 0)";

/** Replaces a live unit's parcel links with BRK's answer (upserting the parcels). */
export async function writeParcels(db: D1Queryable, at: string, unitId: string, parcels: readonly BrkParcelFacts[]): Promise<void> {
  const source = REGISTER.brk;
  const json = JSON.stringify(parcels);
  await db.batch([
    unitPlaceholder(db, unitId, source, at),
    db
      .prepare(
        `INSERT INTO parcels (id, cadastral_code, cadastral_name, section, parcel_number, area_m2, area_kind, is_synthetic, source, retrieved_at)
         SELECT json_extract(value, '$.id'), json_extract(value, '$.cadastralCode'), json_extract(value, '$.cadastralName'),
                json_extract(value, '$.section'), json_extract(value, '$.parcelNumber'), json_extract(value, '$.areaM2'),
                json_extract(value, '$.areaKind'), 0, ?2, ?3
         FROM json_each(?1) WHERE true
         ON CONFLICT (id) DO UPDATE SET cadastral_name = excluded.cadastral_name, area_m2 = excluded.area_m2,
           area_kind = excluded.area_kind, source = excluded.source, retrieved_at = excluded.retrieved_at
         WHERE parcels.is_synthetic = 0`,
      )
      .bind(json, source, at),
    db.prepare(`DELETE FROM unit_parcels WHERE unit_id = ?1 AND ${LIVE_UNIT}`).bind(unitId),
    db
      .prepare(
        `INSERT INTO unit_parcels (unit_id, parcel_id)
         SELECT ?1, json_extract(value, '$.id') FROM json_each(?2)
         WHERE ${LIVE_UNIT} AND EXISTS (SELECT 1 FROM parcels WHERE id = json_extract(value, '$.id') AND is_synthetic = 0)
         ON CONFLICT DO NOTHING`,
      )
      .bind(unitId, json),
    record(db, source, PARCEL_MONUMENT_SUBJECT.parcel(unitId), parcels.length > 0, at),
  ]);
}

/** Replaces a live unit's monument links with RCE's answer (upserting the monuments). */
export async function writeMonuments(db: D1Queryable, at: string, unitId: string, monuments: readonly RceMonumentFacts[]): Promise<void> {
  const source = REGISTER.rce;
  const json = JSON.stringify(monuments);
  await db.batch([
    unitPlaceholder(db, unitId, source, at),
    db
      .prepare(
        `INSERT INTO monuments (number, url, is_synthetic, source, retrieved_at)
         SELECT json_extract(value, '$.number'), json_extract(value, '$.url'), 0, ?2, ?3
         FROM json_each(?1) WHERE true
         ON CONFLICT (number) DO UPDATE SET url = excluded.url, source = excluded.source, retrieved_at = excluded.retrieved_at
         WHERE monuments.is_synthetic = 0`,
      )
      .bind(json, source, at),
    db.prepare(`DELETE FROM unit_monuments WHERE unit_id = ?1 AND ${LIVE_UNIT}`).bind(unitId),
    db
      .prepare(
        `INSERT INTO unit_monuments (unit_id, monument_number)
         SELECT ?1, json_extract(value, '$.number') FROM json_each(?2)
         WHERE ${LIVE_UNIT} AND EXISTS (SELECT 1 FROM monuments WHERE number = json_extract(value, '$.number') AND is_synthetic = 0)
         ON CONFLICT DO NOTHING`,
      )
      .bind(unitId, json),
    record(db, source, PARCEL_MONUMENT_SUBJECT.monument(unitId), monuments.length > 0, at),
  ]);
}

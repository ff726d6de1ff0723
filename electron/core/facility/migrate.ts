import type pg from 'pg';
import { facilityMigration0001 } from './migrations/0001-initial.js';
import { facilityMigration0002 } from './migrations/0002-final-labels.js';

/** One schema step of the facility database; `version` is the schema version after it. */
export interface FacilityMigration {
  version: number;
  name: string;
  sql: string;
}

/** The PostgreSQL schema MetaScope's tables live in (pg-boss keeps its own, `pgboss`). */
export const facilitySchema = 'metascope';

export const facilityMigrations: readonly FacilityMigration[] = [facilityMigration0001, facilityMigration0002];

/** A facility database this version cannot use; the message says why. */
export class FacilitySchemaError extends Error {}

/**
 * Brings the facility schema up to the last of `migrations`, all in one transaction (PostgreSQL's
 * DDL is transactional, so a failed step leaves nothing half done). An advisory lock makes two
 * `facility init` runs at once take turns instead of both creating the tables.
 */
export async function migrateFacility(
  client: pg.ClientBase,
  migrations = facilityMigrations,
): Promise<number> {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`Facility migration "${m.name}" is numbered ${m.version}, expected ${i + 1}.`);
  });
  const latest = migrations.at(-1)?.version ?? 0;
  await client.query('BEGIN');
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('metascope facility schema'))");
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${facilitySchema}`);
    await client.query(`SET LOCAL search_path TO ${facilitySchema}`);
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)');
    const current =
      (await client.query<{ version: number }>('SELECT version FROM schema_version')).rows[0]?.version ?? 0;
    if (current > latest) {
      throw new FacilitySchemaError(
        `This facility database was set up by a newer MetaScope (schema ${current}); this version understands up to ${latest}. Update MetaScope on this computer.`,
      );
    }
    for (const m of migrations.filter((step) => step.version > current)) await client.query(m.sql);
    await client.query('DELETE FROM schema_version');
    await client.query('INSERT INTO schema_version (version) VALUES ($1)', [Math.max(current, latest)]);
    await client.query('COMMIT');
    return Math.max(current, latest);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** The schema version of the facility database, 0 where `facility init` never ran. */
export async function facilitySchemaVersion(client: pg.ClientBase): Promise<number> {
  const exists = await client.query(
    `SELECT to_regclass('${facilitySchema}.schema_version') IS NOT NULL AS e`,
  );
  if (!exists.rows[0]?.e) return 0;
  return (
    (await client.query<{ version: number }>(`SELECT version FROM ${facilitySchema}.schema_version`)).rows[0]
      ?.version ?? 0
  );
}

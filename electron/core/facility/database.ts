import pg from 'pg';
import PgBoss from 'pg-boss';
import type { FacilityConnection } from './connection.js';
import { facilitySchema } from './migrate.js';

/** An open facility database: a connection pool for MetaScope's tables and pg-boss on the same pool. */
export interface FacilityDatabase {
  connection: FacilityConnection;
  pool: pg.Pool;
  /** pg-boss on the pool; jobs can be sent, fetched and completed without `startBoss()`. */
  readonly boss: PgBoss;
  /** Starts pg-boss's supervision (expired jobs back to the queue); may be tried again after a failure. */
  startBoss(): Promise<void>;
  /** Runs `work` in one transaction on one connection; `db` lets pg-boss calls join it. */
  transaction<T>(work: (client: pg.PoolClient, db: PgBoss.Db) => Promise<T>): Promise<T>;
  /** Runs `work` on one connection of its own. */
  withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Shown in pg_stat_activity, so operators see which MetaScope holds which connection. */
  applicationName: string;
  /** Expired jobs are only taken back by a pg-boss that supervises: workers do, producers do not. */
  supervise: boolean;
  /** Creates or updates pg-boss's own schema when started: only `facility init` does. */
  migrate?: boolean;
  /** Where errors of idle connections and pg-boss's maintenance go (already redacted). */
  onError(message: string): void;
  /** How often a supervising pg-boss looks for expired jobs. */
  maintenanceIntervalSeconds?: number;
}

/**
 * Opens the pool and a pg-boss that uses it. Nothing connects yet: a producer must be able to
 * start while the database is down. Every connection starts in MetaScope's schema.
 */
export function openFacilityDatabase(connection: FacilityConnection, options: OpenOptions): FacilityDatabase {
  const pool = new pg.Pool({
    connectionString: connection.connectionString,
    application_name: options.applicationName,
    max: 4,
    connectionTimeoutMillis: 5000,
    options: `-c search_path=${facilitySchema},public`,
  });
  // A restarted server ends idle connections; without a listener that would end the process.
  pool.on('error', (error) => options.onError(connection.redact(error.message)));
  const db: PgBoss.Db = { executeSql: (text, values) => pool.query(text, values) };
  const newBoss = () => {
    const created = new PgBoss({
      db,
      migrate: options.migrate ?? false,
      schedule: false,
      supervise: options.supervise,
      maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 10,
    });
    created.on('error', (error) => options.onError(connection.redact(error.message)));
    return created;
  };
  let boss = newBoss();
  return {
    connection,
    pool,
    get boss() {
      return boss;
    },
    async startBoss() {
      try {
        await boss.start();
      } catch (error) {
        // A pg-boss whose start failed stays "starting" and never starts: the next try needs a new one.
        boss = newBoss();
        throw error;
      }
    },
    transaction(work) {
      return checkedOut(pool, async (client) => {
        await client.query('BEGIN');
        try {
          const result = await work(client, { executeSql: (text, values) => client.query(text, values) });
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      });
    },
    withClient(work) {
      return checkedOut(pool, work);
    },
    async close() {
      await boss.stop({ graceful: false, close: false }).catch(() => undefined);
      await pool.end();
    },
  };
}

/**
 * One connection for `work`. A connection lost while checked out is reported on the client, where
 * the pool does not listen: without a listener the process would end (the query under way fails on
 * its own). A connection that failed other than by a statement's error goes, not back to the pool.
 */
async function checkedOut<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  const lost = () => (broken = true);
  client.on('error', lost);
  try {
    return await work(client);
  } catch (error) {
    // A statement's error (a SQLSTATE outside connection exceptions and shutdowns) leaves the
    // connection usable; anything else may not have.
    const code = String((error as { code?: unknown }).code);
    broken ||= !/^[0-9A-Z]{5}$/.test(code) || /^(08|57)/.test(code);
    throw error;
  } finally {
    client.off('error', lost);
    client.release(broken);
  }
}

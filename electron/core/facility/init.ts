import type { FacilityDatabase } from './database.js';
import { migrateFacility } from './migrate.js';
import { createQueues, type QueueSettings } from './queue.js';

/**
 * `facility init`: MetaScope's tables, pg-boss's schema and the queues. Safe to run again: each
 * step brings what exists up to date. `database` must have been opened with `migrate: true`.
 */
export async function initFacility(
  database: FacilityDatabase,
  settings: QueueSettings,
): Promise<{ schemaVersion: number }> {
  const schemaVersion = await database.withClient((client) => migrateFacility(client));
  await database.startBoss();
  try {
    await createQueues(database.boss, settings);
  } finally {
    await database.boss.stop({ graceful: false, close: false });
  }
  return { schemaVersion };
}

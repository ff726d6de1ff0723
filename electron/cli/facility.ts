import {
  facilityConnection,
  FacilityConnectionError,
  type FacilityConnection,
} from '../core/facility/connection.js';
import { openFacilityDatabase, type FacilityDatabase } from '../core/facility/database.js';
import { facilityFailures } from '../core/facility/failures.js';
import type { Places } from '../core/history-store/history-store.js';
import { postgresHistory } from '../core/history-store/postgres.js';
import { failedCaptureReport, historyColumns, historyStatusColumns, storedReportOf, type StoredReport } from './report.js';
import { initFacility } from '../core/facility/init.js';
import { checkFacilitySchema, facilityUnusable } from '../core/facility/usable.js';
import { FacilitySchemaError } from '../core/facility/migrate.js';
import { onceAMinute } from '../core/facility/notices.js';
import { defaultQueueSettings } from '../core/facility/queue.js';
import { facilityStatus } from '../core/facility/status.js';
import { rowWriter, type Column, type OutputFormat } from './output.js';
import { say, visible } from './terminal.js';
import { UsageError } from './usage.js';

/** The options every facility command takes. */
export interface FacilityOptions {
  facility: string;
  passwordFile?: string;
}

/** The connection the options name; a refused address or password file is a usage error (exit 2). */
export function connectionFrom(options: FacilityOptions): FacilityConnection {
  try {
    return facilityConnection(options.facility, { env: process.env, passwordFile: options.passwordFile });
  } catch (error) {
    if (error instanceof FacilityConnectionError) throw new UsageError(error.message);
    throw error;
  }
}

/** Messages of the database (lost connections, pg-boss maintenance), each said at most once a minute. */
export function facilityNotices(prefix: string): (message: string) => void {
  return onceAMinute((message) => say(`${prefix}: ${message}`));
}

/** Runs `work` on the facility database; one that cannot be reached or set up is a sentence and exit 2. */
async function withFacility<T>(
  connection: FacilityConnection,
  options: { migrate: boolean; applicationName: string },
  work: (database: FacilityDatabase) => Promise<T>,
): Promise<T> {
  const database = openFacilityDatabase(connection, {
    ...options,
    supervise: false,
    onError: facilityNotices('metascope'),
  });
  try {
    // Only init may find the database empty; every other command needs the schema it knows.
    if (!options.migrate) await database.withClient((client) => checkFacilitySchema(client, connection));
    return await work(database);
  } catch (error) {
    if (error instanceof UsageError || error instanceof FacilitySchemaError)
      throw new UsageError(error.message);
    const unusable = facilityUnusable(error, connection);
    if (unusable) throw new UsageError(unusable);
    throw new Error(connection.redact((error as Error).message), { cause: error });
  } finally {
    await database.close();
  }
}

export interface InitOptions extends FacilityOptions {
  jobTimeout?: number;
  retries?: number;
  retryDelay?: number;
}

/** `metascope facility init`: tables, pg-boss and queues; safe to run again. */
export async function facilityInitCommand(options: InitOptions): Promise<number> {
  const connection = connectionFrom(options);
  const settings = {
    jobTimeoutSeconds: options.jobTimeout ?? defaultQueueSettings.jobTimeoutSeconds,
    retryLimit: options.retries ?? defaultQueueSettings.retryLimit,
    retryDelaySeconds: options.retryDelay ?? defaultQueueSettings.retryDelaySeconds,
  };
  const { schemaVersion } = await withFacility(
    connection,
    { migrate: true, applicationName: 'metascope facility init' },
    (database) => initFacility(database, settings),
  );
  say(
    `The facility database ${connection.label} is ready (schema ${schemaVersion}): a job held ${settings.jobTimeoutSeconds} s by a worker that went silent goes to another, a failing one is tried ${settings.retryLimit} more times, ${settings.retryDelaySeconds} s apart and doubling, then set aside with its reason.`,
  );
  return 0;
}

/** `metascope facility status`: queue depth, workers alive, jobs per minute, dead letters with reasons. */
export async function facilityStatusCommand(options: FacilityOptions & { json: boolean }): Promise<number> {
  const connection = connectionFrom(options);
  const status = await withFacility(
    connection,
    { migrate: false, applicationName: 'metascope facility status' },
    (database) => facilityStatus(database.pool),
  );
  if (options.json) {
    process.stdout.write(`${JSON.stringify(status)}\n`);
    return 0;
  }
  const { queue, workers, deadLetters } = status;
  const lines = [
    `Queue: ${queue.waiting} waiting, ${queue.retrying} to be tried again, ${queue.active} being classified.`,
    `Workers alive: ${workers.length}${workers.length ? ` (${workers.map((w) => `${w.name} on ${w.provider}: ${w.done} done, ${w.failed} invalid`).join('; ')})` : ''}.`,
    `Finished: ${status.perMinute.toFixed(1)} captures a minute over the last 5 minutes; ${status.invalid} captures are invalid, each with its reason.`,
    `Set aside after their last retry: ${deadLetters.length}.`,
    ...deadLetters.map((d) => `  ${d.sha256}: ${d.reason}`),
  ];
  process.stdout.write(lines.map((line) => `${visible(line)}\n`).join(''));
  return 0;
}

export interface FacilityHistoryOptions extends FacilityOptions {
  workstation?: string;
  microscope?: string;
  class?: string;
  since?: number;
  status?: 'ok' | 'failed' | 'all';
  format: OutputFormat;
}

/** A line of the facility history: the report `history` writes, and where the capture was seen. */
type FacilityHistoryLine = StoredReport & Places;

const placeColumns: Column<FacilityHistoryLine>[] = [
  { header: 'workstations', value: (r) => r.workstations.join(' '), width: 16 },
  { header: 'microscopes', value: (r) => r.microscopes.join(' '), width: 14 },
];

/** `metascope history --facility`: every workstation's results, filterable by workstation and microscope. */
export async function facilityHistoryCommand(options: FacilityHistoryOptions): Promise<number> {
  const connection = connectionFrom(options);
  const status = options.status ?? 'ok';
  if (status === 'failed' && options.class) {
    throw new UsageError(
      'A capture that could not be classified has no class: leave out --class with --status failed.',
    );
  }
  const where = { workstation: options.workstation, microscope: options.microscope };
  const lines = await withFacility(
    connection,
    { migrate: false, applicationName: 'metascope history' },
    async (database): Promise<(FacilityHistoryLine & { at: number })[]> => {
      const results =
        status === 'failed'
          ? []
          : [
              ...(
                await postgresHistory(database.pool).exportRows(
                  { ...where, className: options.class, from: options.since },
                  { key: 'time', direction: 'asc' },
                )
              ).rows,
            ];
      const failures = status === 'ok' ? [] : await facilityFailures(database.pool, { ...where, since: options.since });
      const noPlaces = { workstations: [], microscopes: [] };
      // One list in time order: when each was classified, or found invalid.
      return [
        ...results.map((row) => ({ ...storedReportOf(row), ...(row.places ?? noPlaces), at: row.classifiedAt })),
        ...failures.map((f) => ({ ...failedCaptureReport(f, null), workstations: f.workstations, microscopes: f.microscopes, at: f.updatedAt })),
      ].sort((a, b) => a.at - b.at);
    },
  );
  // The same columns as this computer's own history, then where each capture was seen.
  const columns = [...((status === 'ok' ? historyColumns : historyStatusColumns) as Column<FacilityHistoryLine>[]), ...placeColumns];
  const writer = rowWriter(options.format, process.stdout, columns, (r) => r);
  lines.forEach(({ at: _at, ...line }) => writer.write(line));
  writer.end();
  return 0;
}

import {
  facilityConnection,
  FacilityConnectionError,
  type FacilityConnection,
} from '../core/facility/connection.js';
import { openFacilityDatabase, type FacilityDatabase } from '../core/facility/database.js';
import { facilityFailures, type FacilityFailure } from '../core/facility/failures.js';
import { postgresHistory } from '../core/history-store/postgres.js';
import type { HistoryRow } from '../core/store/history.js';
import { initFacility } from '../core/facility/init.js';
import { checkFacilitySchema, facilityUnusable } from '../core/facility/usable.js';
import { FacilitySchemaError } from '../core/facility/migrate.js';
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
  const said = new Map<string, number>();
  return (message) => {
    const now = Date.now();
    if (now - (said.get(message) ?? 0) < 60_000) return;
    said.set(message, now);
    say(`${prefix}: ${message}`);
  };
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

/** One line of `history --facility`: a result, or a capture that could not be classified. */
interface FacilityHistoryLine {
  sha256: string;
  name: string;
  label: string | null;
  modelClass: string | null;
  probability: number | null;
  model: string | null;
  provider: string | null;
  at: number;
  reviewer: string | null;
  workstations: string[];
  microscopes: string[];
  failureReason: string | null;
}

const lineOfResult = (r: HistoryRow): FacilityHistoryLine => ({
  sha256: r.sha256,
  name: r.fileName,
  label: r.finalLabel,
  modelClass: r.className,
  probability: r.probability,
  model: `${r.model.id} ${r.model.version}`,
  provider: r.provider,
  at: r.classifiedAt,
  reviewer: r.review?.reviewer ?? null,
  workstations: r.places?.workstations ?? [],
  microscopes: r.places?.microscopes ?? [],
  failureReason: null,
});

const lineOfFailure = (f: FacilityFailure): FacilityHistoryLine => ({
  sha256: f.sha256,
  name: f.name,
  label: null,
  modelClass: null,
  probability: null,
  model: null,
  provider: null,
  at: f.failedAt,
  reviewer: null,
  workstations: f.workstations,
  microscopes: f.microscopes,
  failureReason: f.reason,
});

const historyColumns: Column<FacilityHistoryLine>[] = [
  { header: 'sha256', value: (r) => r.sha256, width: 12, keep: 'start' },
  { header: 'name', value: (r) => r.name, width: 24 },
  { header: 'label', value: (r) => r.label, width: 12 },
  { header: 'model_said', value: (r) => r.modelClass, width: 12 },
  {
    header: 'probability',
    value: (r) => (r.probability === null ? null : Number(r.probability.toFixed(4))),
    width: 11,
    align: 'right',
  },
  { header: 'model', value: (r) => r.model, width: 22 },
  { header: 'provider', value: (r) => r.provider, width: 8 },
  { header: 'time', value: (r) => new Date(r.at).toISOString(), width: 24 },
  { header: 'reviewer', value: (r) => r.reviewer, width: 12 },
  { header: 'workstations', value: (r) => r.workstations.join(' '), width: 16 },
  { header: 'microscopes', value: (r) => r.microscopes.join(' '), width: 14 },
  { header: 'failure_reason', value: (r) => r.failureReason, width: 40, keep: 'start' },
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
  const rows = await withFacility(
    connection,
    { migrate: false, applicationName: 'metascope history' },
    async (database): Promise<FacilityHistoryLine[]> => {
      const results =
        status === 'failed'
          ? []
          : await postgresHistory(database.pool).exportRows(
              { ...where, className: options.class, from: options.since },
              { key: 'time', direction: 'asc' },
            );
      const failures = status === 'ok' ? [] : await facilityFailures(database.pool, { ...where, since: options.since });
      // One list in time order: when each was classified, or found invalid.
      return [...results.map(lineOfResult), ...failures.map(lineOfFailure)].sort((a, b) => a.at - b.at);
    },
  );
  const writer = rowWriter(options.format, process.stdout, historyColumns, (r) => r);
  rows.forEach((row) => writer.write(row));
  writer.end();
  return 0;
}

import os from 'node:os';
import path from 'node:path';
import { openFacilityDatabase } from '../core/facility/database.js';
import type { Station } from '../core/facility/producer.js';
import { workstationOutbox } from '../core/facility/workstation-outbox.js';
import { Intake } from '../core/intake/service.js';
import type { Analysis } from '../core/cells/analysis.js';
import type { ModelIdentity } from '../core/model/classifier.js';
import { providerLabels } from '../core/model/providers.js';
import { appVersion, defaultDatabase } from '../core/paths.js';
import type { Store } from '../core/store/store.js';
import { lockDatabaseFile, openDatabaseFile } from './database.js';
import { connectionFrom, facilityNotices } from './facility.js';
import { closeAnalysis, openAnalysis } from './model-run.js';
import { rowWriter, type OutputFormat } from './output.js';
import { csvColumns, failedCaptureReport, reportColumns, storedReportOf, type StoredReport } from './report.js';
import { say, visible } from './terminal.js';
import { UsageError } from './usage.js';

export interface WatchOptions {
  db?: string;
  model?: string;
  detector?: string;
  recursive: boolean;
  settle?: number;
  format: OutputFormat;
  /** Send captures to this facility database instead of classifying them here. */
  facility?: string;
  passwordFile?: string;
  workstation?: string;
  microscope?: string;
}

/**
 * `metascope watch`: classifies whatever arrives in the folders until Ctrl-C or SIGTERM, then
 * finishes what is in flight. The folders join the database's watched folders, as in the app.
 */
export async function watchCommand(folders: string[], options: WatchOptions): Promise<number> {
  if (options.facility) refuseClassifyingOptions(options);
  const database = path.resolve(options.db ?? defaultDatabase());
  const lock = lockDatabaseFile(database, 'metascope watch');
  try {
    const store = openDatabaseFile(database, { mustExist: false });
    try {
      if (options.facility) return await sendUntilSignal(folders, { ...options, facility: options.facility }, store);
      const analysis = await openAnalysis({ model: options.model, detector: options.detector, provider: 'auto', batch: 8 });
      try {
        return await watchUntilSignal(folders, options, store, analysis);
      } finally {
        await closeAnalysis(analysis);
      }
    } finally {
      store.close();
    }
  } finally {
    lock.release();
  }
}

/** With --facility the workers classify: options about classifying here would be silently unused. */
function refuseClassifyingOptions(options: WatchOptions): void {
  const unused = [
    options.model !== undefined && '--model',
    options.detector !== undefined && '--detector',
    options.format !== 'table' && '--format',
  ].filter((name): name is string => typeof name === 'string');
  if (unused.length > 0)
    throw new UsageError(
      `With --facility the facility's workers classify the captures, so ${unused.join(' and ')} ${unused.length === 1 ? 'is' : 'are'} not used here: leave ${unused.length === 1 ? 'it' : 'them'} out (each worker takes --provider, and classifies with the model it was started with).`,
    );
}

/**
 * `watch --facility`: identifies captures as without it, but sends them to the facility's queue
 * instead of classifying them. The local store is the outbox: what the facility has not taken yet
 * waits there, across restarts and however long the facility cannot be reached.
 */
async function sendUntilSignal(folders: string[], options: WatchOptions & { facility: string }, store: Store): Promise<number> {
  const connection = connectionFrom({ facility: options.facility, passwordFile: options.passwordFile });
  const station: Station = { workstation: options.workstation ?? os.hostname(), microscope: options.microscope ?? '' };
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const facility = openFacilityDatabase(connection, {
    applicationName: `metascope watch (${station.workstation})`,
    supervise: false,
    onError: facilityNotices('metascope'),
  });
  const intake = new Intake(
    {
      store,
      appVersion: appVersion(),
      settleMs: options.settle,
      sink: (hooks) => workstationOutbox(hooks, store, facility, station),
    },
    {
      captureChanged: (sha256) => {
        const capture = store.captures.get(sha256);
        const line = (...fields: string[]) => process.stdout.write(`${fields.map(visible).join('\t')}\n`);
        if (capture?.state === 'done') line(sha256, 'sent', capture.name);
        if (capture?.state === 'failed') line(sha256, 'failed', capture.failureReason ?? '');
      },
      notice: (level, message) => say(`metascope: ${level}: ${message}`),
    },
  );
  try {
    await runUntilSignal(intake, folders, options.recursive, store, signal, {
      describe: (watched) =>
        `Watching ${watched} for ${connection.label} as ${station.workstation}${station.microscope ? ` (${station.microscope})` : ''}. Press Ctrl-C to stop.`,
      stopping: 'sending what is in flight',
    });
  } finally {
    await intake.stop();
    await facility.close();
  }
  return 0;
}

async function watchUntilSignal(folders: string[], options: WatchOptions, store: Store, analysis: Analysis): Promise<number> {
  const { classifier } = analysis;
  // Listening from the start, so a signal during start-up still ends in a clean stop.
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const columns = options.format === 'csv' ? csvColumns(classifier.manifest.classes) : reportColumns;
  const writer = rowWriter<StoredReport>(options.format, process.stdout, columns, (r) => r);
  const print = landedReports(store, classifier.identity);
  const intake = new Intake(
    { store, analysis, appVersion: appVersion(), settleMs: options.settle },
    {
      captureChanged: (sha256) => {
        const report = print(sha256);
        if (report) writer.write(report);
      },
      notice: (level, message) => say(`metascope: ${level}: ${message}`),
    },
  );
  try {
    const { name, version } = classifier.identity;
    await runUntilSignal(intake, folders, options.recursive, store, signal, {
      describe: (watched) =>
        `Watching ${watched} with ${name} ${version} on ${providerLabels[classifier.provider]}. Press Ctrl-C to stop.`,
      stopping: 'finishing the captures in flight',
    });
  } finally {
    await intake.stop();
    writer.end();
  }
  return 0;
}

/** Adds the folders, starts the intake and waits for Ctrl-C or SIGTERM; a second signal means "now". */
async function runUntilSignal(
  intake: Intake,
  folders: string[],
  recursive: boolean,
  store: Store,
  signal: Promise<NodeJS.Signals>,
  words: { describe: (watched: string) => string; stopping: string },
): Promise<void> {
  for (const folder of folders) {
    try {
      intake.addFolder(folder, recursive);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  await intake.start();
  const watched = store.folders.list().filter((f) => f.enabled).map((f) => f.path);
  say(words.describe(watched.join(', ')));
  const received = await signal;
  process.stderr.write(`Stopping (${received}): ${words.stopping}…\n`);
  // What is unfinished is queued and resumes next time.
  const now = () => process.exit(130);
  process.once('SIGINT', now);
  process.once('SIGTERM', now);
}

// A result counts as landing for this long after it was saved; later news of it is a new path.
const landingMs = 60_000;

/**
 * Turns "this capture changed" into one line per outcome as it lands in this run: a capture that
 * only gained a path, or finished before, prints nothing. Memory stays bounded by a minute's results.
 */
function landedReports(store: Store, model: ModelIdentity): (sha256: string) => StoredReport | null {
  const since = Date.now();
  const printed = new Map<string, number>();
  const once = (key: string, at: number, report: () => StoredReport): StoredReport | null => {
    const now = Date.now();
    for (const [old, time] of printed) {
      if (now - time <= landingMs) break;
      printed.delete(old);
    }
    if (at < since || now - at > landingMs || printed.has(key)) return null;
    printed.set(key, now);
    return report();
  };
  return (sha256) => {
    const capture = store.captures.get(sha256);
    if (capture?.state === 'failed') {
      return once(`${sha256} failed ${capture.updatedAt}`, capture.updatedAt, () => failedCaptureReport(capture, model));
    }
    const latest = capture?.state === 'done' ? store.history.forCapture(sha256)[0] : undefined;
    return latest ? once(`${sha256} ${latest.resultId} ${latest.classifiedAt}`, latest.classifiedAt, () => storedReportOf(latest)) : null;
  };
}

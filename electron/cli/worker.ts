import os from 'node:os';
import { openFacilityDatabase } from '../core/facility/database.js';
import { parsePathRule, type PathRule } from '../core/facility/path-map.js';
import { FacilityWorker } from '../core/facility/worker.js';
import { providerLabels } from '../core/model/providers.js';
import { appVersion } from '../core/paths.js';
import { connectionFrom, facilityNotices, type FacilityOptions } from './facility.js';
import { closeAnalysis, openAnalysis, type ModelRunOptions } from './model-run.js';
import { say, visible } from './terminal.js';
import { UsageError } from './usage.js';

export interface WorkerOptions extends FacilityOptions, ModelRunOptions {
  pathMap?: string[];
  name?: string;
}

/**
 * `metascope worker`: classifies the facility's captures until Ctrl-C or SIGTERM, then finishes
 * and writes the batch in hand. Prints one line per capture it settles.
 */
export async function workerCommand(options: WorkerOptions): Promise<number> {
  const connection = connectionFrom(options);
  let pathRules: PathRule[];
  try {
    pathRules = (options.pathMap ?? []).map(parsePathRule);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const analysis = await openAnalysis(options);
  const notice = facilityNotices('metascope worker');
  const database = openFacilityDatabase(connection, {
    applicationName: 'metascope worker',
    supervise: true,
    maintenanceIntervalSeconds: 5,
    onError: notice,
  });
  const name = options.name ?? `${os.hostname()}-${process.pid}`;
  const worker = new FacilityWorker({
    database,
    analysis,
    analysisChoice: options.analysis,
    name,
    pathRules,
    batchSize: options.batch,
    appVersion: appVersion(),
    notice: (level, message) => notice(`${level}: ${message}`),
    onSettled: (sha256, outcome, detail) =>
      process.stdout.write(`${[sha256, outcome, detail].map(visible).join('\t')}\n`),
  });
  try {
    worker.start();
    const { classifier } = analysis;
    say(
      `Worker ${name} takes captures from ${connection.label} with ${classifier.identity.name} ${classifier.identity.version} on ${providerLabels[classifier.provider]}, ${options.batch} at a time. Press Ctrl-C to stop.`,
    );
    const received = await signal;
    say(`Stopping (${received}): finishing the batch in hand…`);
    // A second signal means "now": the jobs in hand go to another worker once they expire.
    const now = () => process.exit(130);
    process.once('SIGINT', now);
    process.once('SIGTERM', now);
  } finally {
    await worker.stop();
    await database.close();
    await closeAnalysis(analysis);
  }
  return 0;
}

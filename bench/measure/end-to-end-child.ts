/**
 * One end-to-end run in its own process, so its peak memory is the engine's alone: files moved
 * into a watched folder go through the real intake, pipeline, model and SQLite store.
 * Prints one JSON line: { rate, rateIncludingFill, latencies, peakRssMb, engineThreadBusy, cpuMsPerCapture, failed, ranOn,
 * cellsPerCapture, classifierCalls, detectors, maxBatch }.
 */
import { link, mkdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Intake } from '../../electron/core/intake/service.js';
import { readCaptureInfo } from '../../electron/core/capture/decode.js';
import { Analysis, type AnalysisChoice } from '../../electron/core/cells/analysis.js';
import { Detector } from '../../electron/core/cells/detector.js';
import { Classifier } from '../../electron/core/model/classifier.js';
import type { ProviderName } from '../../electron/core/model/providers.js';
import { openStore } from '../../electron/core/store/store.js';

export interface EndToEndRequest {
  mode: 'throughput' | 'latency';
  model: string;
  /** The captures, on the same file system as workDir: they are linked into it. */
  files: string[];
  workDir: string;
  settleMs: number;
  batchSize: number;
  decodeConcurrency: number;
  provider: ProviderName;
  threads?: number;
  /** The watched folder's analysis (default 'one-cell': every capture classified whole). */
  analysis?: AnalysisChoice;
  /** The cell finder's folder, loaded unless the analysis is 'one-cell'. */
  detector?: string;
}

const request = JSON.parse(process.argv[2]!) as EndToEndRequest;
const folder = path.join(request.workDir, 'watched');
const staging = path.join(request.workDir, 'staging');
const database = path.join(request.workDir, 'bench.db');
await mkdir(folder, { recursive: true });
// The captures are placed beside the folder first and moved in during the run, as acquisition
// software that writes and then renames does. Writing them is the microscope's work, so they are
// linked, not copied: copied in during the run, 48 fields of 8 MB took a fifth of this process's
// CPU; copied just before it, they were written back to disk during the run, which left a fifth to
// a third of the CPU idle (EfficientNet-B0 on 16-bit fields: 33–40 instead of 46–50 per second).
await mkdir(staging, { recursive: true });
await Promise.all(request.files.map((file) => link(file, path.join(staging, path.basename(file)))));
const arrive = (file: string) => rename(path.join(staging, path.basename(file)), path.join(folder, path.basename(file)));
const store = openStore(database);
const watched = store.folders.add(folder, { recursive: false });
// The capture rows measure captures classified whole, as before whole fields were analysed cell by
// cell; the field rows ask for 'find-cells'.
const choice = request.analysis ?? 'one-cell';
store.folders.update(watched.id, { analysis: choice });
const sessionOptions = { provider: request.provider, threads: request.threads };
const classifier = await Classifier.open(request.model, sessionOptions);
const detector = choice !== 'one-cell' && request.detector ? await Detector.open(request.detector, sessionOptions) : null;
const analysis = new Analysis(classifier, detector, detector ? null : 'the bench classifies captures whole.');
// As in the app, which loads a model once and keeps it: its first runs (arena growth, one per
// batch size) are not part of the steady rate. The model-only measure warms up the same way.
const { input } = classifier.manifest;
for (const size of new Set([1, request.batchSize])) {
  await classifier.run(Array.from({ length: size }, () => new Float32Array(input.channels * input.width * input.height)));
}
if (choice !== 'one-cell') {
  // A field warms the detector at the fields' size and the classifier at a field's crop count.
  const bytes = await readFile(request.files[0]!);
  const prepared = await analysis.prepare(bytes, await readCaptureInfo(bytes), { choice });
  await classifier.run(prepared.inputs);
}
// How many crops each call to the classifier carried: a field's crops go as one batch, not one by one.
const classifierCalls: number[] = [];
const run = classifier.run.bind(classifier);
classifier.run = (tensors) => {
  classifierCalls.push(tensors.length);
  return run(tensors);
};

let finished = 0;
let onFinished: (() => void) | null = null;
const intake = new Intake(
  {
    store,
    analysis,
    appVersion: 'bench',
    settleMs: request.settleMs,
    batchSize: request.batchSize,
    decodeConcurrency: request.decodeConcurrency,
  },
  {
    captureChanged: (sha256) => {
      const state = store.captures.get(sha256)?.state;
      if (state === 'done' || state === 'failed') {
        finished++;
        onFinished?.();
      }
    },
  },
);
await intake.start();
const busyFrom = performance.eventLoopUtilization();
const cpuFrom = process.cpuUsage();

const waitFor = (count: number) =>
  new Promise<void>((resolve) => {
    onFinished = () => {
      if (finished >= count) resolve();
    };
    onFinished();
  });

if (request.mode === 'throughput') {
  await Promise.all(request.files.map(arrive));
  await waitFor(request.files.length);
} else {
  for (const [i, file] of request.files.entries()) {
    await arrive(file);
    await waitFor(i + 1);
  }
}
const engineThreadBusy = performance.eventLoopUtilization(busyFrom).utilization;
const cpu = process.cpuUsage(cpuFrom);
await intake.stop();
await Promise.all([classifier.close(), detector?.close()]);
store.close();

// Settled (attached as a capture) → stored (result row), from the database itself.
const db = new Database(database, { readonly: true });
const rows = db
  .prepare(
    `SELECT c.first_seen_at AS settled, r.classified_at AS stored,
            CASE WHEN r.analysis = 'find-cells' THEN (SELECT count(*) FROM cells WHERE result_id = r.id) END AS cells
     FROM results r JOIN captures c ON c.id = r.capture_id ORDER BY r.id`,
  )
  .all() as { settled: number; stored: number; cells: number | null }[];
const failed = db.prepare("SELECT count(*) FROM captures WHERE state = 'failed'").pluck().get() as number;
// What each result says ran it, as History shows it: proof of where the model really ran.
const ranOn = db.prepare('SELECT DISTINCT provider FROM results ORDER BY provider').pluck().all() as string[];
// Fields only: which cell finder the results name (its model's SHA-256).
const detectors = db
  .prepare("SELECT DISTINCT json_extract(detector, '$.sha256') FROM results WHERE detector IS NOT NULL")
  .pluck()
  .all() as string[];
db.close();
const firstSettled = Math.min(...rows.map((r) => r.settled));
const firstStored = Math.min(...rows.map((r) => r.stored));
const lastStored = Math.max(...rows.map((r) => r.stored));
// The steady rate: results stored after the first ones, over the time from those to the last. Up to
// the first result the pipeline is filling (one capture's latency, measured on its own), which a
// run of a hundred captures would otherwise count as a tenth of its time.
// A run short enough to be stored at once has no steady part.
const after = rows.filter((r) => r.stored > firstStored).length;
const rateIncludingFill = rows.length / ((lastStored - firstSettled) / 1000);
process.stdout.write(
  JSON.stringify({
    rate: after > 0 ? after / ((lastStored - firstStored) / 1000) : rateIncludingFill,
    rateIncludingFill,
    latencies: rows.map((r) => r.stored - r.settled),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    engineThreadBusy,
    cpuMsPerCapture: (cpu.user + cpu.system) / 1000 / rows.length,
    failed,
    ranOn,
    // Fields only: the cells stored for each (every cell found, whether the classifier took it or not).
    cellsPerCapture: rows.flatMap((r) => (r.cells === null ? [] : [r.cells])),
    classifierCalls,
    detectors,
    // The graph's largest batch (Classifier.run splits larger ones); null when its batch axis is free.
    maxBatch: Number.isFinite(classifier.maxBatch) ? classifier.maxBatch : null,
  }) + '\n',
);

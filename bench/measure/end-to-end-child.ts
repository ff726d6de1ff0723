/**
 * One end-to-end run in its own process, so its peak memory is the engine's alone: files copied
 * into a watched folder go through the real intake, pipeline, model and SQLite store.
 * Prints one JSON line: { rate, latencies, peakRssMb, engineThreadBusy, failed, ranOn }.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Intake } from '../../electron/core/intake/service.js';
import { Classifier } from '../../electron/core/model/classifier.js';
import type { ProviderName } from '../../electron/core/model/providers.js';
import { openStore } from '../../electron/core/store/store.js';

export interface EndToEndRequest {
  mode: 'throughput' | 'latency';
  model: string;
  files: string[];
  workDir: string;
  settleMs: number;
  batchSize: number;
  decodeConcurrency: number;
  provider: ProviderName;
  threads?: number;
}

const request = JSON.parse(process.argv[2]!) as EndToEndRequest;
const folder = path.join(request.workDir, 'watched');
const database = path.join(request.workDir, 'bench.db');
await mkdir(folder, { recursive: true });
const store = openStore(database);
store.folders.add(folder, { recursive: false });
const classifier = await Classifier.open(request.model, { provider: request.provider, threads: request.threads });
// As in the app, which loads a model once and keeps it: its first runs (arena growth, one per
// batch size) are not part of the steady rate. The model-only measure warms up the same way.
const { input } = classifier.manifest;
for (const size of new Set([1, request.batchSize])) {
  await classifier.run(Array.from({ length: size }, () => new Float32Array(input.channels * input.width * input.height)));
}

let finished = 0;
let onFinished: (() => void) | null = null;
const intake = new Intake(
  {
    store,
    classifier,
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

const waitFor = (count: number) =>
  new Promise<void>((resolve) => {
    onFinished = () => {
      if (finished >= count) resolve();
    };
    onFinished();
  });

if (request.mode === 'throughput') {
  await Promise.all(request.files.map((file) => copyFile(file, path.join(folder, path.basename(file)))));
  await waitFor(request.files.length);
} else {
  for (const [i, file] of request.files.entries()) {
    await copyFile(file, path.join(folder, path.basename(file)));
    await waitFor(i + 1);
  }
}
const engineThreadBusy = performance.eventLoopUtilization(busyFrom).utilization;
await intake.stop();
await classifier.close();
store.close();

// Settled (attached as a capture) → stored (result row), from the database itself.
const db = new Database(database, { readonly: true });
const rows = db
  .prepare('SELECT c.first_seen_at AS settled, r.classified_at AS stored FROM results r JOIN captures c ON c.id = r.capture_id')
  .all() as { settled: number; stored: number }[];
const failed = db.prepare("SELECT count(*) FROM captures WHERE state = 'failed'").pluck().get() as number;
// What each result says ran it, as History shows it: proof of where the model really ran.
const ranOn = db.prepare('SELECT DISTINCT provider FROM results ORDER BY provider').pluck().all() as string[];
db.close();
const span = (Math.max(...rows.map((r) => r.stored)) - Math.min(...rows.map((r) => r.settled))) / 1000;
process.stdout.write(
  JSON.stringify({
    rate: rows.length / span,
    latencies: rows.map((r) => r.stored - r.settled),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    engineThreadBusy,
    failed,
    ranOn,
  }) + '\n',
);

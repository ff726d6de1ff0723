/**
 * Facility mode against the single-process pipeline, on the same captures (not part of `npm test`):
 *
 *   npx tsx bench/measure/facility.ts [--count 96] [--model models/default] [--workers 1,2,3] [--json]
 *
 * - baseline: the captures through one in-process Pipeline (what `metascope classify` runs), model
 *   loaded and warmed up on 16 other captures first, all cores;
 * - facility with k workers (real `metascope worker` processes, each with cores/k model threads, on a
 *   throw-away PostgreSQL): workers started and warmed up on 16 other captures (their first batch
 *   pays for loading modules and the model's first run), then every capture enqueued in one
 *   transaction; throughput from that commit to the last capture settled;
 * - queue overhead: enqueue to start (pg-boss's created_on → started_on) p50/p95 of captures enqueued
 *   one at a time, 300 ms apart, to one idle worker, so no capture waits behind another.
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { makeFixtures } from '../fixtures.js';
import { readCaptureInfo } from '../../electron/core/capture/decode.js';
import { readCaptureContent } from '../../electron/core/capture/identity.js';
import { Analysis } from '../../electron/core/cells/analysis.js';
import { facilityConnection } from '../../electron/core/facility/connection.js';
import { openFacilityDatabase, type FacilityDatabase } from '../../electron/core/facility/database.js';
import { sendCaptures } from '../../electron/core/facility/producer.js';
import { startTestPostgres, type TestPostgres } from '../../electron/core/facility/testing/postgres.js';
import { Classifier } from '../../electron/core/model/classifier.js';
import { Pipeline } from '../../electron/core/pipeline/pipeline.js';
import type { Capture } from '../../electron/core/store/captures.js';
import { runCli, startCli } from '../../e2e/support/cli-process.js';
import { makeTempDir } from '../../electron/core/capture/testing/images.js';
import { percentile } from './stats.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const count = Number(option('count', '96'));
const model = path.resolve(option('model', 'models/default'));
const workerCounts = option('workers', '1,2,3').split(',').map(Number);
const cores = availableParallelism();
const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function capturesOf(files: string[]): Promise<Capture[]> {
  return Promise.all(
    files.map(async (file) => {
      const { bytes, sha256 } = await readCaptureContent(file);
      return {
        sha256,
        name: path.basename(file),
        info: { size: bytes.length, ...(await readCaptureInfo(bytes)) },
        state: 'queued' as const,
        failureReason: null,
        attempts: 0,
        firstSeenAt: Date.now(),
        updatedAt: Date.now(),
        paths: [file],
      };
    }),
  );
}

async function baseline(files: string[], warmUp: string[]): Promise<number> {
  const analysis = new Analysis(await Classifier.open(model, { provider: 'cpu' }), null);
  try {
    const pipeline = new Pipeline({ analysis, batchSize: 8, onOutcomes: () => {} });
    const run = async (paths: string[]) => {
      pipeline.push(...paths.map((file) => ({ path: file, analysis: 'one-cell' as const })));
      await pipeline.idle();
    };
    await run(warmUp);
    const started = performance.now();
    await run(files);
    return files.length / ((performance.now() - started) / 1000);
  } finally {
    await analysis.classifier.close();
  }
}

/** A fresh facility database, set up with `facility init`. */
async function freshFacility(
  server: TestPostgres,
): Promise<{ url: string; database: FacilityDatabase }> {
  const url = await server.freshDatabase();
  const init = await runCli(['facility', 'init', '--facility', url]);
  if (init.code !== 0) throw new Error(init.stderr);
  const database = openFacilityDatabase(facilityConnection(url, { env: {} }), {
    applicationName: 'bench',
    supervise: false,
    onError: log,
  });
  return { url, database };
}

async function withWorkers<T>(url: string, k: number, work: () => Promise<T>): Promise<T> {
  const threads = String(Math.max(1, Math.floor(cores / k)));
  const workers = Array.from({ length: k }, (_, i) =>
    startCli([
      'worker',
      '--facility',
      url,
      '--model',
      model,
      '--provider',
      'cpu',
      '--threads',
      threads,
      '--analysis',
      'one-cell',
      '--batch',
      '8',
      '--name',
      `bench-${i}`,
    ]),
  );
  try {
    // Each says it is ready on stderr once its model is loaded.
    const deadline = Date.now() + 120_000;
    while (workers.some((w) => !/takes captures from/.test(w.log()))) {
      if (Date.now() > deadline)
        throw new Error(`Workers did not start:\n${workers.map((w) => w.log()).join('\n')}`);
      await sleep(100);
    }
    return await work();
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

async function settled(pool: pg.Pool): Promise<number> {
  const rows = await pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM captures WHERE state <> 'queued'",
  );
  return rows.rows[0]!.n;
}

const station = { workstation: 'bench', microscope: '' };
const warmUpCount = 16;

async function main(): Promise<void> {
  const temp = makeTempDir('metascope-bench-facility-');
  const server = await startTestPostgres();
  try {
    const fixtures = await makeFixtures(path.join(temp.dir, 'captures'), {
      kind: 'crop224',
      count: count + warmUpCount,
    });
    const warmUpFiles = fixtures.slice(count).map((f) => f.path);
    const files = fixtures.slice(0, count).map((f) => f.path);
    const captures = await capturesOf(files);
    const warmUp = await capturesOf(warmUpFiles);
    log(`${count} crop224 captures, ${path.basename(model)} on the CPU, ${cores} cores.`);
    const single = await baseline(files, warmUpFiles);
    log(`baseline (one process, Pipeline): ${single.toFixed(1)} captures/s`);
    const throughput: Record<string, number> = {};
    for (const k of workerCounts) {
      const { url, database } = await freshFacility(server);
      try {
        throughput[k] = await withWorkers(url, k, async () => {
          await sendCaptures(database, station, warmUp);
          while ((await settled(database.pool)) < warmUpCount) await sleep(20);
          const started = performance.now();
          await sendCaptures(database, station, captures);
          while ((await settled(database.pool)) < count + warmUpCount) await sleep(20);
          return count / ((performance.now() - started) / 1000);
        });
        log(
          `facility, ${k} worker${k === 1 ? '' : 's'}: ${throughput[k]!.toFixed(1)} captures/s (${(throughput[k]! / single).toFixed(2)} of the baseline)`,
        );
      } finally {
        await database.close();
      }
    }
    const trickle = Math.min(30, count);
    const { url, database } = await freshFacility(server);
    let waits: number[];
    try {
      waits = await withWorkers(url, 1, async () => {
        await sendCaptures(database, station, warmUp);
        while ((await settled(database.pool)) < warmUpCount) await sleep(20);
        const timed = captures.slice(0, trickle);
        for (const capture of timed) {
          await sendCaptures(database, station, [capture]);
          await sleep(300);
        }
        while ((await settled(database.pool)) < warmUpCount + trickle) await sleep(20);
        const rows = await database.pool.query<{ ms: number }>(
          `SELECT extract(epoch FROM started_on - created_on) * 1000 AS ms FROM pgboss.job
           WHERE name = 'metascope-captures' AND data->>'sha256' = ANY($1::text[])
           UNION ALL SELECT extract(epoch FROM started_on - created_on) * 1000 FROM pgboss.archive
           WHERE name = 'metascope-captures' AND data->>'sha256' = ANY($1::text[])`,
          [timed.map((c) => c.sha256)],
        );
        return rows.rows.map((r) => Number(r.ms));
      });
    } finally {
      await database.close();
    }
    const p50 = percentile(waits, 50);
    const p95 = percentile(waits, 95);
    log(
      `enqueue to start, one worker idle, ${waits.length} captures 300 ms apart: p50 ${p50.toFixed(0)} ms, p95 ${p95.toFixed(0)} ms`,
    );
    const report = {
      count,
      model: path.basename(model),
      cores,
      baseline: single,
      throughput,
      enqueueToStartMs: { p50, p95 },
    };
    if (args.includes('--json')) process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await server.stop();
    temp.remove();
  }
}

await main();

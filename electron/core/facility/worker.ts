import { access, constants } from 'node:fs/promises';
import os from 'node:os';
import type PgBoss from 'pg-boss';
import type { Analysis, AnalysisChoice } from '../cells/analysis.js';
import { resultOf } from '../intake/provenance.js';
import { Pipeline, type Outcome } from '../pipeline/pipeline.js';
import type { ResultInput } from '../store/captures.js';
import type { FacilityDatabase } from './database.js';
import { mapPath, type PathRule } from './path-map.js';
import { heldJobs } from './leases.js';
import { captureQueue, type CaptureJobData } from './queue.js';
import { insertResult, markCaptureFailed, registerModel } from './results.js';

export interface FacilityWorkerOptions {
  database: FacilityDatabase;
  analysis: Analysis;
  /** One cell per capture, find the cells of each, or decide by size (default). */
  analysisChoice?: AnalysisChoice;
  /** This worker's name in `facility status` and on each of its results. */
  name: string;
  pathRules: readonly PathRule[];
  /** Jobs fetched at once: the model's batch, so a GPU runs full batches. */
  batchSize: number;
  appVersion: string;
  notice(level: 'info' | 'warning' | 'error', message: string): void;
  /** Each capture this worker settled: classified, invalid (with the reason) or handed back. */
  onSettled?(sha256: string, outcome: 'classified' | 'invalid' | 'retry', detail: string): void;
  /** How long an empty queue is left before asking again (default 250 ms). */
  idleMs?: number;
  /** The first wait after losing the database; doubles up to 30 s. */
  reconnectMs?: number;
}

/** What a batch ends in, written in one transaction with the jobs' completion. */
interface Settlement {
  /** Each job's retry count when this worker took it: a job taken again after expiry has a higher one. */
  leases: Map<string, number>;
  results: Array<{ jobId: string; result: ResultInput }>;
  /** Invalid captures: stored with the reason and completed, never tried again. */
  invalid: Array<{ jobId: string; sha256: string; reason: string }>;
  /** Failures that may pass (file not reachable from here, the model failing): retried with backoff, then dead-lettered. */
  retry: Array<{ jobId: string; sha256: string; reason: string }>;
}

const heartbeatMs = 5000;
/**
 * How often an idle worker asks for jobs: pg-boss 10 has no notification, so this is the queue's
 * latency (enqueue to start was p50 522 ms at 1 s). One indexed query a quarter second per worker.
 */
const idlePollMs = 250;
const maxReconnectMs = 30_000;

/** Outcome codes that say the capture itself is bad: reading it again, anywhere, gives the same. */
const retryableCodes = new Set(['unreadable', 'model-failed']);

/**
 * Takes capture jobs from the facility's queue in batches, reads each capture where this machine
 * sees it, checks its bytes against the SHA-256, classifies, and writes each result in the same
 * transaction that completes its job: a worker killed at any moment leaves either both or neither,
 * and pg-boss hands an unfinished job to another worker once it expires.
 */
export class FacilityWorker {
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private lastHeartbeat = 0;
  private readonly startedAt = Date.now();
  private done = 0;
  private failed = 0;
  /** Batches classified but not yet written (the database went away meanwhile): written first when it is back. */
  private readonly unwritten: Settlement[] = [];
  /**
   * The last batch's write, under way while the next batch is classified, so the model does not
   * wait for the database. Resolves with its error instead of rejecting, so no failure goes unheard.
   */
  private writing: Promise<Error | null> | null = null;

  constructor(private readonly options: FacilityWorkerOptions) {}

  /** Runs until `stop()`; reconnects by itself. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Finishes and writes the batch in hand, then says goodbye in the workers table. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await this.options.database.pool
      .query('DELETE FROM workers WHERE name = $1', [this.options.name])
      .catch(() => undefined);
  }

  private async run(): Promise<void> {
    const { database, notice } = this.options;
    let failures = 0;
    let started = false;
    while (!this.stopped) {
      try {
        if (!started) {
          await this.prepare();
          started = true;
        }
        while (this.unwritten.length > 0) {
          await this.write(this.unwritten[0]!);
          this.unwritten.shift();
        }
        await this.heartbeat();
        if (failures > 0)
          notice(
            'info',
            `The facility database ${database.connection.label} can be reached again: work goes on.`,
          );
        failures = 0;
        const jobs = await database.boss.fetch<CaptureJobData>(captureQueue, {
          // Two model batches: the second is read and decoded while the first runs, as the Feed does.
          batchSize: this.options.batchSize * 2,
          includeMetadata: true,
        });
        if (jobs.length === 0) await this.sleep(this.options.idleMs ?? idlePollMs);
        else await this.work(jobs);
      } catch (error) {
        if (failures === 0) {
          notice(
            'warning',
            `The facility database ${database.connection.label} cannot be reached (${database.connection.redact((error as Error).message)}). This worker tries again, less often the longer it takes.`,
          );
        }
        await this.sleep(Math.min(maxReconnectMs, (this.options.reconnectMs ?? 1000) * 2 ** failures));
        failures++;
      }
    }
    // Stopping: the batch in hand is written; if that fails, its jobs expire and go to another worker.
    await this.writing;
  }

  /** pg-boss's maintenance (expired jobs back to the queue) runs in workers; the model goes on record. */
  private async prepare(): Promise<void> {
    const { database, analysis } = this.options;
    const { identity, manifest } = analysis.classifier;
    await database.transaction((client) => registerModel(client, { ...identity, classes: manifest.classes }));
    await database.startBoss();
  }

  private async heartbeat(): Promise<void> {
    if (Date.now() - this.lastHeartbeat < heartbeatMs) return;
    const now = Date.now();
    await this.options.database.pool.query(
      `INSERT INTO workers (name, host, provider, started_at, heartbeat_at, done, failed) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (name) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, done = excluded.done, failed = excluded.failed,
         provider = excluded.provider`,
      [
        this.options.name,
        os.hostname(),
        this.options.analysis.classifier.provider,
        this.startedAt,
        now,
        this.done,
        this.failed,
      ],
    );
    this.lastHeartbeat = now;
  }

  private async work(jobs: PgBoss.JobWithMetadata<CaptureJobData>[]): Promise<void> {
    const leases = new Map(jobs.map((job) => [job.id, job.retryCount]));
    const settlement: Settlement = { leases, results: [], invalid: [], retry: [] };
    const byPath = new Map<string, PgBoss.JobWithMetadata<CaptureJobData>>();
    const sightings = await this.sightingsOf(jobs.map((job) => job.data.sha256));
    for (const job of jobs) {
      const { sha256 } = job.data;
      const file = await this.readablePath(sightings.get(sha256) ?? []);
      if (typeof file === 'string' && !byPath.has(file)) byPath.set(file, job);
      else if (typeof file === 'string')
        settlement.retry.push({
          jobId: job.id,
          sha256,
          reason: `Another capture of this batch is read from ${file}.`,
        });
      else settlement.retry.push({ jobId: job.id, sha256, reason: file.reason });
    }
    const outcomes: Outcome[] = [];
    const pipeline = new Pipeline({
      analysis: this.options.analysis,
      batchSize: this.options.batchSize,
      onOutcomes: (batch) => void outcomes.push(...batch),
    });
    // The folder's own choice (carried in the job) wins; 'auto' leaves it to this worker's.
    pipeline.push(
      ...[...byPath].map(([path, job]) => ({
        path,
        analysis: job.data.analysis && job.data.analysis !== 'auto' ? job.data.analysis : this.options.analysisChoice,
      })),
    );
    await pipeline.idle();
    for (const outcome of outcomes) {
      const job = byPath.get(outcome.job.path)!;
      const { sha256 } = job.data;
      if (outcome.status === 'failed') {
        const entry = { jobId: job.id, sha256, reason: outcome.reason };
        (retryableCodes.has(outcome.code) ? settlement.retry : settlement.invalid).push(entry);
      } else if (outcome.sha256 !== sha256) {
        settlement.invalid.push({
          jobId: job.id,
          sha256,
          reason: `The file at ${outcome.job.path} no longer holds this capture: its content changed after it was seen (its SHA-256 is now ${outcome.sha256}).`,
        });
      } else {
        settlement.results.push({
          jobId: job.id,
          result: resultOf(outcome, sha256, this.options.analysis, this.options.appVersion),
        });
      }
    }
    const previous = await this.writing;
    if (previous) {
      this.writing = null;
      this.unwritten.push(settlement);
      throw previous;
    }
    this.writing = this.write(settlement).then(
      () => null,
      (error: Error) => {
        this.unwritten.push(settlement);
        return error;
      },
    );
  }

  /** One transaction: every result and invalid capture stored, their jobs completed, the rest failed for a retry. */
  private async write(settlement: Settlement): Promise<void> {
    const { database, name } = this.options;
    await database.transaction(async (client, db) => {
      // Only jobs this worker still holds are completed or failed: one that expired meanwhile
      // belongs to another worker now, and failing it would cut that worker's run short. Results
      // are written either way; the unique constraint keeps one per capture and model.
      const held = await heldJobs(client, settlement.leases);
      // In the order of the captures' SHA-256, as producers lock them: no two transactions wait on each other.
      const writes = [
        ...settlement.results.map(({ jobId, result }) => ({ jobId, sha256: result.sha256, store: () => insertResult(client, result, name) })),
        ...settlement.invalid.map(({ jobId, sha256, reason }) => ({ jobId, sha256, store: () => markCaptureFailed(client, sha256, reason) })),
      ].sort((a, b) => (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0));
      const completed: string[] = [];
      for (const { jobId, store } of writes) {
        await store();
        completed.push(jobId);
      }
      // complete(name, ids, data, options) at run time: pg-boss 10's typings put options third for a
      // list of ids, where it would be taken as the output and the completion would leave the transaction.
      const complete = database.boss.complete as unknown as (
        name: string,
        ids: string[],
        data: null,
        options: { db: PgBoss.Db },
      ) => Promise<void>;
      const ours = completed.filter((id) => held.has(id));
      if (ours.length > 0) await complete.call(database.boss, captureQueue, ours, null, { db });
      for (const { jobId, reason } of settlement.retry) {
        if (held.has(jobId)) await database.boss.fail(captureQueue, jobId, { reason }, { db });
      }
    });
    this.done += settlement.results.length;
    this.failed += settlement.invalid.length;
    for (const { result } of settlement.results)
      this.options.onSettled?.(result.sha256, 'classified', result.className);
    for (const { sha256, reason } of settlement.invalid) this.options.onSettled?.(sha256, 'invalid', reason);
    for (const { sha256, reason } of settlement.retry) this.options.onSettled?.(sha256, 'retry', reason);
  }

  /** Every path each capture was seen at, first seen first: one query for the whole batch. */
  private async sightingsOf(sha256s: string[]): Promise<Map<string, string[]>> {
    const rows = await this.options.database.pool.query<{ sha256: string; path: string }>(
      `SELECT c.sha256, s.path FROM capture_sightings s JOIN captures c ON c.id = s.capture_id
       WHERE c.sha256 = ANY($1::text[]) ORDER BY s.id`,
      [sha256s],
    );
    const paths = new Map<string, string[]>();
    for (const { sha256, path } of rows.rows) paths.set(sha256, [...(paths.get(sha256) ?? []), path]);
    return paths;
  }

  /** The first place this machine can read the capture at, or why there is none. */
  private async readablePath(paths: string[]): Promise<string | { reason: string }> {
    const tried: string[] = [];
    for (const path of paths) {
      const mapped = mapPath(path, this.options.pathRules);
      try {
        await access(mapped, constants.R_OK);
        return mapped;
      } catch {
        tried.push(mapped);
      }
    }
    return {
      reason: `This worker cannot read the capture at ${tried.join(' or ') || 'any known path'}: check that the share is mounted here and that --path-map maps the workstations' folders to it.`,
    };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

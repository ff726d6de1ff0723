import path from 'node:path';
import type { RerunProgress } from '../../contract/types.js';
import { readCaptureInfo } from '../capture/decode.js';
import type { Analysis } from '../cells/analysis.js';
import { resultOf } from '../intake/provenance.js';
import { Pipeline, type CaptureJob, type Outcome } from '../pipeline/pipeline.js';
import { appVersion } from '../paths.js';
import type { ModelRef } from '../store/models.js';
import type { Store } from '../store/store.js';
import { readStoredCapture } from './capture-content.js';

export interface RerunOptions {
  store: Store;
  /** The second model, opened for this run only, with the engine's cell finder. */
  analysis: Analysis;
  model: ModelRef;
  captures: string[];
  batchSize: number;
  /** After each batch is saved, and once at the end. */
  report(progress: RerunProgress): void;
  /** A capture gained a result. */
  saved(sha256: string): void;
}

/**
 * Classifies stored captures again with a second model and adds its results beside the first
 * model's. It reads each capture from a path that still holds its exact bytes, works a batch at a
 * time with one decode at a time (live intake keeps the rest of the machine), and stops between
 * batches when cancelled.
 */
export class Rerun {
  private cancelled = false;
  private done = 0;
  private failed = 0;
  private lastProblem: string | null = null;
  private readonly pipeline: Pipeline;

  constructor(private readonly options: RerunOptions) {
    this.pipeline = new Pipeline({
      analysis: options.analysis,
      batchSize: options.batchSize,
      decodeConcurrency: 1,
      onOutcomes: (outcomes) => this.save(outcomes),
    });
  }

  progress(state: RerunProgress['state'] = 'running'): RerunProgress {
    const { model, captures } = this.options;
    return {
      model,
      state,
      total: captures.length,
      done: this.done,
      failed: this.failed,
      lastProblem: this.lastProblem,
    };
  }

  cancel(): void {
    this.cancelled = true;
  }

  async run(): Promise<RerunProgress> {
    const { captures, batchSize, report } = this.options;
    for (let start = 0; start < captures.length && !this.cancelled; start += batchSize) {
      const jobs = await this.read(captures.slice(start, start + batchSize));
      this.pipeline.push(...jobs);
      await this.pipeline.idle();
      report(this.progress());
    }
    const end = this.progress(this.cancelled ? 'cancelled' : 'finished');
    report(end);
    return end;
  }

  /** Each capture's verified bytes, classified as its first result was (whole, or cell by cell). */
  private async read(batch: string[]): Promise<CaptureJob[]> {
    const { store } = this.options;
    const jobs: CaptureJob[] = [];
    for (const sha256 of batch) {
      const capture = store.captures.get(sha256);
      const first = store.history.forCapture(sha256).at(-1);
      try {
        if (!capture) throw new Error('This capture is no longer in the database.');
        const bytes = await readStoredCapture(capture);
        const info = await readCaptureInfo(bytes);
        jobs.push({
          path: capture.paths[0]!,
          sha256,
          read: { bytes, info },
          analysis: first?.analysis ?? 'auto',
        });
      } catch (error) {
        this.fail(`${capture?.name ?? sha256}: ${(error as Error).message}`);
      }
    }
    return jobs;
  }

  private save(outcomes: Outcome[]): void {
    const { store, analysis, saved } = this.options;
    const results = [];
    for (const outcome of outcomes) {
      if (outcome.status === 'ok') results.push(resultOf(outcome, outcome.sha256, analysis, appVersion()));
      else this.fail(`${path.basename(outcome.job.path)}: ${outcome.reason}`);
    }
    // A capture that fails here keeps its state and its results as they are.
    store.captures.addResults(results);
    this.done += results.length;
    results.forEach((r) => saved(r.sha256));
  }

  private fail(reason: string): void {
    this.failed++;
    this.lastProblem = reason;
  }
}

import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { DecodeLimits } from '../capture/decode.js';
import type { Analysis } from '../cells/analysis.js';
import { Pipeline, type Outcome, type PipelineProgress } from '../pipeline/pipeline.js';
import type { Capture, CaptureFailure, ResultInput } from '../store/captures.js';
import type { Store } from '../store/store.js';
import { resultOf } from './provenance.js';
import type { RecentReads } from './recent-reads.js';

export interface FeedOptions extends DecodeLimits {
  store: Store;
  appVersion: string;
  batchSize: number;
  decodeConcurrency: number;
  /** Content the intake has just read: the pipeline takes it instead of reading the file again. */
  recentReads: RecentReads;
  /** A capture was classified or failed. */
  onCapture(sha256: string): void;
  onProgress(): void;
  /** A result could not be saved (disk full, ...); the feed has paused itself. */
  onSaveError(message: string): void;
}

export const vanishedReason =
  'The file was moved, changed or deleted before it could be classified; it is classified when it turns up again.';

/**
 * Moves queued captures from the store through the pipeline and saves each outcome. It claims
 * only what the pipeline has room for, so a stop or a crash leaves little in 'processing', and
 * that little goes back to the queue.
 */
export class Feed {
  private current: Pipeline;
  /** The current pipeline, and earlier models' pipelines still finishing what they claimed. */
  private readonly pipelines = new Set<Pipeline>();
  private analysis: Analysis;
  private batchSize: number;
  private started = false;
  private paused = false;
  /** A save has failed since the last resume: the user has been told once. */
  private saveFailed = false;
  /** A resume waiting for the captures a failed save left behind to be queued again. */
  private resuming: Promise<void> | null = null;
  private resumeWanted = false;
  private stopped = false;
  private filling: Promise<void> | null = null;
  private fillAgain = false;
  private done = 0;
  private failed = 0;

  constructor(
    analysis: Analysis,
    private readonly options: FeedOptions,
  ) {
    this.analysis = analysis;
    this.batchSize = options.batchSize;
    this.current = this.newPipeline();
  }

  /** Two batches prepared while one runs: the model never waits, and little is claimed at once. */
  private get capacity(): number {
    return this.batchSize * 2 + 1;
  }

  /** Called once crash recovery has put interrupted work back in the queue. */
  start(): void {
    this.started = true;
    this.fill();
  }

  /**
   * Captures not yet started go to a new pipeline with this model; the old one finishes what it
   * has started. Resolves when it has, so the old model can be closed without failing a capture.
   */
  setAnalysis(analysis: Analysis): Promise<void> {
    this.analysis = analysis;
    return this.replacePipeline().idle();
  }

  setBatchSize(batchSize: number): void {
    this.batchSize = batchSize;
    this.replacePipeline();
  }

  /** Returns the pipeline replaced, which keeps only the captures it has started. */
  private replacePipeline(): Pipeline {
    const previous = this.current;
    this.current = this.newPipeline();
    this.current.push(...previous.takeWaiting());
    this.fill();
    return previous;
  }

  pause(): void {
    this.paused = true;
    this.resumeWanted = false;
    for (const pipeline of this.pipelines) pipeline.pause();
  }

  resume(): void {
    this.resumeWanted = true;
    if (this.saveFailed) this.resuming ??= this.requeueUnsaved().finally(() => (this.resuming = null));
    else this.resumePipelines();
  }

  private resumePipelines(): void {
    this.paused = false;
    for (const pipeline of this.pipelines) pipeline.resume();
    this.fill();
  }

  /**
   * After a failed save, the captures whose results were not saved are still 'processing', as are
   * those claimed but not started. Once nothing is in flight, all of them go back to the queue, so
   * a resume (after the disk has been freed) classifies them without a restart.
   */
  private async requeueUnsaved(): Promise<void> {
    for (const pipeline of this.pipelines) pipeline.takeWaiting();
    await Promise.all([...this.pipelines].map((pipeline) => pipeline.idle()));
    if (this.stopped) return;
    try {
      this.options.store.captures.requeueProcessing();
    } catch (error) {
      this.tell(error);
      return;
    }
    this.saveFailed = false;
    if (this.resumeWanted) this.resumePipelines();
  }

  progress(): PipelineProgress {
    const parts = [...this.pipelines].map((p) => p.progress());
    const total = (key: 'queued' | 'inFlight' | 'rate'): number => parts.reduce((sum, p) => sum + p[key], 0);
    const [queued, inFlight, rate] = [total('queued'), total('inFlight'), total('rate')];
    const remaining = queued + inFlight;
    return {
      queued,
      inFlight,
      done: this.done,
      failed: this.failed,
      rate,
      etaSeconds: rate > 0 ? remaining / rate : remaining === 0 ? 0 : null,
      paused: this.paused,
    };
  }

  /** Claims queued captures while the pipeline has room; calls made meanwhile coalesce. */
  fill(): void {
    if (this.filling) {
      this.fillAgain = true;
      return;
    }
    this.filling = this.claimWhileRoom().finally(() => (this.filling = null));
  }

  /** Finishes the captures being decoded or classified (saving their outcomes) and queues the rest again. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.filling;
    for (const pipeline of this.pipelines) pipeline.pause();
    await Promise.all([...this.pipelines].map((p) => p.idle()));
    this.options.store.captures.requeueProcessing();
  }

  private newPipeline(): Pipeline {
    const { store, decodeConcurrency, maxPixels } = this.options;
    const { analysis, batchSize } = this;
    const { classifier } = analysis;
    // Results name their model, so it is on record before the first one.
    store.models.register({ ...classifier.identity, classes: classifier.manifest.classes, folder: path.resolve(classifier.folder) });
    const pipeline = new Pipeline({
      analysis,
      batchSize,
      decodeConcurrency,
      maxPixels,
      onOutcomes: (outcomes) => this.save(outcomes, analysis),
      onProgress: () => this.options.onProgress(),
    });
    if (this.paused) pipeline.pause();
    this.pipelines.add(pipeline);
    return pipeline;
  }

  private async claimWhileRoom(): Promise<void> {
    for (;;) {
      for (const pipeline of this.pipelines) {
        const p = pipeline.progress();
        if (pipeline !== this.current && p.queued + p.inFlight === 0) this.pipelines.delete(pipeline);
      }
      const pipeline = this.current;
      const p = pipeline.progress();
      const room = this.capacity - p.queued - p.inFlight;
      const claimed = !this.started || this.paused || this.stopped || room <= 0 ? [] : this.options.store.captures.claimNext(room);
      if (claimed.length === 0) {
        if (!this.fillAgain) return;
        this.fillAgain = false;
        continue;
      }
      for (const capture of claimed) {
        const file = await this.readablePath(capture);
        if (file) {
          pipeline.push({
            path: file,
            sha256: capture.sha256,
            read: this.options.recentReads.take(capture.sha256),
            analysis: this.options.store.folders.analysisOf(file),
          });
        } else {
          this.options.recentReads.take(capture.sha256);
          this.options.store.captures.markFailed(capture.sha256, vanishedReason);
          this.failed++;
          this.options.onCapture(capture.sha256);
        }
      }
    }
  }

  /** A path that still holds this content as it was hashed (same size and mtime), or null. */
  private async readablePath(capture: Capture): Promise<string | null> {
    for (const file of capture.paths) {
      const known = this.options.store.files.get(file);
      if (!known || known.sha256 !== capture.sha256) continue;
      const now = await stat(file).catch(() => null);
      if (now?.isFile() && now.size === known.size && now.mtimeMs === known.mtimeMs) return file;
    }
    return null;
  }

  /** Saves a batch's outcomes in one transaction: one commit per batch, not per capture. */
  private save(outcomes: Outcome[], analysis: Analysis): void {
    const { store, appVersion } = this.options;
    const results: ResultInput[] = [];
    const failures: CaptureFailure[] = [];
    for (const outcome of outcomes) {
      const sha256 = outcome.job.sha256!;
      if (outcome.status === 'ok') results.push(resultOf(outcome, sha256, analysis, appVersion));
      else failures.push({ sha256, reason: outcome.reason });
    }
    try {
      store.captures.saveOutcomes(results, failures);
    } catch (error) {
      // The captures stay 'processing' until a resume queues them again. The batch that was at the
      // model meanwhile fails the same way: one message says it for both.
      if (!this.saveFailed) this.tell(error);
      return;
    }
    this.done += results.length;
    this.failed += failures.length;
    for (const outcome of outcomes) this.options.onCapture(outcome.job.sha256!);
    this.fill();
  }

  private tell(error: unknown): void {
    this.saveFailed = true;
    this.pause();
    this.options.onSaveError(
      `A result could not be saved: ${(error as Error).message} Classification is paused until it is resumed.`,
    );
  }
}

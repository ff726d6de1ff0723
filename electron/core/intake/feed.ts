import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { DecodeLimits } from '../capture/decode.js';
import type { Analysis } from '../cells/analysis.js';
import { Pipeline, type Outcome, type PipelineProgress } from '../pipeline/pipeline.js';
import type { Capture, CaptureFailure, ResultInput } from '../store/captures.js';
import type { Store } from '../store/store.js';
import { resultOf } from './provenance.js';
import type { RecentReads } from './recent-reads.js';
import type { CaptureSink, SinkHooks } from './sink.js';

export interface FeedOptions extends DecodeLimits, SinkHooks {
  store: Store;
  appVersion: string;
  batchSize: number;
  decodeConcurrency: number;
  /** Content the intake has just read: the pipeline takes it instead of reading the file again. */
  recentReads: RecentReads;
  /** How often saving is tried again while results cannot be saved. */
  saveRetryMs: number;
}

/** A batch's outcomes, ready to save in one transaction. */
interface Outcomes {
  results: ResultInput[];
  failures: CaptureFailure[];
  captures: string[];
}

export const vanishedReason =
  'The file was moved, changed or deleted before it could be classified; it is classified when it turns up again.';

/**
 * Moves queued captures from the store through the pipeline and saves each outcome. It claims
 * only what the pipeline has room for, so a stop or a crash leaves little in 'processing', and
 * that little goes back to the queue.
 */
export class Feed implements CaptureSink {
  private current: Pipeline;
  /** The current pipeline, and earlier models' pipelines still finishing what they claimed. */
  private readonly pipelines = new Set<Pipeline>();
  private analysis: Analysis;
  private batchSize: number;
  private started = false;
  /** The user paused classification. */
  private held = false;
  /**
   * Outcomes that could not be saved (a full or read-only disk), kept until they can be: while
   * there are any, classification waits. Saving them again is what tells that there is room.
   */
  private unsaved: Outcomes[] | null = null;
  private saveRetry: NodeJS.Timeout | null = null;
  private savingUnsaved: Promise<void> | null = null;
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

  private get paused(): boolean {
    return this.held || this.unsaved !== null;
  }

  pause(): void {
    this.held = true;
    for (const pipeline of this.pipelines) pipeline.pause();
  }

  /** After a failed save, tries to save what waits at once, and says so if it still cannot. */
  resume(): void {
    this.held = false;
    if (this.unsaved) this.saveUnsavedSoon(0, true);
    else this.resumePipelines();
  }

  private resumePipelines(): void {
    if (this.paused) return;
    for (const pipeline of this.pipelines) pipeline.resume();
    this.fill();
  }

  /** Tries the unsaved outcomes again after `delayMs`; `asked`: the user resumed, so a failure is told again. */
  private saveUnsavedSoon(delayMs: number, asked = false): void {
    if (this.saveRetry) clearTimeout(this.saveRetry);
    this.saveRetry = setTimeout(() => {
      this.saveRetry = null;
      this.savingUnsaved ??= this.saveUnsaved(asked).finally(() => (this.savingUnsaved = null));
    }, delayMs);
  }

  /**
   * Once nothing is in flight, saves every outcome held back in one transaction and goes on. The
   * captures were classified once: none is classified again for want of room.
   */
  private async saveUnsaved(asked: boolean): Promise<void> {
    await Promise.all([...this.pipelines].map((pipeline) => pipeline.idle()));
    const waiting = this.unsaved;
    if (this.stopped || !waiting) return;
    try {
      this.saveNow(waiting);
    } catch (error) {
      if (asked) this.tell(error);
      this.saveUnsavedSoon(this.options.saveRetryMs);
      return;
    }
    this.unsaved = null;
    this.options.notice('info', 'Results can be saved again: classification goes on.');
    this.landed(waiting);
    this.resumePipelines();
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
    if (this.saveRetry) clearTimeout(this.saveRetry);
    await Promise.all([this.filling, this.savingUnsaved]);
    for (const pipeline of this.pipelines) pipeline.pause();
    await Promise.all([...this.pipelines].map((p) => p.idle()));
    try {
      const waiting = this.unsaved;
      if (waiting) {
        this.saveNow(waiting);
        this.unsaved = null;
        this.landed(waiting);
      }
      this.options.store.captures.requeueProcessing();
    } catch {
      // Still no room: what is unsaved stays 'processing', and the next start queues it again.
    }
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
    const { appVersion } = this.options;
    const batch: Outcomes = { results: [], failures: [], captures: [] };
    for (const outcome of outcomes) {
      const sha256 = outcome.job.sha256!;
      if (outcome.status === 'ok') batch.results.push(resultOf(outcome, sha256, analysis, appVersion));
      else batch.failures.push({ sha256, reason: outcome.reason });
      batch.captures.push(sha256);
    }
    // The batches at the model when a save failed join the ones waiting: one message says it for all.
    if (this.unsaved) {
      this.unsaved.push(batch);
      return;
    }
    try {
      this.saveNow([batch]);
    } catch (error) {
      this.unsaved = [batch];
      for (const pipeline of this.pipelines) pipeline.pause();
      this.tell(error);
      this.saveUnsavedSoon(this.options.saveRetryMs);
      return;
    }
    this.landed([batch]);
  }

  private saveNow(batches: Outcomes[]): void {
    this.options.store.captures.saveOutcomes(
      batches.flatMap((b) => b.results),
      batches.flatMap((b) => b.failures),
    );
  }

  private landed(batches: Outcomes[]): void {
    for (const batch of batches) {
      this.done += batch.results.length;
      this.failed += batch.failures.length;
      batch.captures.forEach((sha256) => this.options.onCapture(sha256));
    }
    this.fill();
  }

  private tell(error: unknown): void {
    this.options.notice(
      'error',
      `A result could not be saved: ${(error as Error).message} Classification is paused and goes on by itself as soon as results can be saved again.`,
    );
  }
}

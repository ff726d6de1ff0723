import { readFile } from 'node:fs/promises';
import { readCaptureInfo, type CaptureInfo, type DecodeLimits } from '../capture/decode.js';
import { CaptureError } from '../capture/errors.js';
import { readCaptureContent } from '../capture/identity.js';
import type { Analysis, AnalysedCapture, AnalysisChoice, PreparedCapture } from '../cells/analysis.js';
import type { IntensityWindow } from '../capture/intensity.js';
import type { Prediction } from '../model/classifier.js';
import { decodeSlots } from '../threads.js';

export interface CaptureJob {
  /** Where the capture is read from. */
  path: string;
  /** Known already when the intake hashed the file to identify it. */
  sha256?: string;
  /** The file's content and header, when the intake has just read them: not read again. */
  read?: { bytes: Uint8Array; info: CaptureInfo };
  page?: number;
  /** Whether the capture is one cell or a field whose cells are found first (default 'auto'). */
  analysis?: AnalysisChoice;
}

export interface ClassifiedOutcome {
  status: 'ok';
  job: CaptureJob;
  sha256: string;
  info: CaptureInfo;
  /** The capture's prediction (for a field: its most frequent class), its cells and summary. */
  analysed: AnalysedCapture;
  /** The raw-value window of a capture classified whole; null for a field (each cell has its own). */
  window: IntensityWindow | null;
  /** Wall time from starting to read the file to its prediction. */
  durationMs: number;
}

export interface FailedOutcome {
  status: 'failed';
  job: CaptureJob;
  sha256: string | null;
  info: CaptureInfo | null;
  /** A stable code (CaptureError's, or 'unreadable' / 'model-failed') and a sentence for people. */
  code: string;
  reason: string;
}

export type Outcome = ClassifiedOutcome | FailedOutcome;

export interface PipelineProgress {
  queued: number;
  inFlight: number;
  done: number;
  failed: number;
  /** Captures per second over the last minute of work. */
  rate: number;
  /** Seconds until the queue is empty at that rate, or null when unknown. */
  etaSeconds: number | null;
  paused: boolean;
}

export interface PipelineOptions extends DecodeLimits {
  analysis: Analysis;
  /** Largest inference batch, in crops; smaller batches run whenever the queue is shallow. */
  batchSize?: number;
  /** Captures decoded at once while the model runs (default: `decodeSlots()`). */
  decodeConcurrency?: number;
  /** The outcomes of one inference batch, or of one capture that failed before the model, in order. */
  onOutcomes: (outcomes: Outcome[]) => void | Promise<void>;
  onProgress?: (progress: PipelineProgress) => void;
}

interface Prepared {
  job: CaptureJob;
  sha256: string;
  info: CaptureInfo;
  prepared: PreparedCapture;
  started: number;
}

const rateWindowMs = 60_000;

/**
 * The bounded path from file to prediction: reads and decodes the next captures while the model
 * runs on the current batch. A batch takes whatever is ready, so a deep queue runs in full batches
 * and a single new capture is classified at once.
 */
export class Pipeline {
  private readonly waiting: CaptureJob[] = [];
  private readonly ready: Prepared[] = [];
  private decoding = 0;
  private inferring = false;
  /** Batches whose outcomes are being delivered. */
  private delivering = 0;
  /** Captures of the batch at the model: in flight until their outcomes are counted as done or failed. */
  private atModel = 0;
  private paused = false;
  private done = 0;
  private failed = 0;
  private readonly finishedAt: number[] = [];
  private idleWaiters: Array<() => void> = [];
  private readonly batchSize: number;
  private readonly decodeConcurrency: number;

  constructor(private readonly options: PipelineOptions) {
    this.batchSize = Math.max(1, options.batchSize ?? 8);
    this.decodeConcurrency = Math.max(1, options.decodeConcurrency ?? decodeSlots());
  }

  push(...jobs: CaptureJob[]): void {
    this.waiting.push(...jobs);
    this.pump();
  }

  pause(): void {
    this.paused = true;
    this.report();
  }

  /** Hands back the captures not yet started (e.g. to a pipeline with a newer model). */
  takeWaiting(): CaptureJob[] {
    const jobs = this.waiting.splice(0);
    this.pump();
    return jobs;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  /** Resolves once everything pushed so far has an outcome (or, when paused, nothing is in flight). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  progress(): PipelineProgress {
    const now = Date.now();
    while (this.finishedAt.length > 0 && this.finishedAt[0]! < now - rateWindowMs) this.finishedAt.shift();
    const span = this.finishedAt.length > 1 ? (now - this.finishedAt[0]!) / 1000 : 0;
    const rate = span > 0 ? this.finishedAt.length / span : 0;
    const remaining = this.waiting.length + this.decoding + this.ready.length + this.atModel;
    return {
      queued: this.waiting.length,
      inFlight: this.decoding + this.ready.length + this.atModel,
      done: this.done,
      failed: this.failed,
      rate,
      etaSeconds: rate > 0 ? remaining / rate : remaining === 0 ? 0 : null,
      paused: this.paused,
    };
  }

  private isIdle(): boolean {
    const inFlight = this.decoding > 0 || this.inferring || this.delivering > 0 || this.ready.length > 0;
    return !inFlight && (this.paused || this.waiting.length === 0);
  }

  private pump(): void {
    // Keep at most two batches' worth prepared, so memory stays bounded on a deep queue (a field
    // counts for each of its cells).
    while (
      !this.paused &&
      this.waiting.length > 0 &&
      this.decoding < this.decodeConcurrency &&
      this.readyInputs() + this.decoding < this.batchSize * 2
    ) {
      const job = this.waiting.shift()!;
      this.decoding++;
      void this.prepare(job).finally(() => {
        this.decoding--;
        this.pump();
      });
    }
    // A batch waits for captures still being decoded that it has room for: a run costs about as
    // much for one capture as for a few, and it blocks this thread. It never waits for work that is
    // not yet decoding, so a lone capture is classified at once.
    const filling = this.decoding > 0 && this.readyInputs() < this.batchSize;
    if (!this.inferring && this.ready.length > 0 && !filling) void this.infer();
    this.report();
    if (this.isIdle()) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      waiters.forEach((resolve) => resolve());
    }
  }

  private async prepare(job: CaptureJob): Promise<void> {
    const started = Date.now();
    let bytes: Uint8Array;
    let sha256: string;
    try {
      if (job.sha256) {
        sha256 = job.sha256;
        bytes = job.read?.bytes ?? (await readFile(job.path));
      } else {
        ({ bytes, sha256 } = await readCaptureContent(job.path));
      }
    } catch (error) {
      if (error instanceof CaptureError) await this.fail(job, null, null, error.code, error.message);
      else await this.fail(job, null, null, 'unreadable', unreadableReason(error));
      return;
    }
    let info: CaptureInfo | null = job.read?.info ?? null;
    try {
      info ??= await readCaptureInfo(bytes, this.options);
      const prepared = await this.options.analysis.prepare(bytes, info, {
        page: job.page,
        maxPixels: this.options.maxPixels,
        choice: job.analysis,
      });
      // The content is no longer needed once prepared: a deep queue holds tensors, not files.
      this.ready.push({ job: { ...job, read: undefined }, sha256, info, prepared, started });
    } catch (error) {
      if (error instanceof CaptureError) await this.fail(job, sha256, info, error.code, error.message);
      else await this.fail(job, sha256, info, 'corrupt', `The capture could not be prepared: ${(error as Error).message}`);
    }
  }

  /** Crops prepared and waiting for the model. */
  private readyInputs(): number {
    return this.ready.reduce((sum, p) => sum + p.prepared.inputs.length, 0);
  }

  /** Whole captures, up to `batchSize` crops (at least one capture, however many cells it has). */
  private takeBatch(): Prepared[] {
    let inputs = 0;
    let count = 0;
    while (count < this.ready.length && (count === 0 || inputs + this.ready[count]!.prepared.inputs.length <= this.batchSize)) {
      inputs += this.ready[count]!.prepared.inputs.length;
      count++;
    }
    return this.ready.splice(0, count);
  }

  private async infer(): Promise<void> {
    this.inferring = true;
    const batch = this.takeBatch();
    this.atModel = batch.length;
    const { analysis } = this.options;
    let predictions: Prediction[] | null = null;
    let failure: string | null = null;
    try {
      // A field's crops go in runs of at most batchSize: one run of a whole field's 60 crops cost the
      // model 1.3–2× the CPU per crop of runs of 8 (BENCHMARKS.md, Whole fields).
      const inputs = batch.flatMap((p) => p.prepared.inputs);
      const runs: Prediction[] = [];
      for (let start = 0; start < inputs.length; start += this.batchSize) {
        runs.push(...(await analysis.classifier.run(inputs.slice(start, start + this.batchSize))));
      }
      predictions = runs;
    } catch (error) {
      failure = `The model could not classify this capture: ${(error as Error).message}`;
    }
    const now = Date.now();
    let offset = 0;
    const outcomes = batch.map((p): Outcome => {
      this.finishedAt.push(now);
      if (!predictions) {
        this.failed++;
        return { status: 'failed', job: p.job, sha256: p.sha256, info: p.info, code: 'model-failed', reason: failure! };
      }
      this.done++;
      const own = predictions.slice(offset, (offset += p.prepared.inputs.length));
      return {
        status: 'ok',
        job: p.job,
        sha256: p.sha256,
        info: p.info,
        analysed: analysis.conclude(p.prepared, own),
        window: p.prepared.window,
        durationMs: now - p.started,
      };
    });
    this.atModel = 0;
    this.inferring = false;
    // The next batch goes to the model while this one is saved: saving a batch of 8 costs this
    // thread about 7 ms, during which the model would otherwise wait (BENCHMARKS.md).
    this.delivering++;
    this.pump();
    // Outcomes are delivered outside the model's try: a failing listener is not a failing model.
    try {
      await this.options.onOutcomes(outcomes);
    } finally {
      this.delivering--;
      this.pump();
    }
  }

  private async fail(job: CaptureJob, sha256: string | null, info: CaptureInfo | null, code: string, reason: string): Promise<void> {
    this.failed++;
    this.finishedAt.push(Date.now());
    await this.options.onOutcomes([{ status: 'failed', job, sha256, info, code, reason }]);
  }

  private report(): void {
    this.options.onProgress?.(this.progress());
  }
}

/** A read failure of a capture file, in plain words. */
export function unreadableReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'The file was moved or deleted before it could be read.';
    case 'EACCES':
    case 'EPERM':
      return 'MetaScope is not allowed to read this file (check its permissions).';
    case 'EBUSY':
      return 'The file is locked by another program.';
    case 'EISDIR':
      return 'This is a folder, not a file.';
    default:
      return `The file could not be read (${(error as Error).message}).`;
  }
}

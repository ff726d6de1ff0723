import type { CaptureSink, SinkHooks } from '../intake/sink.js';
import type { PipelineProgress } from '../pipeline/pipeline.js';
import type { Capture } from '../store/captures.js';
import type { Store } from '../store/store.js';

export interface OutboxOptions extends SinkHooks {
  store: Store;
  /** Sends captures to the facility in one transaction; throws when it cannot (then none was sent). */
  send(captures: Capture[]): Promise<void>;
  /** Records captures that failed here (never decodable) in the facility, each with its reason. */
  sendFailures(captures: Capture[]): Promise<void>;
  /** Where the captures go, for messages (no password in it). */
  label: string;
  /** Captures per transaction. */
  batchSize?: number;
  /** The first wait after a failed send; it doubles up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
}

/**
 * A producer's durable outbox: the local store's queue. Identified captures wait there ('queued')
 * until the facility has taken them; only then are they marked sent. While the facility cannot be
 * reached they keep waiting, however long, and sending is tried again with a growing pause: a
 * restart, a crash or a lost network loses nothing, and the facility's exactly-once insert makes a
 * capture sent twice (a crash between its commit and our mark) count once.
 */
export class FacilityOutbox implements CaptureSink {
  private readonly batchSize: number;
  private readonly retryMs: number;
  private readonly maxRetryMs: number;
  private started = false;
  private held = false;
  private stopped = false;
  private running: Promise<void> | null = null;
  private again = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private sent = 0;
  /** Failures the facility has on record since this start; a restart sends them again (it keeps each once). */
  private readonly reported = new Set<string>();

  constructor(private readonly options: OutboxOptions) {
    this.batchSize = options.batchSize ?? 64;
    this.retryMs = options.retryMs ?? 1000;
    this.maxRetryMs = options.maxRetryMs ?? 30_000;
  }

  start(): void {
    this.started = true;
    this.fill();
  }

  fill(): void {
    if (!this.started || this.held || this.stopped || this.retryTimer) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.fill();
      }
    });
  }

  pause(): void {
    this.held = true;
  }

  resume(): void {
    this.held = false;
    this.fill();
  }

  progress(): PipelineProgress {
    const queued = this.options.store.captures.queued();
    return {
      queued,
      inFlight: 0,
      done: this.sent,
      failed: 0,
      rate: 0,
      etaSeconds: queued === 0 ? 0 : null,
      paused: this.held,
    };
  }

  /** Waits for the send in flight; what is not sent stays queued for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.running;
    this.options.store.captures.requeueProcessing();
  }

  private async drain(): Promise<void> {
    const { store } = this.options;
    while (!this.held && !this.stopped) {
      const batch = store.captures.claimNext(this.batchSize);
      if (batch.length === 0) return this.reportFailures();
      try {
        await this.options.send(batch);
      } catch (error) {
        store.captures.requeueProcessing();
        this.waitAndRetry(error as Error);
        return;
      }
      store.captures.markSent(batch.map((c) => c.sha256));
      this.sent += batch.length;
      if (this.failures > 0) {
        this.failures = 0;
        this.options.notice(
          'info',
          `The facility database ${this.options.label} can be reached again: the captures that waited are being sent.`,
        );
      }
      batch.forEach((c) => this.options.onCapture(c.sha256));
      this.options.onProgress();
    }
  }

  /** Files that failed here, before any worker could see them, go on the facility's record too. */
  private async reportFailures(): Promise<void> {
    const page = 500;
    for (let offset = 0; ; offset += page) {
      const failed = this.options.store.captures.inState('failed', { limit: page, offset });
      const fresh = failed.filter((c) => !this.reported.has(c.sha256));
      if (fresh.length > 0) {
        try {
          await this.options.sendFailures(fresh);
        } catch (error) {
          this.waitAndRetry(error as Error);
          return;
        }
        fresh.forEach((c) => this.reported.add(c.sha256));
      }
      if (failed.length < page) return;
    }
  }

  private waitAndRetry(error: Error): void {
    if (this.failures === 0) {
      const waiting = this.options.store.captures.queued();
      this.options.notice(
        'warning',
        `The facility database ${this.options.label} cannot be reached (${error.message}). ${waiting} captures wait on this computer and are sent as soon as it can; nothing is lost.`,
      );
    }
    const delay = Math.min(this.maxRetryMs, this.retryMs * 2 ** this.failures);
    this.failures++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.fill();
    }, delay);
  }
}

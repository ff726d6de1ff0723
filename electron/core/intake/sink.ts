import type { PipelineProgress } from '../pipeline/pipeline.js';

/**
 * Where the intake's identified captures go. The intake finds, settles and identifies files and
 * queues their captures in the store; a sink takes them from that queue: the Feed classifies them
 * here, a facility outbox sends them to the facility's workers. Either keeps every capture's state
 * in the store, so a restart resumes.
 */
export interface CaptureSink {
  /** Called once crash recovery has put interrupted work back in the queue. */
  start(): void;
  /** New captures were queued: take them when there is room. */
  fill(): void;
  pause(): void;
  resume(): void;
  progress(): PipelineProgress;
  /** Finishes what is in flight and leaves the rest queued. */
  stop(): Promise<void>;
}

/** What the intake tells a sink to report. */
export interface SinkHooks {
  /** A capture's state changed (classified, failed, sent). */
  onCapture(sha256: string): void;
  onProgress(): void;
  notice(level: 'info' | 'warning' | 'error', message: string): void;
}

import type { AnalysisChoice } from '../cells/analysis.js';
import PgBoss from 'pg-boss';

/** One job per capture: its data names the capture by its SHA-256, nothing else. */
export interface CaptureJobData {
  sha256: string;
  /**
   * How the workstation's folder asks for its captures to be analysed (whole, or cell by cell);
   * absent in jobs queued before it was carried, and 'auto' leaves the choice to the worker.
   */
  analysis?: AnalysisChoice;
}

export const captureQueue = 'metascope-captures';
/** Where a capture job goes after its last retry, with the reason of its last failure. */
export const deadLetterQueue = 'metascope-captures-dead';

export interface QueueSettings {
  /** A job held longer than this by a worker is taken back and tried again: the worker is presumed dead. */
  jobTimeoutSeconds: number;
  /** Tries after the first, for failures that may pass (a file not reachable from that worker, the model failing). */
  retryLimit: number;
  /** Seconds before the first retry; each next one waits about twice as long (backoff). */
  retryDelaySeconds: number;
}

export const defaultQueueSettings: QueueSettings = {
  jobTimeoutSeconds: 300,
  retryLimit: 4,
  retryDelaySeconds: 15,
};

/** Creates the queues, or brings their settings up to date (`facility init` may be run again). */
export async function createQueues(boss: PgBoss, settings: QueueSettings): Promise<void> {
  const deadLetter = { name: deadLetterQueue, policy: 'standard' as const, retentionDays: 30 };
  const captures = {
    name: captureQueue,
    policy: 'standard' as const,
    retryLimit: settings.retryLimit,
    retryDelay: settings.retryDelaySeconds,
    retryBackoff: true,
    expireInSeconds: settings.jobTimeoutSeconds,
    deadLetter: deadLetterQueue,
  };
  for (const queue of [deadLetter, captures]) {
    if (await boss.getQueue(queue.name)) await boss.updateQueue(queue.name, queue);
    else await boss.createQueue(queue.name, queue);
  }
}

/**
 * The job id of a capture: its SHA-256's first 128 bits, written as a UUID. pg-boss ignores a job
 * whose id is already queued, so even a repeated send is one job; the capture row inserted in the
 * same transaction is what makes a capture queued exactly once over its whole life.
 */
export function captureJobId(sha256: string): string {
  const h = sha256.slice(0, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

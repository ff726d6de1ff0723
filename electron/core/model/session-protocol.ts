import type { ModelErrorCode } from './errors.js';
import type { AnyManifest, ModelFolder } from './manifest.js';
import type { ModelSession, SessionOptions } from './session.js';

/** What the model's thread and its owner say to each other (structured clone). */
export interface SessionWorkerData {
  model: ModelFolder<AnyManifest>;
  options: SessionOptions;
}

export type ToSessionWorker =
  { kind: 'run'; id: number; batch: Float32Array; dims: number[] } | { kind: 'release' };

export type FromSessionWorker =
  | ({ kind: 'opened' } & Omit<ModelSession, 'session'>)
  | { kind: 'failed'; code: ModelErrorCode | null; message: string }
  | { kind: 'ran'; id: number; values: Float32Array; features: Float32Array | null }
  | { kind: 'run-failed'; id: number; message: string };

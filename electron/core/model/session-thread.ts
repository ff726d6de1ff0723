import { startModuleWorker } from '../threads.js';
import { ModelError } from './errors.js';
import type { AnyManifest, ModelFolder } from './manifest.js';
import type { ModelSession, SessionOptions } from './session.js';
import type { FromSessionWorker, SessionWorkerData, ToSessionWorker } from './session-protocol.js';

/** A model session that runs on its own thread, so decoding, intake and storage go on during a run. */
export interface SessionThread extends Omit<ModelSession, 'session'> {
  /**
   * The model's raw output for one batch laid out as `dims` (batch first), and its features where
   * the manifest names a features output. `batch` moves to the model's thread: its buffer is detached.
   */
  run(batch: Float32Array, dims: number[]): Promise<RunOutput>;
  release(): Promise<void>;
}

const releaseGraceMs = 10_000;

export interface RunOutput {
  values: Float32Array;
  features: Float32Array | null;
}

interface Pending {
  resolve(output: RunOutput): void;
  reject(error: Error): void;
}

/** Loads the model on a new thread; rejects with the same ModelError an in-thread load would. */
export function openSessionThread(
  model: ModelFolder<AnyManifest>,
  options: SessionOptions = {},
): Promise<SessionThread> {
  const worker = startModuleWorker(import.meta.url, 'session-worker', {
    workerData: { model, options } satisfies SessionWorkerData,
  });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let stopped: Error | null = null;
  let released = false;
  let exited: (() => void) | null = null;

  // The thread keeps the process alive only while it owes an answer: an unreleased, idle model
  // never holds up a CLI's exit.
  const track = () => (pending.size > 0 ? worker.ref() : worker.unref());

  const stop = (error: Error) => {
    stopped ??= error;
    for (const entry of pending.values()) entry.reject(stopped);
    pending.clear();
    track();
  };

  return new Promise<SessionThread>((resolve, reject) => {
    const thread = (described: Omit<ModelSession, 'session'>): SessionThread => ({
      ...described,
      run(batch, dims) {
        if (stopped) return Promise.reject(stopped);
        const id = nextId++;
        return new Promise<RunOutput>((resolveRun, rejectRun) => {
          pending.set(id, { resolve: resolveRun, reject: rejectRun });
          track();
          worker.postMessage({ kind: 'run', id, batch, dims } satisfies ToSessionWorker, [
            batch.buffer as ArrayBuffer,
          ]);
        });
      },
      async release() {
        if (released) return;
        released = true;
        stop(new Error('The model was closed.'));
        const done = new Promise<void>((resolveExit) => (exited = resolveExit));
        worker.postMessage({ kind: 'release' } satisfies ToSessionWorker);
        const timer = setTimeout(() => void worker.terminate(), releaseGraceMs);
        await done;
        clearTimeout(timer);
      },
    });

    worker.on('message', (message: FromSessionWorker) => {
      switch (message.kind) {
        case 'opened': {
          track();
          const { kind: _kind, ...described } = message;
          return resolve(thread(described));
        }
        case 'failed':
          return reject(
            message.code ? new ModelError(message.code, message.message) : new Error(message.message),
          );
        default: {
          const entry = pending.get(message.id);
          pending.delete(message.id);
          track();
          if (message.kind === 'ran') entry?.resolve({ values: message.values, features: message.features });
          else entry?.reject(new Error(message.message));
        }
      }
    });
    worker.on('error', (error) => {
      reject(error);
      stop(new Error(`The model's thread stopped unexpectedly (${error.message}).`));
    });
    worker.on('exit', (code) => {
      reject(new Error(`The model's thread stopped while loading (exit code ${code}).`)); // no-op once opened
      if (!released) stop(new Error(`The model's thread stopped unexpectedly (exit code ${code}).`));
      exited?.();
    });
  });
}

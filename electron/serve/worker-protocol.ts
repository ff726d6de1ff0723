import type { EngineOptions } from '../core/engine/index.js';
import type { ImageRequest } from '../contract/images.js';
import type {
  ContractErrorShape,
  EventMessage,
  RequestMessage,
  ResponseMessage,
} from '../contract/messages.js';

/** What the server's thread and the engine's worker thread say to each other (structured clone). */
export type ToWorker =
  RequestMessage | { kind: 'image'; id: number; sha256: string; request: ImageRequest } | { kind: 'close' };

export type FromWorker =
  | ResponseMessage
  | EventMessage
  | { kind: 'ready' }
  /** `code`: a StoreError's, e.g. 'in-use' when another MetaScope holds the database. */
  | { kind: 'failed'; message: string; code?: string }
  | {
      kind: 'image';
      id: number;
      ok: true;
      body: Uint8Array;
      mime: string;
      window: { low: number; high: number };
    }
  | { kind: 'image'; id: number; ok: false; error: ContractErrorShape }
  | { kind: 'closed' };

export type WorkerData = EngineOptions;

import type { ImageRequest } from '../contract/images.js';
import type { EventMessage, RequestMessage, ResponseMessage } from '../contract/messages.js';

export interface Rendition {
  body: Buffer;
  mime: string;
  window: { low: number; high: number };
}

/** The engine as the server sees it: somewhere else (a worker thread), reached by messages only. */
export interface EngineHost {
  /** Always resolves: a failure is an `ok: false` response carrying the request's own id. */
  request(message: RequestMessage): Promise<ResponseMessage>;
  /** Rejects with an error whose `code` says why (`not-found`, `bad-request`, …). */
  image(sha256: string, request: ImageRequest): Promise<Rendition>;
  onEvent(listener: (message: EventMessage) => void): () => void;
  close(): Promise<void>;
}

import type { EngineOptions } from '../core/engine/index.js';
import { startModuleWorker } from '../core/threads.js';
import {
  ContractError,
  eventEnvelope,
  type EventMessage,
  type ResponseMessage,
} from '../contract/messages.js';
import type { EngineHost, Rendition } from './engine-host.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';

const closeGraceMs = 15_000;

interface Waiting {
  settle(message: FromWorker): void;
  fail(error: ContractError): void;
}

/** Starts the engine in a worker thread; resolves once it is open, rejects with its reason if it cannot open. */
export function startWorkerHost(options: EngineOptions): Promise<EngineHost> {
  const worker = startModuleWorker(import.meta.url, 'engine-worker', { workerData: options });
  const waiting = new Map<number, Waiting>();
  const listeners = new Set<(message: EventMessage) => void>();
  // What the engine said while starting (an inbox it could not create) comes before anyone can
  // listen: the first listener hears it.
  let beforeListeners: EventMessage[] | null = [];
  let nextId = 1;
  let stopped: ContractError | null = null;
  let closed: (() => void) | null = null;

  const stop = (reason: string) => {
    if (stopped) return;
    stopped = new ContractError('engine-stopped', reason);
    for (const entry of waiting.values()) entry.fail(stopped);
    waiting.clear();
    const notice = eventEnvelope('notice', { level: 'error', message: reason, at: new Date().toISOString() });
    listeners.forEach((listener) => listener(notice));
  };

  const ask = (message: ToWorker & { id: number }, entry: Waiting) => {
    if (stopped) return entry.fail(stopped);
    try {
      // The structured clone can fail (a message nested thousands deep overflows its stack): that
      // request fails, the engine and everyone else go on.
      worker.postMessage(message);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return entry.fail(
        new ContractError('bad-request', `The engine could not be sent this request (${reason}).`),
      );
    }
    waiting.set(message.id, entry);
  };

  const host: EngineHost = {
    request(message) {
      const id = nextId++;
      return new Promise<ResponseMessage>((resolve) => {
        const answer = (response: ResponseMessage) => resolve({ ...response, id: message.id });
        ask(
          { ...message, id },
          {
            settle: (reply) => reply.kind === 'response' && answer(reply),
            fail: (error) =>
              answer({
                kind: 'response',
                id,
                ok: false,
                error: { code: error.code, message: error.message },
              }),
          },
        );
      });
    },
    image(sha256, request) {
      const id = nextId++;
      return new Promise<Rendition>((resolve, reject) => {
        ask(
          { kind: 'image', id, sha256, request },
          {
            settle: (reply) => {
              if (reply.kind !== 'image') return;
              if (reply.ok)
                resolve({
                  body: Buffer.from(reply.body.buffer, reply.body.byteOffset, reply.body.byteLength),
                  mime: reply.mime,
                  window: reply.window,
                });
              else reject(new ContractError(reply.error.code, reply.error.message));
            },
            fail: reject,
          },
        );
      });
    },
    onEvent(listener) {
      listeners.add(listener);
      beforeListeners?.forEach(listener);
      beforeListeners = null;
      return () => listeners.delete(listener);
    },
    async close() {
      if (stopped) return;
      const done = new Promise<void>((resolve) => (closed = resolve));
      worker.postMessage({ kind: 'close' } satisfies ToWorker);
      const timer = setTimeout(() => void worker.terminate(), closeGraceMs);
      await done;
      clearTimeout(timer);
    },
  };

  return new Promise<EngineHost>((resolve, reject) => {
    worker.on('message', (message: FromWorker) => {
      switch (message.kind) {
        case 'ready':
          return resolve(host);
        case 'failed':
          return reject(Object.assign(new Error(message.message), { code: message.code }));
        case 'event':
          beforeListeners?.push(message);
          return listeners.forEach((listener) => listener(message));
        case 'closed':
          stopped = new ContractError('engine-stopped', 'MetaScope is shutting down.');
          return;
        default: {
          const entry = waiting.get(message.id);
          waiting.delete(message.id);
          entry?.settle(message);
        }
      }
    });
    worker.on('error', (error) => {
      reject(error);
      stop(`The engine stopped unexpectedly (${error.message}). Restart MetaScope to continue.`);
    });
    worker.on('exit', (code) => {
      reject(new Error(`The engine stopped while starting (exit code ${code}).`)); // no-op once started
      stop('The engine has stopped. Restart MetaScope to continue.');
      closed?.();
    });
  });
}

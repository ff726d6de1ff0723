import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { openEngine, type Engine } from '../core/engine/index.js';
import { pictureOfCapture } from '../core/files/capture-pictures.js';
import { dispatch } from '../contract/messages.js';
import type { FromWorker, ToWorker, WorkerData } from './worker-protocol.js';

/** The engine's own thread: onnxruntime's run() blocks it, never the server's sockets. */
async function main(port: MessagePort): Promise<void> {
  const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  let engine: Engine;
  try {
    engine = await openEngine(workerData as WorkerData);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    post({
      kind: 'failed',
      message: error instanceof Error ? error.message : String(error),
      code: typeof code === 'string' ? code : undefined,
    });
    port.close();
    return;
  }
  engine.onEvent((event) => post(event));
  port.on('message', (message: ToWorker) => void handle(engine, message, post));
  post({ kind: 'ready' });
}

async function handle(
  engine: Engine,
  message: ToWorker,
  post: (message: FromWorker, transfer?: ArrayBuffer[]) => void,
): Promise<void> {
  switch (message.kind) {
    case 'request': {
      const response = await dispatch(engine.handlers, message);
      if (response) post(response);
      return;
    }
    case 'image':
      try {
        // The same checks as the desktop app: the contract's image request, files inside the folders.
        const image = await pictureOfCapture(engine, message.sha256, message.request);
        // A copy the transfer can own: sharp's buffers may share a pooled ArrayBuffer.
        const body = new Uint8Array(image.body);
        post({ kind: 'image', id: message.id, ok: true, body, mime: image.mime, window: image.window }, [
          body.buffer,
        ]);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        const text = error instanceof Error ? error.message : String(error);
        post({
          kind: 'image',
          id: message.id,
          ok: false,
          error: { code: typeof code === 'string' ? code : 'engine-error', message: text },
        });
      }
      return;
    case 'close':
      await engine.close();
      post({ kind: 'closed' });
      parentPort?.close();
  }
}

if (!parentPort) throw new Error('engine-worker runs only as a worker thread.');
await main(parentPort);

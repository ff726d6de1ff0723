import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { ModelError } from './errors.js';
import { openSession, type ModelSession } from './session.js';
import type { FromSessionWorker, SessionWorkerData, ToSessionWorker } from './session-protocol.js';

/** The model's own thread: onnxruntime's run() blocks the thread it is called on, so not the engine's. */
const port = parentPort!;
const post = (message: FromSessionWorker, transfer: ArrayBuffer[] = []) =>
  port.postMessage(message, transfer);
const { model, options } = workerData as SessionWorkerData;
const { input, output } = model.manifest;
// A classifier with a scope check also hands back its features, from a second output.
const featuresOutput =
  model.manifest.kind === 'detector' ? null : (model.manifest.scope?.features?.output ?? null);

let loaded: ModelSession | null = null;
try {
  loaded = await openSession(model, options);
  const { provider, skipped, maxBatch, outputsPerCapture } = loaded;
  post({ kind: 'opened', provider, skipped, maxBatch, outputsPerCapture });
} catch (error) {
  post({
    kind: 'failed',
    code: error instanceof ModelError ? error.code : null,
    message: error instanceof Error ? error.message : String(error),
  });
  port.close();
}

port.on('message', (message: ToSessionWorker) => void handle(message));

async function handle(message: ToSessionWorker): Promise<void> {
  if (!loaded) return;
  if (message.kind === 'release') {
    await loaded.session.release();
    loaded = null;
    port.close();
    return;
  }
  try {
    const feeds = { [input.name]: new ort.Tensor('float32', message.batch, message.dims) };
    const results = await loaded.session.run(
      feeds,
      featuresOutput ? [output.name, featuresOutput] : [output.name],
    );
    // Copies this thread owns, so they can be handed over without copying again.
    const values = Float32Array.from(results[output.name]!.data as Float32Array);
    const features = featuresOutput ? Float32Array.from(results[featuresOutput]!.data as Float32Array) : null;
    post(
      { kind: 'ran', id: message.id, values, features },
      features ? [values.buffer, features.buffer] : [values.buffer],
    );
  } catch (error) {
    post({
      kind: 'run-failed',
      id: message.id,
      message: error instanceof Error ? error.message : String(error),
    });
  }
}

// CPU latency of a model folder's ONNX file in onnxruntime-node, as the engine runs it.
// Usage (from the repository root): node models/train/latency.mjs [models/default] [runs]
import { readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';

const folder = process.argv[2] ?? 'models/default';
const runs = Number(process.argv[3] ?? 300);
const manifest = JSON.parse(await readFile(path.join(folder, 'model.json'), 'utf8'));
const onnxPath = path.join(folder, manifest.onnx.file);
const session = await ort.InferenceSession.create(onnxPath, { executionProviders: ['cpu'] });
const { name, channels, height, width } = manifest.input;

async function timeBatch(batch) {
  const input = new ort.Tensor('float32', new Float32Array(batch * channels * height * width), [
    batch,
    channels,
    height,
    width,
  ]);
  for (let i = 0; i < 20; i++) await session.run({ [name]: input }); // warm-up
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await session.run({ [name]: input });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { batch, median_ms: at(0.5), p95_ms: at(0.95), per_image_ms: at(0.5) / batch };
}

console.log(
  JSON.stringify(
    {
      model: `${manifest.id} ${manifest.version}`,
      onnx_bytes: (await stat(onnxPath)).size,
      cpu: `${os.cpus()[0]?.model ?? 'unknown'} x${os.availableParallelism()}`,
      onnxruntime_node: ort.env.versions.common,
      results: [await timeBatch(1), await timeBatch(8)],
    },
    null,
    2,
  ),
);

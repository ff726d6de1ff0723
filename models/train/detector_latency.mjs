// CPU time per field of a detector model folder's ONNX file in onnxruntime-node, as the engine runs
// it: one [1,1,512,512] input (a 1022x1024 capture at scale 0.5, padded to a multiple of 16), at 1
// and 2 intra-op threads.
// Usage (from the repository root): node models/train/detector_latency.mjs [models/detector] [runs]
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';

const folder = process.argv[2] ?? 'models/detector';
const runs = Number(process.argv[3] ?? 20);
const size = 512;
const manifest = JSON.parse(await readFile(path.join(folder, 'model.json'), 'utf8'));
const onnxPath = path.join(folder, manifest.onnx.file);
const bytes = await readFile(onnxPath);
const sha256 = createHash('sha256').update(bytes).digest('hex');
if (sha256 !== manifest.onnx.sha256) throw new Error(`${onnxPath}: SHA-256 differs from model.json`);

// A deterministic, image-like input in the normalised range (conv cost does not depend on values).
const data = new Float32Array(size * size);
for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.001) * 1.5;
const input = new ort.Tensor('float32', data, [1, 1, size, size]);

async function time(threads) {
  const session = await ort.InferenceSession.create(onnxPath, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  const feeds = { [manifest.input.name]: input };
  let output;
  for (let i = 0; i < 3; i++) output = await session.run(feeds); // warm-up
  const dims = output[manifest.output.name].dims;
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  await session.release();
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { threads, input: [1, 1, size, size], output: dims, median_ms: at(0.5), p95_ms: at(0.95) };
}

console.log(
  JSON.stringify(
    {
      model: `${manifest.id} ${manifest.version}`,
      onnx_bytes: bytes.length,
      cpu: `${os.cpus()[0]?.model ?? 'unknown'} x${os.availableParallelism()}`,
      onnxruntime_node: ort.env.versions.common,
      runs,
      results: [await time(1), await time(2)],
    },
    null,
    2,
  ),
);

#!/usr/bin/env node
// Fetches ONNX Runtime's CUDA provider libraries for an NVIDIA GPU on Linux. They are not in the npm
// package and `.npmrc` skips their download so a plain install works offline; run this once on a
// connected machine. The variable wins over the `skip` that npm passes down from `.npmrc`.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

if (process.platform !== 'linux') {
  console.log('Nothing to do: on this platform MetaScope uses the GPU through DirectML, CoreML or WebGPU, which are bundled.');
  process.exit(0);
}
const installer = path.join(path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json')), 'script', 'install.js');
const run = spawnSync(process.execPath, [installer], {
  stdio: 'inherit',
  env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' },
});
if (run.status !== 0) {
  console.error('The CUDA libraries could not be downloaded (no internet connection?). MetaScope keeps running on the CPU.');
  process.exit(1);
}
console.log('CUDA libraries installed: MetaScope will use the NVIDIA GPU when one is present (see the provider shown on Live).');

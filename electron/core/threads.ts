import { availableParallelism } from 'node:os';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker module `name` that sits beside the caller (`callerUrl` is its import.meta.url).
 * Compiled, the worker is a plain .js file. Run from source with tsx (development, tests), the
 * caller is .ts and a worker does not inherit tsx's loader, so the worker registers it first.
 */
export function startModuleWorker(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl), options);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL(`./${name}.ts`, callerUrl).href);
  return new Worker(`import(${tsx}).then((tsx) => { tsx.register(); return import(${entry}); })`, {
    ...options,
    eval: true,
  });
}

/**
 * How many captures to decode at once: half the cores, at least 4 and at most 8. On 16 cores, 8 at
 * once classified 15–35% more captures per second than 4, and 16 no more than 8; on 2 cores 4 was
 * best (BENCHMARKS.md).
 */
export function decodeSlots(cores = availableParallelism()): number {
  return Math.min(8, Math.max(4, Math.floor(cores / 2)));
}

/**
 * The environment a process that classifies captures starts with. sharp's decodes and file reads
 * run in libuv's thread pool, 4 threads unless UV_THREADPOOL_SIZE says otherwise, so more decodes
 * at once than threads only queue. Node sizes the pool when it first uses it, which for an
 * ES-module program is before its first line runs: the variable must be set by whoever starts the
 * process. A size the user chose is kept.
 */
export function threadPoolEnv(env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): NodeJS.ProcessEnv {
  return { ...env, UV_THREADPOOL_SIZE: env.UV_THREADPOOL_SIZE ?? String(decodeSlots(cores)) };
}

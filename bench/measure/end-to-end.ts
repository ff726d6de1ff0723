import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EndToEndRequest } from './end-to-end-child.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

/** What one end-to-end run reports (end-to-end-child.ts prints it as its last line). */
export interface EndToEnd {
  rate: number;
  rateIncludingFill: number;
  latencies: number[];
  peakRssMb: number;
  engineThreadBusy: number;
  cpuMsPerCapture: number;
  failed: number;
  ranOn: string[];
  cellsPerCapture: number[];
  classifierCalls: number[];
  detectors: string[];
  maxBatch: number | null;
}

/** Runs end-to-end-child.ts in its own process, which inherits this one's thread pool size. */
export function runEndToEnd(request: EndToEndRequest): EndToEnd {
  const child = path.join(here, 'end-to-end-child.ts');
  const run = spawnSync(process.execPath, ['--import', 'tsx', child, JSON.stringify(request)], {
    encoding: 'utf8',
    cwd: root,
    timeout: 20 * 60_000,
  });
  const last = run.stdout.trim().split('\n').at(-1);
  if (run.status !== 0 || !last) {
    const lines = run.stderr.trim().split('\n');
    throw new Error(`end-to-end run failed: ${lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.slice(-3).join(' ')}`);
  }
  return JSON.parse(last) as EndToEnd;
}

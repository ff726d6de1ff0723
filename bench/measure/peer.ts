import { spawnSync } from 'node:child_process';
import path from 'node:path';

export type PeerResult = { rate: number } | { skipped: string };

const python = '/usr/bin/python3';

/** The same job as a lab would write it in Python (bench/peers/peer.py), on the same files and weights. */
export function runPeer(benchDir: string, modelDir: string, filesDir: string, db: string): PeerResult {
  const script = path.join(benchDir, 'peers', 'peer.py');
  const run = spawnSync(python, [script, '--model-dir', modelDir, '--files', filesDir, '--db', db, '--batch-size', '8', '--threads', '2'], {
    encoding: 'utf8',
    timeout: 30 * 60_000,
  });
  if (run.error) return { skipped: `${python} cannot run (${run.error.message})` };
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  try {
    const parsed = JSON.parse(last) as { imagesPerSecond?: number; skipped?: string };
    if (parsed.skipped) return { skipped: parsed.skipped };
    if (typeof parsed.imagesPerSecond === 'number') return { rate: parsed.imagesPerSecond };
  } catch {
    // fall through: report what the peer printed
  }
  return { skipped: `the peer failed: ${(run.stderr || last).trim().split('\n').at(-1)}` };
}

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSlots } from '../core/threads.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const shim = path.join(repo, 'bin', 'metascope.cjs');
const built = existsSync(path.join(repo, 'dist', 'electron', 'cli', 'index.js'));
const hookDir = mkdtempSync(path.join(tmpdir(), 'metascope-shim-'));
// Runs before the shim and reports, as the CLI ends, the pool size the CLI ran with.
const hook = path.join(hookDir, 'report-pool.cjs');
writeFileSync(hook, "process.on('exit', () => process.stderr.write(`pool=${process.env.UV_THREADPOOL_SIZE}\\n`));\n");
afterAll(() => rmSync(hookDir, { recursive: true, force: true }));

const poolOf = (env: NodeJS.ProcessEnv) => {
  const run = spawnSync(process.execPath, ['--require', hook, shim, '--version'], { encoding: 'utf8', env });
  expect(run.status, run.stderr).toBe(0);
  expect(run.stdout).toMatch(/\d+\.\d+\.\d+/);
  return /pool=(\S+)/.exec(run.stderr)?.[1];
};

// The shim runs the compiled CLI: `npm install` builds it (the prepare script).
describe.skipIf(!built)('bin/metascope.cjs', () => {
  it('starts the CLI with a thread pool sized for decoding captures', () => {
    const env = { ...process.env };
    delete env.UV_THREADPOOL_SIZE;
    expect(poolOf(env)).toBe(String(decodeSlots()));
  });

  it('keeps the size the user set', () => {
    expect(poolOf({ ...process.env, UV_THREADPOOL_SIZE: '3' })).toBe('3');
  });
});

import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * scripts/start-desktop.js (`npm start`) in a scratch copy of the project layout: what it says
 * when the Electron runtime is missing, and how it launches one that is there (a stand-in).
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let scratch: string;
let fakeElectron: string;

beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'metascope-launcher-'));
  mkdirSync(path.join(scratch, 'scripts'));
  mkdirSync(path.join(scratch, 'dist', 'electron', 'main'), { recursive: true });
  mkdirSync(path.join(scratch, 'node_modules', 'electron'), { recursive: true });
  copyFileSync(
    path.join(root, 'scripts', 'start-desktop.js'),
    path.join(scratch, 'scripts', 'start-desktop.js'),
  );
  writeFileSync(path.join(scratch, 'package.json'), '{"type":"module"}');
  fakeElectron = path.join(scratch, 'fake-electron');
  mkdirSync(fakeElectron);
  // A stand-in runtime that prints what it was given.
  const script = path.join(fakeElectron, 'electron');
  writeFileSync(
    script,
    `#!${process.execPath}\nconsole.log(JSON.stringify({ args: process.argv.slice(2), runAsNode: process.env.ELECTRON_RUN_AS_NODE ?? null }));\nprocess.exit(7);\n`,
  );
  chmodSync(script, 0o755);
  if (process.platform === 'win32') symlinkSync(script, path.join(fakeElectron, 'electron.exe'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function start(env: Record<string, string>, args: string[] = []) {
  const clean = { ...process.env };
  delete clean.ELECTRON_OVERRIDE_DIST_PATH;
  return spawnSync(process.execPath, [path.join(scratch, 'scripts', 'start-desktop.js'), ...args], {
    cwd: scratch,
    env: { ...clean, METASCOPE_SKIP_ELECTRON_DOWNLOAD: '1', ...env },
    encoding: 'utf8',
  });
}

describe('npm start (scripts/start-desktop.js)', () => {
  it('without the Electron runtime: one sentence pointing at the browser mode, exit 1', () => {
    writeFileSync(path.join(scratch, 'dist', 'electron', 'main', 'index.js'), '');
    const run = start({});
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /Electron runtime could not be downloaded on this machine.*`npm run start:web` runs the same app in your browser\.$/,
    );
  });

  it.skipIf(process.platform === 'win32')(
    'with a runtime: launches it on the app folder, passes arguments, clears ELECTRON_RUN_AS_NODE, returns its exit code',
    () => {
      const run = start({ ELECTRON_OVERRIDE_DIST_PATH: fakeElectron, ELECTRON_RUN_AS_NODE: '1' }, [
        '--trace-warnings-x',
      ]);
      expect(run.status).toBe(7);
      expect(JSON.parse(run.stdout)).toEqual({ args: [scratch, '--trace-warnings-x'], runAsNode: null });
    },
  );

  it('says to build first when the app is not built', () => {
    rmSync(path.join(scratch, 'dist', 'electron', 'main', 'index.js'));
    const run = start({});
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/not built yet/);
  });
});

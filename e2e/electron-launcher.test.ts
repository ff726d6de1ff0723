import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * scripts/start-desktop.js (`npm start`) in a scratch copy of the project layout: what it says
 * when the Electron runtime is missing, how it launches one that is there (a stand-in) with the
 * Electron build of better-sqlite3 named, and what it says when that build cannot be made.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let scratch: string;
let fakeElectron: string;

beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'metascope-launcher-'));
  mkdirSync(path.join(scratch, 'scripts'));
  mkdirSync(path.join(scratch, 'dist', 'electron', 'main'), { recursive: true });
  for (const name of ['electron', 'better-sqlite3']) {
    mkdirSync(path.join(scratch, 'node_modules', name), { recursive: true });
    writeFileSync(
      path.join(scratch, 'node_modules', name, 'package.json'),
      JSON.stringify({ name, version: name === 'electron' ? '39.8.10' : '12.11.1' }),
    );
  }
  for (const script of ['start-desktop.js', 'electron-sqlite.js', 'linux-sandbox.js'])
    copyFileSync(path.join(root, 'scripts', script), path.join(scratch, 'scripts', script));
  writeFileSync(path.join(scratch, 'package.json'), '{"type":"module"}');
  fakeElectron = path.join(scratch, 'fake-electron');
  mkdirSync(fakeElectron);
  // A stand-in runtime that prints what it was given.
  const script = path.join(fakeElectron, 'electron');
  writeFileSync(
    script,
    `#!${process.execPath}\nconsole.log(JSON.stringify({ args: process.argv.slice(2), runAsNode: process.env.ELECTRON_RUN_AS_NODE ?? null, sqliteAddon: process.env.METASCOPE_SQLITE_ADDON ?? null }));\nprocess.exit(7);\n`,
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

  // --no-sandbox: the stand-in has no chrome-sandbox, which would stop the launch where AppArmor
  // restricts user namespaces (Ubuntu 24.04 CI); the sandbox decision has its own tests.
  const args = ['--trace-warnings-x', '--no-sandbox'];
  const osNames: Record<string, string> = { linux: 'linux', darwin: 'mac', win32: 'win' };
  const place = () =>
    path.join(scratch, 'dist', 'electron-sqlite', `${osNames[process.platform]}-${process.arch}`);
  const record = (electron: string) =>
    JSON.stringify({ electron, betterSqlite3: '12.11.1', platform: process.platform, arch: process.arch });

  it.skipIf(process.platform === 'win32')(
    'with a runtime and the Electron build of better-sqlite3: launches it on the app folder, passes arguments and the build, clears ELECTRON_RUN_AS_NODE, returns its exit code',
    () => {
      mkdirSync(place(), { recursive: true });
      writeFileSync(path.join(place(), 'better_sqlite3.node'), 'stand-in');
      writeFileSync(path.join(place(), 'built-for.json'), record('39.8.10'));
      const run = start({ ELECTRON_OVERRIDE_DIST_PATH: fakeElectron, ELECTRON_RUN_AS_NODE: '1' }, args);
      expect(run.status, run.stderr).toBe(7);
      expect(JSON.parse(run.stdout)).toEqual({
        args: [scratch, ...args],
        runAsNode: null,
        sqliteAddon: path.join(place(), 'better_sqlite3.node'),
      });
    },
  );

  it.skipIf(process.platform === 'win32')(
    'when the Electron build of better-sqlite3 is for another Electron and cannot be made: says so with progress, does not launch',
    () => {
      writeFileSync(path.join(place(), 'built-for.json'), record('38.0.0'));
      // The scratch project has no electron-builder, so no @electron/rebuild: the build fails.
      const run = start({ ELECTRON_OVERRIDE_DIST_PATH: fakeElectron }, args);
      expect(run.status).toBe(1);
      expect(run.stdout).toMatch(
        /^Building the database library \(better-sqlite3 12\.11\.1\) for Electron 39\.8\.10 on .*, because it was built for Electron 38\.0\.0;/,
      );
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^The database library could not be built for Electron \(@electron\/rebuild is not installed.*`npm run start:web` runs the same app in your browser\.$/,
      );
      expect(readdirSync(path.dirname(place()))).toEqual([path.basename(place())]); // no staging left
    },
  );

  it('says to build first when the app is not built', () => {
    rmSync(path.join(scratch, 'dist', 'electron', 'main', 'index.js'));
    const run = start({});
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/not built yet/);
  });
});

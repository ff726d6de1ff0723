#!/usr/bin/env node
// `npm start` (after the build): runs the desktop app with the Electron runtime from node_modules.
// Electron's npm package downloads its runtime from GitHub on install; where that was impossible
// (offline, or installs that skip install scripts), this tries the download once more, and if the
// runtime still cannot be had, says so in one sentence and points at the browser mode.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const electronPackage = path.join(root, 'node_modules', 'electron');

/** The Electron executable, found the way the electron package itself finds it; null when absent. */
export function electronBinary() {
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const name =
      process.platform === 'win32'
        ? 'electron.exe'
        : process.platform === 'darwin'
          ? 'Electron.app/Contents/MacOS/Electron'
          : 'electron';
    const candidate = path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH, readPathTxt() ?? name);
    return existsSync(candidate) ? candidate : null;
  }
  const relative = readPathTxt();
  if (!relative) return null;
  const candidate = path.join(electronPackage, 'dist', relative);
  return existsSync(candidate) ? candidate : null;
}

function readPathTxt() {
  try {
    return readFileSync(path.join(electronPackage, 'path.txt'), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

function tryDownload() {
  const installer = path.join(electronPackage, 'install.js');
  if (!existsSync(installer)) return;
  spawnSync(process.execPath, [installer], {
    cwd: electronPackage,
    stdio: 'ignore',
    timeout: 180_000,
    env: process.env,
  });
}

function main() {
  if (!existsSync(path.join(root, 'dist', 'electron', 'main', 'index.js'))) {
    process.stderr.write('MetaScope is not built yet: run `npm run build` first (`npm start` does both).\n');
    return 1;
  }
  let binary = electronBinary();
  if (!binary && process.env.METASCOPE_SKIP_ELECTRON_DOWNLOAD !== '1') {
    tryDownload();
    binary = electronBinary();
  }
  if (!binary) {
    process.stderr.write(
      'The Electron runtime could not be downloaded on this machine, so the desktop app cannot start here; `npm run start:web` runs the same app in your browser.\n',
    );
    return 1;
  }
  const env = { ...process.env };
  // Would turn the app into a plain Node process.
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(binary, [root, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env,
    windowsHide: false,
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      if (!child.killed) child.kill(signal);
    });
  }
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  child.on('error', (error) => {
    process.stderr.write(`Electron could not be started: ${error.message}\n`);
    process.exit(1);
  });
  return null;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const code = main();
  if (code !== null) process.exit(code);
}

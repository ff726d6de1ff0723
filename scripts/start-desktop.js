#!/usr/bin/env node
// `npm start` (after the build): runs the desktop app with the Electron runtime from node_modules.
// On first run it fetches what a plain `npm install` leaves out, with progress: the Electron runtime
// (when its own installer could not download it) and better-sqlite3 built for Electron, kept beside
// Node's build (scripts/electron-sqlite.js). On Linux it first checks that Chromium's sandbox can
// start (scripts/linux-sandbox.js). Whatever cannot be had is said in one sentence.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFailure, ensureElectronSqlite, installedVersions } from './electron-sqlite.js';
import { readSandboxFacts, sandboxAdvice, sandboxBlocked } from './linux-sandbox.js';

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
  process.stdout.write(
    `Downloading the Electron runtime for ${process.platform}-${process.arch} (about 100 MB), once…\n`,
  );
  // Its own progress bar and errors go to the terminal.
  spawnSync(process.execPath, [installer], {
    cwd: electronPackage,
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 600_000,
    env: process.env,
  });
}

async function main() {
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
  const args = process.argv.slice(2);
  if (process.platform === 'linux') {
    const facts = readSandboxFacts(binary);
    const blocked = sandboxBlocked(facts, args);
    if (blocked) {
      process.stderr.write(`${sandboxAdvice(blocked, facts.helperPath)}\n`);
      return 1;
    }
  }
  let sqlite;
  try {
    sqlite = await ensureElectronSqlite({
      root,
      electron: installedVersions(root).electron,
      platform: process.platform,
      arch: process.arch,
      say: (line) => process.stdout.write(`${line}\n`),
    });
  } catch (error) {
    process.stderr.write(`${buildFailure(error)} \`npm run start:web\` runs the same app in your browser.\n`);
    return 1;
  }
  const env = { ...process.env, METASCOPE_SQLITE_ADDON: sqlite.addon };
  // Would turn the app into a plain Node process.
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(binary, [root, ...args], {
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
  const code = await main();
  if (code !== null) process.exit(code);
}

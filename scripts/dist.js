#!/usr/bin/env node
// `npm run dist`: the installers of the current platform (Linux: AppImage + deb, Windows: NSIS,
// macOS: dmg), built by electron-builder from electron-builder.yml into dist/installers/.
// electron-builder downloads the Electron runtime and its packaging tools, and its beforePack hook
// (scripts/electron-sqlite.js) builds better-sqlite3 for Electron beside Node's, so node_modules
// stays as `npm install` left it; where a download is impossible (no network), this says so in
// plain words instead of leaving a stack trace as the last line.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const platformFlags = { linux: '--linux', win32: '--win', darwin: '--mac' };

/** True when electron-builder's output shows it failed to download something. */
export function looksLikeDownloadFailure(output) {
  return /ENOTFOUND|EAI_AGAIN|getaddrinfo|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|socket hang up|unable to (download|get local issuer)|cannot download|download(ing)? failed|self[- ]signed certificate|status code 40[34]/i.test(
    output,
  );
}

function main() {
  const flag = platformFlags[process.platform];
  if (!flag) {
    process.stderr.write(`Installers are built on Linux, Windows and macOS, not on ${process.platform}.\n`);
    return Promise.resolve(1);
  }
  for (const built of ['dist/electron/main/index.js', 'dist/renderer/index.html']) {
    if (!existsSync(path.join(root, built))) {
      process.stderr.write(
        `MetaScope is not built yet (${built} is missing): run \`npm run build\` first.\n`,
      );
      return Promise.resolve(1);
    }
  }
  let cli;
  try {
    cli = createRequire(import.meta.url).resolve('electron-builder/cli.js');
  } catch {
    process.stderr.write('electron-builder is not installed: run `npm install` first.\n');
    return Promise.resolve(1);
  }

  const args = [
    cli,
    flag,
    '--publish',
    'never',
    '--config',
    path.join(root, 'electron-builder.yml'),
    ...process.argv.slice(2),
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      stdio: ['inherit', 'pipe', 'pipe'],
      env: process.env,
    });
    let tail = '';
    const keep = (chunk, stream) => {
      stream.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout.on('data', (chunk) => keep(chunk, process.stdout));
    child.stderr.on('data', (chunk) => keep(chunk, process.stderr));
    child.on('error', (error) => {
      process.stderr.write(`electron-builder could not be started: ${error.message}\n`);
      resolve(1);
    });
    child.on('exit', (code) => {
      if (code === 0) {
        process.stdout.write(`\nInstallers are in ${path.join('dist', 'installers')}.\n`);
        resolve(0);
      } else if (looksLikeDownloadFailure(tail)) {
        process.stderr.write(
          '\nThe installers cannot be built on this machine: electron-builder could not download the Electron runtime or its packaging tools (no network access); run `npm run dist` on a connected machine, or let the release workflow build them.\n',
        );
        resolve(1);
      } else {
        process.stderr.write(`\nelectron-builder failed (exit code ${code}); its output above says why.\n`);
        resolve(code ?? 1);
      }
    });
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exit(await main());
}

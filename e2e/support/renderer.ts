import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const built = 'dist/renderer/index.html';
const sources = ['renderer', 'electron/contract'];

const newest = (folder: string): number =>
  Math.max(
    ...readdirSync(folder, { recursive: true, encoding: 'utf8' }).map(
      (file) => statSync(path.join(folder, file)).mtimeMs,
    ),
  );

/**
 * Builds dist/renderer when it is missing or older than its sources. Not every time: other test
 * files (the Electron ones) load the same build, and a rebuild empties the folder under them.
 */
export function ensureRendererBuilt(): void {
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(...sources.map(newest))) return;
  execFileSync(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'],
    { stdio: 'inherit' },
  );
}

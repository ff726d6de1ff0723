#!/usr/bin/env node
// The packaged app's smoke test, run by the release workflow on Linux (under Xvfb), Windows and
// macOS after `npm run dist -- --dir`: start the unpacked MetaScope on an empty data folder and
// inbox, drop one capture into the inbox, wait for its result in the database, quit it as a user
// would, and check it exited with 0 and closed its database. It never skips: no app is a failure.
//   node scripts/smoke-packaged.js [path to the executable]
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { closedCleanly, waitForResult } from './smoke/database.js';
import { appNames, findPackagedApp, quitRequest } from './smoke/packaged-app.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A 224 × 224 8-bit grey brightfield-like capture: one round cell on a textured background. */
export function makeCapture() {
  const size = 224;
  const pixels = Buffer.alloc(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const r = Math.hypot(x - size / 2, y - size / 2);
      const cell = r < 60 ? 60 * Math.cos(r / 20) : 0;
      pixels[y * size + x] = Math.max(0, Math.min(255, Math.round(120 + cell + ((x * 7 + y * 13) % 11) - 5)));
    }
  }
  return sharp(pixels, { raw: { width: size, height: size, channels: 1 } })
    .png()
    .toBuffer();
}

/** Asks the app to quit; kills it after `timeoutMs`. Resolves with how it ended. */
async function quit(child, timeoutMs) {
  const exited = new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const request = quitRequest(process.platform, child.pid);
  let asked = '';
  if (request.signal) child.kill(request.signal);
  else {
    const run = spawnSync(request.command, request.args, { encoding: 'utf8' });
    asked = `${request.command} ${request.args.join(' ')}: ${(run.stdout + run.stderr).trim()}`;
  }
  let forced = false;
  const timer = setTimeout(() => {
    forced = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  await exited;
  clearTimeout(timer);
  return { code: child.exitCode, signal: child.signalCode, forced, asked };
}

/**
 * Runs the smoke test against `executable` (with `args`); resolves with the result row and how the
 * app ended, or rejects with what went wrong and the app's last output.
 */
export async function smokeTest({
  executable,
  args = [],
  env = {},
  resultTimeoutMs = 240_000,
  quitTimeoutMs = 60_000,
  log = () => {},
}) {
  const data = mkdtempSync(path.join(tmpdir(), 'metascope-smoke-data-'));
  const inbox = mkdtempSync(path.join(tmpdir(), 'metascope-smoke-inbox-'));
  const database = path.join(data, 'metascope.db'); // electron/core/paths.ts: defaultDatabase()
  const childEnv = { ...process.env, ...env, METASCOPE_DATA: data, METASCOPE_INBOX: inbox };
  // The packaged app finds its own models and must not be turned into plain Node.
  delete childEnv.METASCOPE_MODELS;
  delete childEnv.ELECTRON_RUN_AS_NODE;
  let output = '';
  const child = spawn(executable, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk) => (output = (output + chunk.toString('utf8')).slice(-8000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const started = new Promise((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const isRunning = () => child.exitCode === null && child.signalCode === null;
  try {
    await started;
    log(`Started ${executable} (process ${child.pid}); data in ${data}, inbox ${inbox}.`);
    const capture = await makeCapture();
    const sha256 = createHash('sha256').update(capture).digest('hex');
    // Written beside, then moved in: the inbox sees a whole file, as from a microscope's export.
    const staged = path.join(data, 'smoke-capture.png');
    writeFileSync(staged, capture);
    renameSync(staged, path.join(inbox, 'smoke-capture.png'));
    const result = await waitForResult({ database, sha256, timeoutMs: resultTimeoutMs, isRunning });
    log(
      `Result: ${result.className} (p = ${result.probability.toFixed(3)}) by ${result.modelId} ${result.modelVersion} on ${result.provider}, ${Math.round(result.durationMs)} ms.`,
    );
    const ended = await quit(child, quitTimeoutMs);
    const problems = [];
    if (ended.forced)
      problems.push(
        `MetaScope did not quit within ${quitTimeoutMs / 1000} s of being asked, so it was killed.${ended.asked ? ` (${ended.asked})` : ''}`,
      );
    else if (ended.code !== 0)
      problems.push(`MetaScope exited with ${ended.signal ?? `code ${ended.code}`}, not 0.`);
    if (!ended.forced) problems.push(...(await closedCleanly(database, sha256)));
    if (problems.length > 0) throw new Error(problems.join(' '));
    log(`Quit: exit code 0, database closed cleanly.${ended.asked ? ` (${ended.asked})` : ''}`);
    return { result, ended };
  } catch (error) {
    if (isRunning()) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
    }
    throw new Error(`${error.message}\n--- MetaScope's last output ---\n${output.trim() || '(none)'}`, {
      cause: error,
    });
  } finally {
    for (const folder of [data, inbox]) rmSync(folder, { recursive: true, force: true, maxRetries: 5 });
  }
}

async function main() {
  const executable =
    process.argv[2] ??
    findPackagedApp(path.join(root, 'dist', 'installers'), process.platform, process.arch, appNames(root));
  // Chromium refuses to run as root with its OS sandbox (containers); the page's own sandbox stays on.
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  await smokeTest({ executable, args, log: (line) => process.stdout.write(`${line}\n`) });
  process.stdout.write('The packaged app passed its smoke test.\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    () => process.exit(0),
    (error) => {
      process.stderr.write(`The packaged app failed its smoke test: ${error.message}\n`);
      process.exit(1);
    },
  );
}

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeTempDir, noiseBytes } from '../core/capture/testing/images.js';
import { captureBytes, waitFor } from '../core/intake/testing/fixtures.js';
import { writeModelFolder } from '../core/model/testing/model-folder.js';
import { openStore } from '../core/store/store.js';
import { jsonLines, runCli, startCli } from './testing/run-cli.js';

const temp = makeTempDir();
const model = path.join(temp.dir, 'model');
beforeAll(() => writeModelFolder(model));
afterAll(temp.remove);

it('prints each result as it lands and, on SIGTERM, finishes and exits 0', async () => {
  const inbox = path.join(temp.dir, 'inbox');
  const database = path.join(temp.dir, 'metascope.db');
  mkdirSync(inbox);
  writeFileSync(path.join(inbox, 'before.png'), await captureBytes(1));
  const watch = startCli(['watch', inbox, '--db', database, '--model', model, '--settle', '100', '--format', 'json']);
  await waitFor('the watcher to start', () => watch.stderr().includes('Press Ctrl-C to stop.'), 60_000);
  writeFileSync(path.join(inbox, 'after.png'), await captureBytes(2));
  writeFileSync(path.join(inbox, 'broken.png'), noiseBytes(200));
  await waitFor('three lines', () => jsonLines(watch.stdout()).length === 3, 30_000);

  watch.child.kill('SIGTERM');
  expect(await watch.exited).toEqual({ code: 0, signal: null });
  expect(watch.stderr()).toContain('Stopping (SIGTERM)');
  const lines = jsonLines(watch.stdout());
  const byFile = new Map(lines.map((line) => [path.basename(String(line.file)), line]));
  expect(byFile.get('before.png')).toMatchObject({ status: 'ok', class: expect.any(String), classifiedAt: expect.any(String) });
  expect(byFile.get('after.png')).toMatchObject({ status: 'ok', paths: [path.join(inbox, 'after.png')] });
  expect(byFile.get('broken.png')).toMatchObject({ status: 'failed', error: expect.stringMatching(/not an image/) });

  const store = openStore(database);
  expect(store.captures.counts()).toEqual({ discovered: 0, queued: 0, processing: 0, done: 2, failed: 1 });
  expect(store.folders.list().map((f) => f.path)).toEqual([inbox]);
  store.close();
}, 120_000);

it('refuses a folder that is not there, with exit code 2', async () => {
  const watch = startCli(['watch', path.join(temp.dir, 'nowhere'), '--db', path.join(temp.dir, 'other.db'), '--model', model]);
  expect((await watch.exited).code).toBe(2);
  expect(watch.stderr()).toMatch(/nowhere cannot be watched: The folder is not there/);
}, 60_000);

it('--format table shows control characters in folder and file names as escapes', async () => {
  const inbox = path.join(temp.dir, 'in\x1b[2Jbox');
  mkdirSync(inbox);
  await writeModelFolder(model);
  const watch = startCli(['watch', inbox, '--db', path.join(temp.dir, 'table.db'), '--model', model, '--settle', '100']);
  await waitFor('the watcher to start', () => watch.stderr().includes('Press Ctrl-C to stop.'), 60_000);
  writeFileSync(path.join(inbox, 'forged\rrow\n.png'), await captureBytes(1));
  await waitFor('a row', () => watch.stdout().includes('forged'), 30_000);
  watch.child.kill('SIGTERM');
  expect((await watch.exited).code).toBe(0);
  expect(watch.stderr()).toContain('in\\x1b[2Jbox');
  expect(watch.stdout()).toMatch(/forged\\rrow\\n\.png\s+ok\s/);
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  expect(watch.stdout() + watch.stderr()).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
}, 120_000);

it('keeps a capture that could not be classified, and history lists it with its reason only when asked', async () => {
  const inbox = path.join(temp.dir, 'failures');
  const database = path.join(temp.dir, 'failures.db');
  mkdirSync(inbox);
  await writeModelFolder(model);
  writeFileSync(path.join(inbox, 'good.png'), await captureBytes(3));
  writeFileSync(path.join(inbox, 'notes.png'), 'Not a picture: the microscope saved its notes under this name.\n');
  const watch = startCli(['watch', inbox, '--db', database, '--model', model, '--settle', '100', '--format', 'json']);
  await waitFor('two lines', () => jsonLines(watch.stdout()).length === 2, 60_000);
  watch.child.kill('SIGTERM');
  expect((await watch.exited).code).toBe(0);

  // The default is as before: classified captures only, with a word about the others.
  const ok = await runCli(['history', '--db', database]);
  expect(ok.code).toBe(0);
  expect(ok.stdout).toContain('good.png');
  expect(ok.stdout).not.toContain('notes.png');
  expect(ok.stderr).toBe('1 capture could not be classified and is not listed: add --status failed to see why.\n');

  const failed = await runCli(['history', '--db', database, '--status', 'failed']);
  expect(failed.code).toBe(0);
  const lines = failed.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^file\s+status\s+label\s+model said\s+probability\s+when\s+model\s+provider\s+reviewed by\s+error$/);
  expect(lines).toHaveLength(3);
  // The sentence keeps its start; the table cuts its end.
  expect(lines[2]).toMatch(/notes\.png\s+failed\s+–\s+–\s+–\s+\S+Z\s+–\s+–\s+–\s+This file is not an image MetaScope knows .*…$/);

  const json = await runCli(['history', '--db', database, '--status', 'all', '--format', 'json']);
  const rows = jsonLines(json.stdout);
  expect(rows.map((r) => [path.basename(String(r.file)), r.status])).toEqual([
    ['good.png', 'ok'],
    ['notes.png', 'failed'],
  ]);
  expect(rows[1]).toMatchObject({
    class: null,
    model: null,
    error: expect.stringMatching(/^This file is not an image MetaScope knows/),
    failedAt: expect.any(String),
  });

  const csv = (await runCli(['history', '--db', database, '--status', 'failed', '--format', 'csv'])).stdout.split('\n');
  expect(csv[0]).toMatch(/,state,failed_at,failure_reason$/);
  expect(csv[1]).toMatch(/^notes\.png,.*,failed,\S+[+-]\d\d:\d\d,"This file is not an image MetaScope knows/);
  expect(csv).toHaveLength(3);
}, 120_000);

it('refuses a second MetaScope on the same database in one sentence (exit 2); once the first is killed, the next start takes over', async () => {
  const inbox = path.join(temp.dir, 'shared-inbox');
  const other = path.join(temp.dir, 'other-inbox');
  const database = path.join(temp.dir, 'shared.db');
  mkdirSync(inbox);
  mkdirSync(other);
  const total = 12;
  for (let n = 0; n < total; n++) writeFileSync(path.join(inbox, `c${n}.png`), await captureBytes(100 + n));
  const args = (folder: string) => ['watch', folder, '--db', database, '--model', model, '--settle', '100', '--format', 'json'];

  const first = startCli(args(inbox));
  await waitFor('the first to start', () => first.stderr().includes('Press Ctrl-C to stop.'), 60_000);
  const second = startCli(args(other));
  expect((await second.exited).code).toBe(2);
  const refusal = second.stderr().trim();
  expect(refusal.split('\n')).toHaveLength(1);
  expect(refusal).toContain(
    `metascope: MetaScope is already running on the database ${database} (metascope watch, process ${first.child.pid}, since `,
  );
  expect(refusal).toMatch(/\): only one MetaScope at a time can use a database, so close that one first\.$/);
  expect(second.stdout()).toBe('');

  // Killed with no chance to clean up: the system lifts its lock, and what it had claimed is not stuck.
  await waitFor('a first result', () => jsonLines(first.stdout()).length > 0, 60_000);
  first.child.kill('SIGKILL');
  await first.exited;
  const third = startCli(args(inbox));
  await waitFor('the third to start', () => third.stderr().includes('Press Ctrl-C to stop.'), 60_000);
  const store = openStore(database);
  try {
    await waitFor('every capture classified', () => store.captures.counts().done === total, 60_000);
    expect(store.captures.counts()).toEqual({ discovered: 0, queued: 0, processing: 0, done: total, failed: 0 });
    // The refused one never added its folder.
    expect(store.folders.list().map((f) => f.path)).toEqual([inbox]);
  } finally {
    store.close();
  }
  third.child.kill('SIGTERM');
  expect((await third.exited).code).toBe(0);
}, 180_000);

it('refuses options about classifying here when the facility classifies (--facility), before touching anything', async () => {
  const { dir, remove } = makeTempDir();
  const database = path.join(dir, 'metascope.db');
  const run = await runCli([
    'watch',
    dir,
    '--db',
    database,
    '--facility',
    'postgres://lab@127.0.0.1:1/metascope',
    '--model',
    dir,
    '--format',
    'json',
  ]);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('--model and --format are not used here');
  expect(existsSync(database)).toBe(false);
  remove();
});

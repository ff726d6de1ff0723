import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../core/capture/testing/images.js';
import { wholeCapture, type ResultInput } from '../core/store/captures.js';
import { openStore } from '../core/store/store.js';
import { machineTimeZone, resultsCsv } from '../core/export/results-csv.js';
import { exportCommand } from './export.js';
import { historyCommand, type HistoryOptions } from './history.js';
import { closeDatabase, openDatabase } from '../core/store/db.js';
import { smallDisk } from '../core/store/testing/fixtures.js';
import { fillSyntheticHistory } from '../core/store/testing/synthetic-history.js';
import { jsonLines, runCli, startCli } from './testing/run-cli.js';
import { UsageError } from './usage.js';

const temp = makeTempDir();
const database = path.join(temp.dir, 'metascope.db');
const model = { id: 'cells', version: '1.2.0', sha256: 'c'.repeat(64) };
const sha = (n: number) => String(n).repeat(64);
const t0 = Date.UTC(2025, 2, 1, 9);

/** Two results (one reviewed twice, one under two paths) and one capture still queued. */
beforeAll(() => {
  const store = openStore(database);
  store.models.register({ ...model, name: 'Cells', classes: ['dim', 'bright'], folder: '/models/cells' });
  const info = { size: 100, width: 16, height: 16, bitDepth: 16, channels: 1, pages: 1, format: 'tiff' };
  const attach = (file: string, n: number) => {
    store.files.recordSeen({ path: file, folderId: null, size: 100, mtimeMs: 1 });
    store.captures.attachFile(file, sha(n), info);
  };
  attach('/lab/a.tif', 1);
  attach('/lab/copies/a, again.tif', 1);
  attach('/lab/b.tif', 2);
  store.captures.claimNext(2);
  attach('/lab/waiting.tif', 3);
  const result = (n: number, className: string, probability: number, at: number): ResultInput => ({
    ...wholeCapture,
    sha256: sha(n),
    model,
    probabilities: { dim: 1 - probability, bright: probability },
    className,
    probability,
    provider: 'cpu',
    preprocessing: { resize: 'stretch', window: { low: 0, high: 65535 } },
    appVersion: '0.1.0',
    durationMs: 12.5,
    classifiedAt: at,
  });
  store.captures.saveOutcomes([result(1, 'bright', 0.8, t0)], []);
  store.captures.saveOutcomes([result(2, 'dim', 0.3, t0 + 3_600_000)], []);
  store.reviews.add({ sha256: sha(2), label: 'dim' });
  store.reviews.add({ sha256: sha(2), label: 'bright', note: 'out of focus, "bright" after all' });
  store.close();
});
afterAll(temp.remove);

async function history(options: Partial<HistoryOptions>): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk));
  expect(await historyCommand({ db: database, format: 'json', ...options }, out)).toBe(0);
  return text;
}

describe('a database on read-only media', () => {
  it('is read by history and export, and the media are left as they were', async (context) => {
    const media = smallDisk();
    if (!media) return context.skip('read-only media of its own (a tmpfs remounted read-only) needs root to mount');
    try {
      const archived = path.join(media.dir, 'metascope.db');
      copyFileSync(database, archived);
      media.makeReadOnly();
      expect(jsonLines(await history({ db: archived })).map((r) => r.sha256)).toEqual([sha(1), sha(2)]);
      const out = path.join(temp.dir, 'from-archive.csv');
      expect(await exportCommand({ db: archived, out })).toBe(0);
      expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(3);
      expect(readdirSync(media.dir)).toEqual(['metascope.db']);
    } finally {
      media.unmount();
    }
  });
});

describe('metascope history', () => {
  it('prints one JSON object per result: the classify fields plus sha256, paths, time and latest review', async () => {
    const [a, b, ...rest] = jsonLines(await history({}));
    expect(rest).toEqual([]);
    expect(Object.keys(a!)).toEqual([
      'file',
      'status',
      'class',
      'probability',
      'probabilities',
      'provider',
      'model',
      'width',
      'height',
      'bitDepth',
      'sha256',
      'analysis',
      'summary',
      'inScope',
      'scope',
      'uncertain',
      'paths',
      'classifiedAt',
      'review',
      'finalLabel',
    ]);
    expect(a).toMatchObject({
      file: '/lab/a.tif',
      status: 'ok',
      class: 'bright',
      probability: 0.8,
      probabilities: { dim: expect.closeTo(0.2), bright: 0.8 },
      model,
      sha256: sha(1),
      paths: ['/lab/a.tif', '/lab/copies/a, again.tif'],
      classifiedAt: '2025-03-01T09:00:00.000Z',
      analysis: 'one-cell',
      summary: null,
      review: null,
    });
    expect(b).toMatchObject({
      file: '/lab/b.tif',
      class: 'dim',
      finalLabel: 'bright',
      review: { label: 'bright', note: 'out of focus, "bright" after all', reviewer: null, createdAt: expect.any(String) },
    });
  });

  it('refuses --class with --status failed: a failure has no class', async () => {
    await expect(history({ class: 'dim', status: 'failed' })).rejects.toThrow(
      new UsageError('A capture that could not be classified has no class: leave out --class with --status failed.'),
    );
  });

  it('filters by class and by time', async () => {
    // The class is the final label: b.tif was classified dim, then reviewed bright.
    expect(jsonLines(await history({ class: 'bright' })).map((r) => r.sha256)).toEqual([sha(1), sha(2)]);
    expect(await history({ class: 'dim' })).toBe('');
    expect(jsonLines(await history({ since: t0 + 1 })).map((r) => r.sha256)).toEqual([sha(2)]);
    expect(await history({ class: 'nothing' })).toBe('');
  });

  it('prints a table, and as CSV the same file export writes', async () => {
    const table = (await history({ format: 'table' })).split('\n');
    expect(table[0]).toMatch(/^file\s+label\s+model said\s+probability\s+classified\s+model\s+provider\s+reviewed by$/);
    // b.tif was classified dim and reviewed bright (by someone who gave no name).
    expect(table[3]).toMatch(/b\.tif\s+bright\s+dim\s+30\.0%\s+2025-03-01T10:00:00\.000Z\s+cells 1\.2\.0\s+cpu\s+someone/);

    const out = path.join(temp.dir, 'results.csv');
    expect(await exportCommand({ db: database, out })).toBe(0);
    expect(await history({ format: 'csv' })).toBe(readFileSync(out, 'utf8'));
  });
});

describe('metascope export', () => {
  it('writes every column needed to reproduce each result', async () => {
    const out = path.join(temp.dir, 'export.csv');
    await exportCommand({ db: database, out });
    const [header, first, second, ...rest] = readFileSync(out, 'utf8').split('\n');
    expect(rest).toEqual(['']);
    for (const column of ['folder', 'paths', 'sha256', 'final_label', 'model_class', 'probability', 'threshold', 'p(dim)',
      'p(bright)', 'model_id', 'model_version', 'model_sha256', 'provider', 'preprocessing', 'app_version', 'duration_ms',
      'classified_at', 'reviewer', 'review_note', 'reviewed_at', 'state']) {
      expect(header!.split(',')).toContain(column);
    }
    expect(first).toContain('/lab/copies/a, again.tif');
    expect(first).toContain(`${sha(1)},bright,bright,0.8,`);
    // Classified dim, reviewed bright: the final label leads, what the model said beside it.
    expect(second).toContain(`${sha(2)},bright,dim,0.3,`);
    expect(first).toContain(`cells,1.2.0,${'c'.repeat(64)},cpu,`);
    expect(second).toContain('"out of focus, ""bright"" after all"');
    expect(existsSync(`${out}.partial`)).toBe(false);
  });

  it('refuses a file it cannot write, leaving nothing behind', async () => {
    const out = path.join(temp.dir, 'no such folder', 'results.csv');
    await expect(exportCommand({ db: database, out })).rejects.toThrow(/cannot be written \(ENOENT\)/);
  });
});

describe('text a spreadsheet would run as a formula', () => {
  it('is written as plain text by export, history --format csv and the app\'s CSV alike; numbers stay numbers', async () => {
    const db = path.join(temp.dir, 'formulas.db');
    const store = openStore(db);
    store.models.register({ ...model, name: 'Cells', classes: ['dim', 'bright'], folder: '/models/cells' });
    const file = '/lab/=HYPERLINK("evil.example","open").tif';
    store.files.recordSeen({ path: file, folderId: null, size: 100, mtimeMs: 1 });
    store.captures.attachFile(file, sha(7), { size: 100, width: 16, height: 16, bitDepth: 16, channels: 1, pages: 1, format: 'tiff' });
    store.captures.saveOutcomes(
      [{ ...wholeCapture, scope: { ...wholeCapture.scope, score: -0.5 }, sha256: sha(7), model, probabilities: { dim: 0.1, bright: 0.9 },
        className: 'bright', probability: 0.9, provider: 'cpu', preprocessing: {}, appVersion: '0.1.0', durationMs: 1, classifiedAt: t0 }],
      [],
    );
    store.reviews.add({ sha256: sha(7), label: '@SUM(1+1)*cmd', note: '-2+3' });
    const app = resultsCsv(store.history.export({}), store.models.list(), { timeZone: machineTimeZone() }).csv;
    store.close();

    const out = path.join(temp.dir, 'formulas.csv');
    expect(await exportCommand({ db, out })).toBe(0);
    const csv = readFileSync(out, 'utf8');
    expect(csv).toContain(`"'=HYPERLINK(""evil.example"",""open"").tif"`);
    // The review is the final label; its note stays text too.
    expect(csv).toContain(`"'@SUM(1+1)*cmd",bright,`);
    expect(csv).toContain(`,"'-2+3",`);
    // No cell starts a formula; the one starting with a minus is a number.
    expect(csv).not.toMatch(/(^|,)([=+@]|-(?!\d))/m);
    // The scope score is a number: negative, and written as one.
    expect(csv).toContain(',-0.5,');
    expect(await history({ db, format: 'csv' })).toBe(csv);
    expect(app).toBe(csv);
  });
});

describe('control characters in a file name', () => {
  it('show as escapes in the table; JSON keeps the name exact', async () => {
    const db = path.join(temp.dir, 'control.db');
    const store = openStore(db);
    store.models.register({ ...model, name: 'Cells', classes: ['dim', 'bright'], folder: '/models/cells' });
    const file = '/lab/\x1b[2J\rforged\nrow\x9b.tif';
    store.files.recordSeen({ path: file, folderId: null, size: 100, mtimeMs: 1 });
    store.captures.attachFile(file, sha(8), { size: 100, width: 16, height: 16, bitDepth: 16, channels: 1, pages: 1, format: 'tiff' });
    store.captures.saveOutcomes(
      [{ ...wholeCapture, sha256: sha(8), model, probabilities: { dim: 0.1, bright: 0.9 }, className: 'bright',
        probability: 0.9, provider: 'cpu', preprocessing: {}, appVersion: '0.1.0', durationMs: 1, classifiedAt: t0 }],
      [],
    );
    store.close();
    const table = await history({ db, format: 'table' });
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    expect(table).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(table.trim().split('\n')).toHaveLength(3);
    expect(table).toMatch(/\/lab\/\\x1b\[2J\\rforged\\nrow\\x9b\.tif\s+bright/);
    expect(jsonLines(await history({ db }))[0]).toMatchObject({ file });
  });
});

describe('a database the commands cannot use', () => {
  it('is explained in a sentence: missing, from a newer MetaScope, or locked', async () => {
    const missing = path.join(temp.dir, 'missing.db');
    await expect(history({ db: missing })).rejects.toThrow(new UsageError(`There is no MetaScope database at ${missing}. Name the right file with --db.`));
    expect(existsSync(missing)).toBe(false);

    const newer = path.join(temp.dir, 'newer.db');
    const raw = new Database(newer);
    raw.pragma('user_version = 99');
    raw.close();
    await expect(history({ db: newer })).rejects.toThrow(/written by a newer MetaScope/);

    const holder = new Database(database);
    holder.pragma('locking_mode = EXCLUSIVE');
    holder.exec('BEGIN EXCLUSIVE');
    try {
      await expect(exportCommand({ db: database, out: path.join(temp.dir, 'x.csv') })).rejects.toThrow(/is locked by another program/);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  });

  it('ends the command with exit code 2', async () => {
    const missing = await runCli(['history', '--db', path.join(temp.dir, 'missing.db')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^metascope: There is no MetaScope database at .*missing\.db/);
    const badTime = await runCli(['history', '--db', database, '--since', 'yesterday-ish']);
    expect(badTime.code).toBe(2);
    expect(badTime.stderr).toContain('--since must be a date');
  });
});

describe('metascope history | head', () => {
  it('stops quietly with exit code 0 when the reader closes the pipe early', async () => {
    const big = path.join(temp.dir, 'big.db');
    const db = openDatabase(big);
    fillSyntheticHistory(db, 3000); // far more output than a pipe buffers
    closeDatabase(db);
    const run = startCli(['history', '--db', big]);
    run.child.stdout.once('data', () => run.child.stdout.destroy());
    const { code } = await run.exited;
    expect(run.stderr()).not.toMatch(/unexpected error|EPIPE/);
    expect(code).toBe(0);
  }, 60_000);
});

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureRow } from '../../contract/types.js';
import { brightness, engineWorld, type Driven, type EngineWorld } from './testing/engine-world.js';

/** History, statistics and CSV export through the contract, over captures the real model classified. */

let world: EngineWorld;
let app: Driven;
let otherFolderId: number;
/** Brightness of each capture → its file name, SHA-256 and the confidence of its decided class. */
/** `label` is the final label: the model's class, or what a person said since. */
const captures = new Map<
  number,
  { name: string; sha256: string; class: string; label: string; probability: number }
>();

const inboxValues = [20, 70, 115, 150, 190, 245];
const otherValue = 100;

beforeAll(async () => {
  world = await engineWorld();
  app = await world.open();
  const other = path.join(world.dir, 'Scope B');
  mkdirSync(other);
  otherFolderId = (await app.call('folders.add', { path: other, recursive: false })).id;
  const drops = [
    ...inboxValues.map((value) => ({ value, name: `well-${value}.png`, folder: world.inbox })),
    { value: otherValue, name: `Plate-${otherValue}.png`, folder: other },
  ];
  for (const { value, name, folder } of drops) {
    const sha256 = await world.drop(name, value, folder);
    const p = brightness(value);
    const modelClass = p >= 0.5 ? 'bright' : 'dim';
    captures.set(value, {
      name,
      sha256,
      class: modelClass,
      label: modelClass,
      probability: Math.max(p, 1 - p),
    });
  }
  for (const { sha256 } of captures.values()) {
    await app.event('capture.updated', (row) => row.sha256 === sha256 && row.state === 'done');
  }
  await app.call('reviews.add', {
    sha256: captures.get(150)!.sha256,
    label: 'dim',
    note: 'edge, "borderline"',
  });
  captures.get(150)!.label = 'dim';
});
afterAll(async () => {
  await world.cleanup();
});

const names = (rows: CaptureRow[]) => rows.map((r) => r.fileName);
const all = () => [...captures.values()];
const byProbability = () => all().sort((a, b) => a.probability - b.probability);

describe('history.query', () => {
  it('lists every result newest first by default, with the total', async () => {
    const page = await app.call('history.query', {});
    expect(page.total).toBe(captures.size);
    expect(page.rows).toHaveLength(captures.size);
    const times = page.rows.map((r) => Date.parse(r.classifiedAt!));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const row = page.rows.find((r) => r.fileName === 'well-150.png')!;
    expect(row).toMatchObject({
      state: 'done',
      class: 'bright',
      review: { label: 'dim', note: 'edge, "borderline"' },
    });
  });

  it('filters by class, probability, folder, search, review and model', async () => {
    const query = async (filter: object) => {
      const page = await app.call('history.query', { filter, sort: { key: 'fileName', direction: 'asc' } });
      expect(page.total).toBe(page.rows.length);
      return names(page.rows);
    };
    const expected = (keep: (c: ReturnType<typeof all>[number]) => boolean) =>
      all()
        .filter(keep)
        .map((c) => c.name)
        .sort();

    expect(await query({ className: 'bright' })).toEqual(expected((c) => c.label === 'bright'));
    expect(await query({ className: 'dim' })).toEqual(expected((c) => c.label === 'dim'));
    expect(await query({ modelClass: 'bright' })).toEqual(expected((c) => c.class === 'bright'));
    expect(await query({ minProbability: 0.8 })).toEqual(expected((c) => c.probability >= 0.8));
    expect(await query({ maxProbability: 0.7 })).toEqual(expected((c) => c.probability <= 0.7));
    expect(await query({ minProbability: 0.6, maxProbability: 0.8 })).toEqual(
      expected((c) => c.probability >= 0.6 && c.probability <= 0.8),
    );
    expect(await query({ folderId: otherFolderId })).toEqual(['Plate-100.png']);
    // Search matches any part of a path, whatever the case.
    expect(await query({ search: 'scope b' })).toEqual(['Plate-100.png']);
    expect(await query({ search: 'WELL-1' })).toEqual(['well-115.png', 'well-150.png', 'well-190.png']);
    expect(await query({ reviewed: true })).toEqual(['well-150.png']);
    expect(await query({ reviewed: false })).toHaveLength(captures.size - 1);
    expect(await query({ modelId: 'test-linear-mean' })).toHaveLength(captures.size);
    expect(await query({ modelId: 'another-model' })).toEqual([]);
    expect(await query({ className: 'bright', reviewed: false, folderId: otherFolderId })).toEqual([]);
  });

  it('filters by time: from inclusive, to exclusive', async () => {
    const rows = (await app.call('history.query', {})).rows;
    const times = rows.map((r) => r.classifiedAt!);
    const earliest = times.reduce((a, b) => (a < b ? a : b));
    const future = new Date(Date.now() + 60_000).toISOString();
    const total = async (filter: object) => (await app.call('history.query', { filter })).total;
    expect(await total({ from: earliest })).toBe(captures.size);
    expect(await total({ to: earliest })).toBe(0);
    expect(await total({ from: future })).toBe(0);
    expect(await total({ to: future })).toBe(captures.size);
  });

  it('sorts by each key in both directions and pages without overlap', async () => {
    const sorted = async (key: 'time' | 'probability' | 'fileName' | 'class', direction: 'asc' | 'desc') =>
      (await app.call('history.query', { sort: { key, direction } })).rows;

    expect(names(await sorted('probability', 'asc'))).toEqual(byProbability().map((c) => c.name));
    expect(names(await sorted('probability', 'desc'))).toEqual(
      byProbability()
        .map((c) => c.name)
        .reverse(),
    );
    const fileNames = all().map((c) => c.name);
    expect(names(await sorted('fileName', 'asc'))).toEqual([...fileNames].sort());
    expect(names(await sorted('fileName', 'desc'))).toEqual([...fileNames].sort().reverse());
    expect((await sorted('class', 'asc')).map((r) => r.finalLabel)).toEqual(
      all()
        .map((c) => c.label)
        .sort(),
    );
    const oldestFirst = (await sorted('time', 'asc')).map((r) => Date.parse(r.classifiedAt!));
    expect(oldestFirst).toEqual([...oldestFirst].sort((a, b) => a - b));

    const whole = names(await sorted('probability', 'asc'));
    const pages: string[] = [];
    for (let offset = 0; offset < captures.size; offset += 3) {
      const page = await app.call('history.query', {
        sort: { key: 'probability', direction: 'asc' },
        offset,
        limit: 3,
      });
      expect(page.total).toBe(captures.size);
      pages.push(...names(page.rows));
    }
    expect(pages).toEqual(whole);
    const beyond = await app.call('history.query', { offset: 100, limit: 5 });
    expect(beyond).toEqual({ rows: [], total: captures.size });
  });

  it('refuses a bad query as a bad request', async () => {
    const bad = [
      { limit: 0 },
      { offset: -1 },
      { sort: { key: 'size', direction: 'asc' } },
      { filter: { minProbability: 2 } },
      { filter: { folderId: 'one' } },
    ];
    for (const input of bad) {
      expect(await app.respond('history.query', input)).toMatchObject({
        ok: false,
        error: { code: 'bad-request' },
      });
    }
  });
});

describe('history.stats', () => {
  const localDay = (iso: string) => {
    const d = new Date(iso);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  };
  const zone = process.env.TZ;
  afterEach(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });

  // Days are the lab's own days: east and west of Greenwich a day starts at a different instant.
  it.each(['UTC', 'Asia/Tokyo', 'America/New_York'])(
    'counts results per class and local day (%s)',
    async (timeZone) => {
      process.env.TZ = timeZone;
      const rows = (await app.call('history.query', {})).rows;
      const expected = new Map<string, number>();
      for (const row of rows) {
        const key = `${localDay(row.classifiedAt!)} ${row.finalLabel}`;
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
      const stats = await app.call('history.stats', {});
      expect(new Map(stats.classCounts.map((c) => [`${c.day} ${c.class}`, c.count]))).toEqual(expected);
      expect(stats.classes).toEqual(['bright', 'dim']);
    },
  );

  // In browser mode the viewer's zone is not the server's: the request names it.
  it('counts in the zone the viewer names, whatever the engine\'s own', async () => {
    process.env.TZ = 'Asia/Tokyo';
    const newYork = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' });
    const rows = (await app.call('history.query', {})).rows;
    const expected = new Map<string, number>();
    for (const row of rows) {
      const key = `${newYork.format(Date.parse(row.classifiedAt!))} ${row.finalLabel}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    const stats = await app.call('history.stats', { timeZone: 'America/New_York' });
    expect(new Map(stats.classCounts.map((c) => [`${c.day} ${c.class}`, c.count]))).toEqual(expected);
    await expect(app.call('history.stats', { timeZone: 'Mars/Olympus' })).rejects.toThrow(/time zone/);
  });

  it('shows the share of each final label per folder, with its 95 % interval', async () => {
    const { folderShares } = await app.call('history.stats', {});
    const other = folderShares.filter((s) => s.folderId === otherFolderId);
    expect(other).toHaveLength(1);
    expect(other[0]).toMatchObject({ count: 1, total: 1, fraction: 1, high: 1 });
    expect(other[0]!.low).toBeCloseTo(0.2065, 3);
    const inbox = folderShares.filter((s) => s.folderId !== otherFolderId);
    expect(inbox.reduce((n, s) => n + s.count, 0)).toBe(inboxValues.length);
    for (const s of inbox) expect(s.low).toBeLessThanOrEqual(s.fraction);
  });

  it('compares reviewers with the model, per class the model gave and per folder', async () => {
    // One review: the capture of brightness 150, which the model called bright, was labelled dim.
    const agreement = await app.call('history.agreement', {});
    expect(agreement.byClass).toEqual([
      { class: 'bright', reviewed: 1, agreed: 0, fraction: 0, low: 0, high: expect.closeTo(0.7935, 3) },
    ]);
    expect(agreement.byFolder).toHaveLength(1);
    expect(agreement.byFolder[0]).toMatchObject({ reviewed: 1, agreed: 0 });
    expect(await app.call('history.agreement', { filter: { folderId: otherFolderId } })).toEqual({
      byClass: [],
      byFolder: [],
    });
  });

  it('bins the probability of the decided class in 20 equal bins from 0 to 1', async () => {
    const { histogram } = await app.call('history.stats', {});
    expect(histogram).toHaveLength(20);
    histogram.forEach((bin, i) => {
      expect(bin.from).toBeCloseTo(i / 20, 10);
      expect(bin.to).toBeCloseTo((i + 1) / 20, 10);
    });
    const counts = new Array<number>(20).fill(0);
    for (const c of all()) counts[Math.min(19, Math.floor(c.probability * 20))]!++;
    expect(histogram.map((b) => b.count)).toEqual(counts);
  });

  it('applies the filter', async () => {
    const stats = await app.call('history.stats', { filter: { className: 'dim' } });
    expect(stats.classes).toEqual(['dim']);
    const dim = all().filter((c) => c.label === 'dim').length;
    expect(stats.classCounts.reduce((sum, c) => sum + c.count, 0)).toBe(dim);
    expect(stats.histogram.reduce((sum, b) => sum + b.count, 0)).toBe(dim);
    const none = await app.call('history.stats', { filter: { folderId: 9999 } });
    expect(none).toMatchObject({ classCounts: [], classes: [] });
    expect(none.histogram.every((b) => b.count === 0)).toBe(true);
  });
});

describe('history.exportCsv', () => {
  const parseLine = (line: string): string[] => {
    const cells: string[] = [];
    let cell = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!;
      if (quoted && ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') {
        quoted = !quoted;
      } else if (ch === ',' && !quoted) {
        cells.push(cell);
        cell = '';
      } else {
        cell += ch;
      }
    }
    cells.push(cell);
    return cells;
  };

  it('exports every result with a header naming the class and review columns', async () => {
    const { csv, rows } = await app.call('history.exportCsv', {});
    expect(rows).toBe(captures.size);
    const lines = csv.trimEnd().split('\n');
    expect(lines).toHaveLength(captures.size + 1);
    const header = parseLine(lines[0]!);
    expect(header.slice(0, 10)).toEqual([
      'file_name',
      'folder',
      'paths',
      'sha256',
      'final_label',
      'model_class',
      'probability',
      'threshold',
      'p(dim)',
      'p(bright)',
    ]);
    expect(header).toEqual(
      expect.arrayContaining([
        'model_id',
        'model_version',
        'model_sha256',
        'provider',
        'preprocessing',
        'app_version',
      ]),
    );
    expect(header.slice(-6)).toEqual([
      'reviewer',
      'review_note',
      'reviewed_at',
      'state',
      'failed_at',
      'failure_reason',
    ]);

    const records = lines
      .slice(1)
      .map((line) => Object.fromEntries(parseLine(line).map((cell, i) => [header[i]!, cell])));
    expect(records.map((r) => r.sha256).sort()).toEqual(
      all()
        .map((c) => c.sha256)
        .sort(),
    );
    for (const record of records) {
      const capture = all().find((c) => c.sha256 === record.sha256)!;
      expect(record).toMatchObject({
        file_name: capture.name,
        final_label: capture.label,
        model_class: capture.class,
        threshold: '0.5',
        state: 'done',
        model_id: 'test-linear-mean',
        provider: 'cpu',
      });
      // The engine's own zone when the request names none, with the offset it had then.
      expect(record.classified_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
      expect(Number(record.probability)).toBeCloseTo(capture.probability, 4);
      expect(Number(record['p(dim)']) + Number(record['p(bright)'])).toBeCloseTo(1, 5);
      expect(JSON.parse(record.preprocessing!)).toMatchObject({ resize: 'stretch' });
    }
    const reviewed = records.find((r) => r.file_name === 'well-150.png')!;
    expect(reviewed).toMatchObject({ final_label: 'dim', model_class: 'bright', review_note: 'edge, "borderline"' });
    expect(Number.isNaN(Date.parse(reviewed.reviewed_at!))).toBe(false);
    expect(records.find((r) => r.file_name === 'well-20.png')).toMatchObject({
      final_label: 'dim',
      reviewer: '',
      review_note: '',
      reviewed_at: '',
    });
  });

  it('writes rows in the order History shows and times in the viewer\'s zone', async () => {
    const sort = { key: 'fileName', direction: 'desc' } as const;
    const shown = (await app.call('history.query', { sort })).rows.map((r) => r.fileName);
    const { csv } = await app.call('history.exportCsv', { sort, timeZone: 'Asia/Kolkata' });
    const [header, ...records] = csv.trimEnd().split('\n').map(parseLine);
    expect(records.map((r) => r[0])).toEqual(shown);
    const at = records[0]![header!.indexOf('classified_at')]!;
    expect(at).toMatch(/\+05:30$/);
    const row = (await app.call('history.query', { sort, limit: 1 })).rows[0]!;
    expect(Date.parse(at)).toBe(Math.floor(Date.parse(row.classifiedAt!) / 1000) * 1000);
  });

  it('exports only the filtered set', async () => {
    const { csv, rows } = await app.call('history.exportCsv', { filter: { folderId: otherFolderId } });
    expect(rows).toBe(1);
    const lines = csv.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('Plate-100.png');
    const empty = await app.call('history.exportCsv', { filter: { className: 'nothing' } });
    expect(empty.rows).toBe(0);
    expect(empty.csv.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('a file that could not be classified', () => {
  let failed: CaptureRow;

  beforeAll(async () => {
    writeFileSync(path.join(world.inbox, 'notes.png'), 'Not a picture: notes saved under an image name.\n');
    failed = await app.event(
      'capture.updated',
      (row) => row.fileName === 'notes.png' && row.state === 'failed',
    );
  });

  it('is listed with its reason under status failed, and in no list of results', async () => {
    const page = await app.call('history.query', { filter: { status: 'failed' } });
    expect(page.total).toBe(1);
    const inbox = (await app.call('folders.list', {})).find((f) => f.isInbox)!;
    expect(page.rows[0]).toMatchObject({
      fileName: 'notes.png',
      state: 'failed',
      failureReason: expect.stringMatching(/^This file is not an image MetaScope knows/),
      folderId: inbox.id,
      class: null,
    });
    // Only the filters a failure can match apply: the others would describe a result.
    expect((await app.call('history.query', { filter: { status: 'failed', search: 'NOTES' } })).total).toBe(
      1,
    );
    expect(
      (await app.call('history.query', { filter: { status: 'failed', folderId: otherFolderId } })).total,
    ).toBe(0);
    expect((await app.call('history.query', { filter: { status: 'failed', className: 'dim' } })).total).toBe(
      1,
    );
    expect((await app.call('history.query', {})).total).toBe(captures.size);
    expect((await app.call('history.stats', { filter: { status: 'failed' } })).classCounts).toEqual([]);
  });

  it('is exported with its reason when the filter asks for failures', async () => {
    const { csv, rows } = await app.call('history.exportCsv', { filter: { status: 'failed' } });
    expect(rows).toBe(1);
    expect(csv.split('\n')[1]).toMatch(
      /^notes\.png,.*,failed,\S+[+-]\d\d:\d\d,"This file is not an image MetaScope knows/,
    );
  });

  it('has a page with its reason, no result and nothing to review', async () => {
    const detail = await app.call('captures.get', { sha256: failed.sha256 });
    expect(detail.capture).toMatchObject({ state: 'failed', failureReason: failed.failureReason });
    expect(detail.results).toEqual([]);
    expect(await app.respond('reviews.add', { sha256: failed.sha256, label: 'dim' })).toMatchObject({
      ok: false,
      error: { code: 'invalid-request', message: expect.stringMatching(/could not be classified/) },
    });
  });
});

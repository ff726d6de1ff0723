import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wholeCapture } from './captures.js';
import type { HistoryFilter, HistorySort } from './history-query.js';
import type { PageRequest } from './history.js';
import { openStore, type Store } from './store.js';
import { addFile, info, modelA, registerModel, resultFor, sha, tempDirs } from './testing/fixtures.js';

const dirs = tempDirs();
const hour = 3_600_000;
const day = 24 * hour;
const t0 = Date.UTC(2024, 0, 10); // midnight UTC
const modelB = { id: 'nuclei', version: '2.0.0', sha256: 'b'.repeat(64) };

let store: Store;
let inbox: number;
let scope2: number;

/**
 * Five results and one capture still queued:
 * | # | paths                                              | model  | class    | p    | time        | reviews            |
 * | 1 | /lab/inbox/Alpha.tif                               | cells  | infected | 0.95 | day 0 09:00 |                    |
 * | 2 | /lab/inbox/beta.tif                                | cells  | healthy  | 0.60 | day 0 15:00 | healthy            |
 * | 3 | /lab/scope2/Gamma_1%.tif, /lab/inbox/copy/gamma.tif | cells  | infected | 0.51 | day 1 10:00 |                    |
 * | 4 | /cli/delta.tif                                     | nuclei | mitotic  | 0.80 | day 2 08:00 | interphase, mitotic |
 * | 5 | /lab/scope2/epsilon.tif                            | cells  | healthy  | 0.99 | day 2 20:00 |                    |
 */
beforeAll(() => {
  store = openStore(path.join(dirs.make(), 'metascope.db'));
  registerModel(store, modelA);
  store.models.register({
    ...modelB,
    name: 'Nuclei',
    classes: ['interphase', 'mitotic'],
    folder: '/models/nuclei',
  });
  inbox = store.folders.add('/lab/inbox').id;
  scope2 = store.folders.add('/lab/scope2').id;
  addFile(store, '/lab/inbox/Alpha.tif', sha(1), inbox);
  addFile(store, '/lab/inbox/beta.tif', sha(2), inbox);
  addFile(store, '/lab/scope2/Gamma_1%.tif', sha(3), scope2);
  addFile(store, '/lab/inbox/copy/gamma.tif', sha(3), inbox);
  addFile(store, '/cli/delta.tif', sha(4));
  addFile(store, '/lab/scope2/epsilon.tif', sha(5), scope2);
  store.captures.claimNext(5);
  addFile(store, '/lab/inbox/waiting.tif', sha(6), inbox);
  const done = (n: number, className: string, probability: number, at: number) =>
    store.captures.saveOutcomes([resultFor(sha(n), { className, probability, classifiedAt: t0 + at })], []);
  done(1, 'infected', 0.95, 9 * hour);
  done(2, 'healthy', 0.6, 15 * hour);
  done(3, 'infected', 0.51, day + 10 * hour);
  const mitotic = resultFor(sha(4), {
    model: modelB,
    className: 'mitotic',
    probability: 0.8,
    probabilities: { interphase: 0.2, mitotic: 0.8 },
    classifiedAt: t0 + 2 * day + 8 * hour,
  });
  store.captures.saveOutcomes([mitotic], []);
  done(5, 'healthy', 0.99, 2 * day + 20 * hour);
  store.reviews.add({ sha256: sha(2), label: 'healthy' });
  store.reviews.add({ sha256: sha(4), label: 'interphase' });
  store.reviews.add({ sha256: sha(4), label: 'mitotic', note: 'metaphase plate visible', reviewer: 'ana' });
});
afterAll(() => {
  store.close();
  dirs.cleanup();
});

const all: PageRequest = { limit: 100, offset: 0 };
const newest: HistorySort = { key: 'time', direction: 'desc' };
const number = (row: { sha256: string }) => parseInt(row.sha256, 16);
/** The test numbers of all captures matching `filter`, in order. */
const numbers = (filter: HistoryFilter, sort: HistorySort = newest) => {
  const { rows, total } = store.history.page(filter, sort, all);
  expect(total).toBe(rows.length);
  return rows.map(number);
};

describe('history page', () => {
  it('returns every column of a result with its capture, paths, folder and latest review', () => {
    const { rows, total } = store.history.page({}, newest, all);
    expect(total).toBe(5);
    const byNumber = new Map(rows.map((r) => [number(r), r]));
    expect(byNumber.get(3)).toEqual({
      resultId: expect.any(Number),
      sha256: sha(3),
      fileName: 'Gamma_1%.tif',
      paths: ['/lab/scope2/Gamma_1%.tif', '/lab/inbox/copy/gamma.tif'],
      folderPath: '/lab/scope2',
      info,
      model: modelA,
      probabilities: { healthy: 0.49, infected: 0.51 },
      className: 'infected',
      finalLabel: 'infected',
      probability: 0.51,
      provider: 'cpu',
      preprocessing: { resize: 'stretch', intensity: { mode: 'bit-depth' } },
      appVersion: '0.1.0',
      durationMs: 12.5,
      classifiedAt: t0 + day + 10 * hour,
      ...wholeCapture,
      review: null,
    });
    expect(byNumber.get(4)).toMatchObject({ folderPath: null, model: modelB });
    expect(byNumber.get(4)?.review).toMatchObject({
      label: 'mitotic',
      note: 'metaphase plate visible',
      reviewer: 'ana',
    });
  });

  it('lists the results of one capture, newest first', () => {
    const own = openStore(path.join(dirs.make(), 'metascope.db'));
    registerModel(own, modelA);
    own.models.register({
      ...modelB,
      name: 'Nuclei',
      classes: ['interphase', 'mitotic'],
      folder: '/models/nuclei',
    });
    addFile(own, '/in/a.tif', sha(1));
    addFile(own, '/in/b.tif', sha(2));
    own.captures.claimNext(1);
    own.captures.saveOutcomes([resultFor(sha(1), { classifiedAt: t0 })], []);
    own.captures.saveOutcomes(
      [resultFor(sha(1), { model: modelB, className: 'mitotic', classifiedAt: t0 + hour })],
      [],
    );
    expect(own.history.forCapture(sha(1)).map((r) => [r.model.id, r.className, r.paths])).toEqual([
      ['nuclei', 'mitotic', ['/in/a.tif']],
      ['cells', 'infected', ['/in/a.tif']],
    ]);
    expect(own.history.forCapture(sha(2))).toEqual([]);
    own.close();
  });

  it('pages with a stable total', () => {
    const { rows, total } = store.history.page({}, newest, { limit: 2, offset: 2 });
    expect(total).toBe(5);
    expect(rows.map(number)).toEqual([3, 2]);
  });

  it.each<[string, HistoryFilter, number[]]>([
    ['nothing', {}, [5, 4, 3, 2, 1]],
    ['a time range (from inclusive, to exclusive)', { from: t0 + day, to: t0 + day + 10 * hour + 1 }, [3]],
    ['a time range ending where a result sits', { to: t0 + 9 * hour }, []],
    ['a class', { className: 'healthy' }, [5, 2]],
    ['a model', { modelId: 'nuclei' }, [4]],
    ['a probability range (inclusive)', { minProbability: 0.6, maxProbability: 0.95 }, [4, 2, 1]],
    ['reviewed', { reviewed: true }, [4, 2]],
    ['not reviewed', { reviewed: false }, [5, 3, 1]],
    ['a file name in any case', { search: 'GAMMA' }, [3]],
    ['a part of a second path', { search: 'copy/' }, [3]],
    ['a literal %', { search: 'a_1%' }, [3]],
    ['a % that is not in any path', { search: 'a%' }, []],
    ['a search too short for the index, in any case', { search: 'AL' }, [1]],
    ['a literal _', { search: '_' }, [3]],
    ['a quote, matched as text', { search: 'a"1' }, []],
    ['an empty search', { search: '' }, [5, 4, 3, 2, 1]],
  ])('filters by %s', (_, filter, expected) => {
    expect(numbers(filter)).toEqual(expected);
  });

  // Folder ids exist only once the data is built, after the tables above are read.
  it("filters by folder, through any of the capture's paths, and combines filters", () => {
    expect(numbers({ folderId: inbox })).toEqual([3, 2, 1]);
    expect(numbers({ folderId: scope2 })).toEqual([5, 3]);
    expect(numbers({ className: 'infected', folderId: inbox, maxProbability: 0.9 })).toEqual([3]);
  });

  it.each<[HistorySort['key'], number[]]>([
    ['time', [1, 2, 3, 4, 5]],
    ['probability', [3, 2, 4, 1, 5]],
    ['fileName', [1, 2, 4, 5, 3]], // Alpha, beta, delta, epsilon, Gamma: case ignored
    ['class', [2, 5, 1, 3, 4]], // healthy, infected, mitotic; by time within a class
  ])('sorts by %s both ways', (key, ascending) => {
    expect(numbers({}, { key, direction: 'asc' })).toEqual(ascending);
    expect(numbers({}, { key, direction: 'desc' })).toEqual([...ascending].reverse());
  });

  it('sorts and pages a filtered result', () => {
    const { rows, total } = store.history.page(
      { folderId: inbox },
      { key: 'fileName', direction: 'desc' },
      { limit: 2, offset: 0 },
    );
    expect(total).toBe(3);
    expect(rows.map(number)).toEqual([3, 2]);
  });
});

describe('history charts and queues', () => {
  it('counts classes per day, in the viewer time zone', () => {
    expect(store.history.classCounts({}, 'day', 'UTC')).toEqual([
      { start: t0, className: 'healthy', count: 1 },
      { start: t0, className: 'infected', count: 1 },
      { start: t0 + day, className: 'infected', count: 1 },
      { start: t0 + 2 * day, className: 'healthy', count: 1 },
      { start: t0 + 2 * day, className: 'mitotic', count: 1 },
    ]);
    // Brisbane, UTC+10 all year: 15:00 UTC on day 0 is already day 1 there, 20:00 UTC on day 2 is day 3.
    const local = (d: number) => t0 + d * day - 10 * hour;
    expect(store.history.classCounts({ modelId: 'cells' }, 'day', 'Australia/Brisbane')).toEqual([
      { start: local(0), className: 'infected', count: 1 },
      { start: local(1), className: 'healthy', count: 1 },
      { start: local(1), className: 'infected', count: 1 },
      { start: local(3), className: 'healthy', count: 1 },
    ]);
  });

  it('counts classes per hour for a filter', () => {
    expect(store.history.classCounts({ className: 'infected' }, 'hour', 'UTC')).toEqual([
      { start: t0 + 9 * hour, className: 'infected', count: 1 },
      { start: t0 + day + 10 * hour, className: 'infected', count: 1 },
    ]);
  });

  it('bins probabilities, 1 itself in the last bin', () => {
    const bins = new Array<number>(20).fill(0);
    bins[10] = 1; // 0.51
    bins[12] = 1; // 0.60
    bins[16] = 1; // 0.80
    bins[19] = 2; // 0.95, 0.99
    expect(store.history.histogram({})).toEqual(bins);
    expect(store.history.histogram({ className: 'healthy' }, 4)).toEqual([0, 0, 1, 1]);
  });

  it('queues unreviewed results least confident first', () => {
    const { rows, total } = store.history.reviewQueue({}, all);
    expect(total).toBe(3);
    expect(rows.map((r) => [number(r), r.probability])).toEqual([
      [3, 0.51],
      [1, 0.95],
      [5, 0.99],
    ]);
    expect(store.history.reviewQueue({ className: 'healthy' }, all).rows.map((r) => r.sha256)).toEqual([
      sha(5),
    ]);
  });

  it('exports every matching row, oldest first, across chunks', () => {
    const exported = [...store.history.export({}, undefined, 2)];
    expect(exported.map(number)).toEqual([1, 2, 3, 4, 5]);
    const page = store.history.page({}, { key: 'time', direction: 'asc' }, all).rows;
    expect(exported).toEqual(page);
    expect(
      [...store.history.export({ className: 'infected', reviewed: false })].map((r) => r.sha256),
    ).toEqual([sha(1), sha(3)]);
  });

  it('exports in the order History shows', () => {
    const byName = { key: 'fileName', direction: 'desc' } as const;
    expect([...store.history.export({}, byName, 2)].map((r) => r.fileName)).toEqual(
      store.history.page({}, byName, all).rows.map((r) => r.fileName),
    );
    expect([...store.history.export({}, byName)].map(number)).not.toEqual([1, 2, 3, 4, 5]);
  });

  it('lets the engine write while an export is being read', () => {
    const rows = store.history.export({}, undefined, 1);
    rows.next();
    store.reviews.add({ sha256: sha(5), label: 'healthy' });
    expect([...rows]).toHaveLength(4);
  });
});

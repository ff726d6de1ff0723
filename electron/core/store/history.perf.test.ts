// 100,000 results: checks that every history page walks an index in its sort order (or, for a
// search, reads its few matches first) and prints timings. It never asserts on time: machines
// differ, plans do not.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase } from './db.js';
import { pageSql, type HistoryFilter, type HistorySort } from './history-query.js';
import { openStore, type Store } from './store.js';
import { tempDirs } from './testing/fixtures.js';
import { fillSyntheticHistory, syntheticStart } from './testing/synthetic-history.js';

const dirs = tempDirs();
const size = 100_000;
const t0 = syntheticStart;
const hour = 3_600_000;
const day = 24 * hour;
let store: Store;
let explain: Database.Database;

beforeAll(() => {
  const file = path.join(dirs.make(), 'metascope.db');
  const db = openDatabase(file);
  const started = performance.now();
  fillSyntheticHistory(db, size);
  closeDatabase(db);
  console.log(`filled ${size} results in ${Math.round(performance.now() - started)} ms`);
  store = openStore(file);
  explain = new Database(file, { readonly: true });
}, 300_000);
afterAll(() => {
  explain.close();
  store.close();
  dirs.cleanup();
});

const sorts: HistorySort[] = (['time', 'probability', 'fileName', 'class'] as const).flatMap((key) => [
  { key, direction: 'desc' as const },
  { key, direction: 'asc' as const },
]);
const ordered: [string, HistoryFilter][] = [
  ['no filter', {}],
  ['one week', { from: t0 + 10 * day, to: t0 + 17 * day }],
  ['one hour', { from: t0 + 10 * day, to: t0 + 10 * day + hour }],
  ['class', { className: 'unclear' }],
  ['folder', { folderId: 2 }],
  ['model', { modelId: 'nuclei' }],
  ['probability 0.4–0.6', { minProbability: 0.4, maxProbability: 0.6 }],
  ['reviewed', { reviewed: true }],
  ['not reviewed', { reviewed: false }],
  ['class + folder + probability', { className: 'infected', folderId: 3, minProbability: 0.9 }],
];
const searches: [string, HistoryFilter][] = [
  ['search, 36 paths', { search: 'slide_0123' }],
  ['search, two letters', { search: 'E_' }],
  ['search matching every path', { search: '.tif' }],
];

/** Median and 95th percentile of `runs` timed calls, in ms. */
function time(fn: () => unknown, runs = 11): { p50: number; p95: number } {
  fn();
  const ms = Array.from({ length: runs }, () => {
    const start = performance.now();
    fn();
    return performance.now() - start;
  }).sort((a, b) => a - b);
  const at = (q: number) => Math.round(ms[Math.min(runs - 1, Math.floor(q * runs))]! * 10) / 10;
  return { p50: at(0.5), p95: at(0.95) };
}

function plan(filter: HistoryFilter, sort: HistorySort): string {
  const { ids, params } = pageSql(filter, sort);
  const rows = explain.prepare(`EXPLAIN QUERY PLAN ${ids}`).all({ ...params, limit: 50, offset: 0 }) as {
    detail: string;
  }[];
  return rows.map((r) => r.detail).join('\n');
}

const cases = (filters: [string, HistoryFilter][]) =>
  filters.flatMap(([name, filter]) =>
    sorts.map((sort) => [`${name}, ${sort.key} ${sort.direction}`, filter, sort] as const),
  );

describe(`history at ${size.toLocaleString('en')} results`, () => {
  it.each(cases(ordered))('walks an index in sort order: %s', (_, filter, sort) => {
    const detail = plan(filter, sort);
    expect(detail).toMatch(/USING (COVERING )?INDEX (results_by_\w+|captures_by_name)\b/);
    expect(detail).not.toContain('USE TEMP B-TREE FOR ORDER BY'); // only ties on the last term are sorted
    expect(detail).not.toMatch(/SCAN r$|SCAN r\n/m); // never a read of the whole results table
  });

  it('finds a search through the trigram index, or reads paths when it is too short', () => {
    expect(plan(searches[0]![1], sorts[0]!)).toContain('VIRTUAL TABLE INDEX 0:M');
    expect(plan(searches[1]![1], sorts[0]!)).toMatch(/SCAN capture_files/);
  });

  it('prints page timings for every filter and sort', () => {
    const lines: string[] = [];
    const worst = { ordered: 0, searches: 0 };
    for (const [group, filters] of [
      ['ordered', ordered],
      ['searches', searches],
    ] as const) {
      for (const [name, filter] of filters) {
        const times = sorts.map((sort) =>
          time(() => store.history.page(filter, sort, { limit: 50, offset: 0 })),
        );
        const p50 = Math.max(...times.map((t) => t.p50));
        const p95 = Math.max(...times.map((t) => t.p95));
        worst[group] = Math.max(worst[group], p95);
        lines.push(`${name.padEnd(30)} worst of 8 sorts: p50 ${p50} ms, p95 ${p95} ms`);
      }
    }
    const deep = time(() =>
      store.history.page({}, { key: 'time', direction: 'desc' }, { limit: 50, offset: 50_000 }),
    );
    lines.push(
      `${'no filter, offset 50,000'.padEnd(30)} time desc:        p50 ${deep.p50} ms, p95 ${deep.p95} ms`,
    );
    console.log(
      `history pages of 50 rows with their total:\n${lines.join('\n')}\n` +
        `worst p95 without a search: ${worst.ordered} ms; with one: ${worst.searches} ms`,
    );
    expect(store.history.page({}, sorts[0]!, { limit: 50, offset: 0 }).total).toBe(size);
  }, 300_000);

  it('prints chart, review-queue and export timings', () => {
    const report = {
      'class counts per day': time(() => store.history.classCounts({}, 'day', 'UTC'), 5),
      'class counts per hour, one class': time(
        () => store.history.classCounts({ className: 'unclear' }, 'hour', 'UTC'),
        5,
      ),
      'histogram, 20 bins': time(() => store.history.histogram({}), 5),
      'review queue page': time(() => store.history.reviewQueue({}, { limit: 50, offset: 0 }), 5),
      'export all rows': time(() => [...store.history.export({})].length, 1),
    };
    console.log(
      Object.entries(report)
        .map(([name, t]) => `${name.padEnd(34)} p50 ${t.p50} ms, p95 ${t.p95} ms`)
        .join('\n'),
    );
    expect(store.history.histogram({}).reduce((a, b) => a + b, 0)).toBe(size);
  }, 300_000);
});

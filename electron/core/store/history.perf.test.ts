// 100,000 results: checks that every history sort and filter is served by an index and prints
// timings. It never asserts on time: machines differ, plans do not.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase } from './db.js';
import { pageSql, type HistoryFilter, type HistorySort } from './history-query.js';
import { openStore, type Store } from './store.js';
import { tempDirs } from './test-support.js';
import { fillSyntheticHistory, syntheticStart } from './testing/synthetic-history.js';

const dirs = tempDirs();
const size = 100_000;
const t0 = syntheticStart;
const day = 86_400_000;
let file: string;
let store: Store;

beforeAll(() => {
  file = path.join(dirs.make(), 'metascope.db');
  const db = openDatabase(file);
  const started = performance.now();
  fillSyntheticHistory(db, size);
  closeDatabase(db);
  console.log(`filled ${size} results in ${Math.round(performance.now() - started)} ms`);
  store = openStore(file);
}, 120_000);
afterAll(() => {
  store.close();
  dirs.cleanup();
});

const sorts: HistorySort[] = (['time', 'probability', 'fileName', 'class'] as const).flatMap((key) => [
  { key, direction: 'desc' as const },
  { key, direction: 'asc' as const },
]);
const filters: [string, HistoryFilter][] = [
  ['no filter', {}],
  ['one week', { from: t0 + 10 * day, to: t0 + 17 * day }],
  ['class', { className: 'unclear' }],
  ['folder', { folderId: 2 }],
  ['model', { modelId: 'nuclei' }],
  ['probability 0.4–0.6', { minProbability: 0.4, maxProbability: 0.6 }],
  ['reviewed', { reviewed: true }],
  ['not reviewed', { reviewed: false }],
  ['file name search', { search: 'slide_0123' }],
  ['class + folder + probability', { className: 'infected', folderId: 3, minProbability: 0.9 }],
];

/** Median and 95th percentile of `runs` timed calls, in ms. */
function time(fn: () => unknown, runs = 21): { p50: number; p95: number } {
  fn();
  const ms = Array.from({ length: runs }, () => {
    const start = performance.now();
    fn();
    return performance.now() - start;
  }).sort((a, b) => a - b);
  const at = (q: number) => Math.round(ms[Math.min(runs - 1, Math.floor(q * runs))]! * 10) / 10;
  return { p50: at(0.5), p95: at(0.95) };
}

function plan(sql: string, params: object): string {
  const db = openDatabase(file);
  try {
    const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ ...params, limit: 50, offset: 0 }) as { detail: string }[];
    return rows.map((r) => r.detail).join('\n');
  } finally {
    db.close();
  }
}

describe(`history at ${size.toLocaleString('en')} results`, () => {
  it.each(sorts)('reads a sorted page ($key $direction) in index order, without sorting the table', (sort) => {
    const detail = plan(pageSql({}, sort).ids, {});
    expect(detail).toMatch(/USING (COVERING )?INDEX (results_by|captures_by_name)/);
    expect(detail).not.toContain('USE TEMP B-TREE FOR ORDER BY');
    expect(detail).not.toMatch(/SCAN r\b(?! USING)/);
  });

  it.each(filters.slice(1))('narrows "%s" with an index', (_, filter) => {
    const { ids, params } = pageSql(filter, { key: 'time', direction: 'desc' });
    expect(plan(ids, params)).toMatch(/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY|LIST SUBQUERY/);
  });

  it('prints page timings for every filter and sort', () => {
    const lines: string[] = [];
    let worst = 0;
    for (const [name, filter] of filters) {
      for (const sort of sorts) {
        const { p50, p95 } = time(() => store.history.page(filter, sort, { limit: 50, offset: 0 }));
        worst = Math.max(worst, p95);
        lines.push(`${name.padEnd(30)} ${`${sort.key} ${sort.direction}`.padEnd(16)} p50 ${p50} ms  p95 ${p95} ms`);
      }
    }
    const deep = time(() => store.history.page({}, { key: 'time', direction: 'desc' }, { limit: 50, offset: 50_000 }));
    lines.push(`page at offset 50,000 (time desc)           p50 ${deep.p50} ms  p95 ${deep.p95} ms`);
    console.log(`history pages of 50 rows, with total:\n${lines.join('\n')}\nworst p95: ${worst} ms`);
    expect(store.history.page({}, sorts[0]!, { limit: 50, offset: 0 }).total).toBe(size);
  });

  it('prints chart, review-queue and export timings', () => {
    const report = {
      'class counts per day': time(() => store.history.classCounts({}, 'day', 0), 5),
      'class counts per hour, one class': time(() => store.history.classCounts({ className: 'unclear' }, 'hour', 0), 5),
      'histogram, 20 bins': time(() => store.history.histogram({}), 5),
      'review queue page': time(() => store.history.reviewQueue({}, { limit: 50, offset: 0 }), 5),
      'export all rows': time(() => [...store.history.export({})].length, 1),
    };
    console.log(Object.entries(report).map(([name, t]) => `${name.padEnd(34)} p50 ${t.p50} ms  p95 ${t.p95} ms`).join('\n'));
    expect(store.history.histogram({}).reduce((a, b) => a + b, 0)).toBe(size);
  });
});

// 100,000 results in a facility's PostgreSQL: checks that the history pages read an index in their
// sort order (never the whole results table) and prints timings, as store/history.perf.test.ts does
// for SQLite. It never asserts on time: machines differ, plans do not. `npm run bench` reports them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FacilityDatabase } from '../facility/database.js';
import { initialisedFacility } from '../facility/testing/facility.js';
import { noPostgresReason, postgresBin, startTestPostgres, type TestPostgres } from '../facility/testing/postgres.js';
import type { HistorySort } from '../store/history-query.js';
import { syntheticStart } from '../store/testing/synthetic-history.js';
import type { HistoryStore, SharedFilter } from './history-store.js';
import { postgresHistory } from './postgres.js';
import { facilityPageSql } from './postgres-query.js';
import { fillSyntheticFacility } from './testing/synthetic-facility.js';
import { timings } from './testing/timings.js';

const bin = postgresBin();
if (!bin) console.warn(noPostgresReason);
const size = 100_000;
const t0 = syntheticStart;
const hour = 3_600_000;
const day = 24 * hour;

const sorts: HistorySort[] = (['time', 'probability', 'fileName', 'class'] as const).flatMap((key) => [
  { key, direction: 'desc' as const },
  { key, direction: 'asc' as const },
]);
const filters: [string, SharedFilter][] = [
  ['no filter', {}],
  ['one week', { from: t0 + 10 * day, to: t0 + 17 * day }],
  ['one hour', { from: t0 + 10 * day, to: t0 + 10 * day + hour }],
  ['class', { className: 'unclear' }],
  ['model', { modelId: 'nuclei' }],
  ['probability 0.4–0.6', { minProbability: 0.4, maxProbability: 0.6 }],
  ['reviewed', { reviewed: true }],
  ['not reviewed', { reviewed: false }],
  ['workstation', { workstation: 'bench-2' }],
  ['microscope + class', { microscope: 'Zeiss', className: 'infected' }],
  ['search, 36 paths', { search: 'slide_0123' }],
  ['search matching every path', { search: '.tif' }],
];

describe.skipIf(!bin)(`the facility history at ${size.toLocaleString('en')} results`, () => {
  let server: TestPostgres;
  let database: FacilityDatabase;
  let history: HistoryStore;
  beforeAll(async () => {
    server = await startTestPostgres();
    database = await initialisedFacility(server, { applicationName: 'perf' });
    const started = performance.now();
    await database.withClient((client) => fillSyntheticFacility(client, size));
    console.log(`filled ${size} facility results in ${Math.round(performance.now() - started)} ms`);
    history = postgresHistory(database.pool);
  }, 300_000);
  afterAll(async () => {
    await database?.close();
    await server?.stop();
  });

  const plan = async (filter: SharedFilter, sort: HistorySort) => {
    const { ids } = facilityPageSql(filter, sort, 50, 0);
    const rows = await database.pool.query(`EXPLAIN ${ids.text}`, ids.values);
    return rows.rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n');
  };

  it('walks an index in sort order for every sort, unfiltered and by the filters its index leads with', async () => {
    const served: [SharedFilter, HistorySort][] = [
      ...sorts.map((sort): [SharedFilter, HistorySort] => [{}, sort]),
      [{ from: t0 + 10 * day, to: t0 + 17 * day }, { key: 'time', direction: 'desc' }],
      [{ className: 'unclear' }, { key: 'class', direction: 'asc' }],
      [{ reviewed: false }, { key: 'review', direction: 'asc' }],
    ];
    for (const [filter, sort] of served) {
      const detail = await plan(filter, sort);
      expect(detail, `${JSON.stringify(filter)} ${sort.key} ${sort.direction}\n${detail}`).toMatch(
        /Index (Only )?Scan( Backward)? using (results_by_\w+|captures_by_name)/,
      );
      expect(detail).not.toMatch(/Seq Scan on results/);
    }
  });

  it('prints page, chart and review-queue timings', async () => {
    const lines: string[] = [];
    let worst = 0;
    for (const [name, filter] of filters) {
      const times = [];
      for (const sort of sorts) times.push(await timings(() => history.page(filter, sort, { limit: 50, offset: 0 })));
      const p50 = Math.max(...times.map((t) => t.p50));
      const p95 = Math.max(...times.map((t) => t.p95));
      if (!filter.search) worst = Math.max(worst, p95);
      lines.push(`${name.padEnd(30)} worst of 8 sorts: p50 ${p50} ms, p95 ${p95} ms`);
    }
    const report = {
      'class counts per day': await timings(() => history.classCounts({}, 'day', 'UTC'), 5),
      'histogram, 20 bins': await timings(() => history.histogram({}, 20), 5),
      'review queue page': await timings(() => history.reviewQueue({}, { limit: 50, offset: 0 }), 5),
    };
    for (const [name, t] of Object.entries(report)) lines.push(`${name.padEnd(30)} p50 ${t.p50} ms, p95 ${t.p95} ms`);
    console.log(`facility history pages of 50 rows with their total:\n${lines.join('\n')}\nworst p95 without a search: ${worst} ms`);
    expect((await history.page({}, sorts[0]!, { limit: 50, offset: 0 })).total).toBe(size);
    expect((await history.histogram({}, 20)).reduce((a, b) => a + b, 0)).toBe(size);
  }, 300_000);
});

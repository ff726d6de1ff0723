/**
 * The history through its one interface, on both back ends, at 100,000 results (not part of `npm test`):
 *
 *   npx tsx bench/measure/facility-history.ts [--results 100000] [--json]
 *
 * The same mix of pages as the store bench (bench/measure/store.ts: filter + sort + a page of 100 with
 * its total, folder swapped for workstation in the facility), then the charts' class counts per day,
 * each p50/p95 over 10 rounds after one to warm up: a workstation's SQLite (synthetic-history) and a
 * facility's PostgreSQL on a throw-away cluster on this machine (synthetic-facility).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initialisedFacility } from '../../electron/core/facility/testing/facility.js';
import { startTestPostgres } from '../../electron/core/facility/testing/postgres.js';
import type { HistoryStore, SharedFilter } from '../../electron/core/history-store/history-store.js';
import { postgresHistory } from '../../electron/core/history-store/postgres.js';
import { sqliteHistory } from '../../electron/core/history-store/sqlite.js';
import { fillSyntheticFacility } from '../../electron/core/history-store/testing/synthetic-facility.js';
import type { HistorySort } from '../../electron/core/store/history-query.js';
import { closeDatabase, openDatabase } from '../../electron/core/store/db.js';
import { openStore } from '../../electron/core/store/store.js';
import { fillSyntheticHistory, syntheticStart } from '../../electron/core/store/testing/synthetic-history.js';
import { percentile } from './stats.js';

const day = 86_400_000;
const arg = (name: string) => process.argv[process.argv.indexOf(name) + 1];
const results = process.argv.includes('--results') ? Number(arg('--results')) : 100_000;

/** The store bench's mix; `place` narrows by folder (a workstation) or by workstation (a facility). */
const pages = (place: SharedFilter): [SharedFilter, HistorySort, number][] => [
  [{}, { key: 'time', direction: 'desc' }, 0],
  [{ className: 'infected' }, { key: 'probability', direction: 'asc' }, 5000],
  [{ ...place, minProbability: 0.4, maxProbability: 0.6 }, { key: 'time', direction: 'desc' }, 0],
  [{ from: syntheticStart + 10 * day, to: syntheticStart + 17 * day }, { key: 'fileName', direction: 'asc' }, 0],
  [{ reviewed: false }, { key: 'class', direction: 'desc' }, 20_000],
  [{ search: 'slide_01' }, { key: 'time', direction: 'desc' }, 0],
];

async function timed(calls: (() => Promise<unknown>)[], rounds = 10) {
  for (const call of calls) await call();
  const ms: number[] = [];
  for (let round = 0; round < rounds; round++)
    for (const call of calls) {
      const start = performance.now();
      await call();
      ms.push(performance.now() - start);
    }
  return { p50: percentile(ms, 50), p95: percentile(ms, 95) };
}

async function measure(history: HistoryStore, place: SharedFilter) {
  return {
    page: await timed(pages(place).map(([filter, sort, offset]) => () => history.page(filter, sort, { limit: 100, offset }))),
    classCountsPerDay: await timed([() => history.classCounts({}, 'day', 'UTC')], 5),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'metascope-history-bench-'));
  const server = await startTestPostgres();
  try {
    const file = path.join(dir, 'history.db');
    const db = openDatabase(file);
    fillSyntheticHistory(db, results);
    closeDatabase(db);
    const store = openStore(file);
    const sqlite = await measure(sqliteHistory(store), { folderId: 2 });
    store.close();

    const database = await initialisedFacility(server, { applicationName: 'bench' });
    await database.withClient((client) => fillSyntheticFacility(client, results));
    const postgres = await measure(postgresHistory(database.pool), { workstation: 'bench-2' });
    await database.close();

    const report = { results, machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}`, sqlite, postgres };
    if (process.argv.includes('--json')) return void process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    const f = (t: { p50: number; p95: number }) => `p50 ${t.p50.toFixed(1)} ms, p95 ${t.p95.toFixed(1)} ms`;
    console.log(`History at ${results.toLocaleString('en')} results, through the history interface (${report.machine}):`);
    for (const [name, m] of [['SQLite (a workstation)', sqlite], ['PostgreSQL (a facility)', postgres]] as const)
      console.log(`  ${name.padEnd(24)} page ${f(m.page)}; class counts per day ${f(m.classCountsPerDay)}`);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

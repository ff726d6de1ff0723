import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { wholeCapture } from '../../electron/core/store/captures.js';
import { closeDatabase, openDatabase } from '../../electron/core/store/db.js';
import { openStore } from '../../electron/core/store/store.js';
import { fillSyntheticHistory, syntheticStart } from '../../electron/core/store/testing/synthetic-history.js';
import { percentile } from './stats.js';

const day = 86_400_000;

/**
 * The history screen's query (filter + sort + page) at 100,000 results, p50/p95 over a mix of
 * filters and sorts; and how fast results are saved the way the pipeline saves them.
 */
export async function measureStore(dir: string, results = 100_000) {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'history.db');
  const db = openDatabase(file);
  fillSyntheticHistory(db, results);
  closeDatabase(db);
  const store = openStore(file);
  const queries = [
    () => store.history.page({}, { key: 'time', direction: 'desc' }, { limit: 100, offset: 0 }),
    () => store.history.page({ className: 'infected' }, { key: 'probability', direction: 'asc' }, { limit: 100, offset: 5000 }),
    () => store.history.page({ folderId: 2, minProbability: 0.4, maxProbability: 0.6 }, { key: 'time', direction: 'desc' }, { limit: 100, offset: 0 }),
    () => store.history.page({ from: syntheticStart + 10 * day, to: syntheticStart + 17 * day }, { key: 'fileName', direction: 'asc' }, { limit: 100, offset: 0 }),
    () => store.history.page({ reviewed: false }, { key: 'class', direction: 'desc' }, { limit: 100, offset: 20_000 }),
    () => store.history.page({ search: 'slide_01' }, { key: 'time', direction: 'desc' }, { limit: 100, offset: 0 }),
  ];
  queries.forEach((q) => q());
  const times: number[] = [];
  for (let round = 0; round < 10; round++) {
    for (const query of queries) {
      const start = performance.now();
      query();
      times.push(performance.now() - start);
    }
  }
  const insertRate = measureInserts(store, 2000);
  store.close();
  return { results, pageP50: percentile(times, 50), pageP95: percentile(times, 95), insertRate };
}

/** Results saved per second through the same calls the intake makes (attach, claim, save the outcome). */
function measureInserts(store: ReturnType<typeof openStore>, count: number): number {
  const model = { id: 'bench', version: '1', sha256: 'c'.repeat(64) };
  store.models.register({ ...model, name: 'Bench', classes: ['a', 'b'], folder: '/bench' });
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const sha256 = `f${i.toString(16).padStart(63, '0')}`;
    const filePath = `/bench/inserted-${i}.tif`;
    store.files.recordSeen({ path: filePath, folderId: null, size: 1000, mtimeMs: 0 });
    store.captures.attachFile(filePath, sha256, { size: 1000, width: 224, height: 224, bitDepth: 8, channels: 1, pages: 1, format: 'jpeg' });
    store.captures.claimNext(1);
    const result = {
      ...wholeCapture,
      sha256,
      model,
      probabilities: { a: 0.3, b: 0.7 },
      className: 'b',
      probability: 0.7,
      provider: 'cpu',
      preprocessing: {},
      appVersion: 'bench',
      durationMs: 10,
      classifiedAt: Date.now(),
    };
    store.captures.saveOutcomes([result], []);
  }
  return count / ((performance.now() - start) / 1000);
}

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from './store.js';
import { addFile, registerModel, resultFor, sha, tempDirs } from './testing/fixtures.js';

const dirs = tempDirs();
let store: Store;

// Berlin's clocks went back on Sunday 25 October 2026 at 03:00 CEST; New York's a week later.
// Counted with one fixed offset, the first result falls on the wrong day in Berlin.
const times = [Date.UTC(2026, 9, 24, 22, 30), Date.UTC(2026, 9, 25, 22, 30), Date.UTC(2026, 9, 25, 23, 30)];

beforeAll(() => {
  store = openStore(path.join(dirs.make(), 'metascope.db'));
  registerModel(store);
  times.forEach((at, i) => {
    addFile(store, `/lab/inbox/${i}.tif`, sha(i + 1));
    store.captures.claimNext(1);
    store.captures.saveOutcomes([resultFor(sha(i + 1), { className: 'infected', classifiedAt: at })], []);
  });
});
afterAll(() => store.close());

describe('class counts per local day', () => {
  it('counts the days of Berlin across the October change: one of 25 hours', () => {
    expect(store.history.classCounts({}, 'day', 'Europe/Berlin')).toEqual([
      { start: Date.UTC(2026, 9, 24, 22), className: 'infected', count: 2 },
      { start: Date.UTC(2026, 9, 25, 23), className: 'infected', count: 1 },
    ]);
  });

  it('counts the days of New York, still on summer time', () => {
    expect(store.history.classCounts({}, 'day', 'America/New_York')).toEqual([
      { start: Date.UTC(2026, 9, 24, 4), className: 'infected', count: 1 },
      { start: Date.UTC(2026, 9, 25, 4), className: 'infected', count: 2 },
    ]);
  });

  it('counts per local hour too', () => {
    expect(store.history.classCounts({}, 'hour', 'Europe/Berlin').map((c) => c.count)).toEqual([1, 1, 1]);
  });
});

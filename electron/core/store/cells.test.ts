import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResultInput } from './captures.js';
import { openStore, type Store } from './store.js';
import { addFile, cellAt, fieldResult, modelA, registerModel, resultFor, sha, tempDirs } from './testing/fixtures.js';

const dirs = tempDirs();
let store: Store;
let plate: number;

beforeEach(() => {
  store = openStore(path.join(dirs.make(), 'metascope.db'));
  registerModel(store);
  plate = store.folders.add('/lab/plate-07').id;
});
afterEach(() => {
  store.close();
  dirs.cleanup();
});

function save(n: number, name: string, result: ResultInput) {
  addFile(store, `/lab/plate-07/${name}`, sha(n), plate);
  store.captures.claimNext(10);
  store.captures.saveOutcomes([result], []);
  return store.history.forCapture(sha(n))[0]!;
}

describe('cells of a field', () => {
  it('keeps each cell with its place, class and window, and the field with its summary', () => {
    const row = save(
      1,
      'A01_s1.tif',
      fieldResult(1, [cellAt(20, 'infected'), cellAt(80, 'healthy'), cellAt(140, 'infected')]),
    );
    expect(row).toMatchObject({
      analysis: 'find-cells',
      detector: { id: 'finder' },
      summary: { cells: 3, counts: { healthy: 1, infected: 2 } },
      className: 'infected',
    });
    const cells = store.cells.ofResult(row.resultId);
    expect(cells.map((c) => [c.index, c.x, c.className])).toEqual([
      [0, 20, 'infected'],
      [1, 80, 'healthy'],
      [2, 140, 'infected'],
    ]);
    expect(cells[0]).toMatchObject({
      box: { x: 10, y: 40, width: 20, height: 20 },
      crop: { edge: true, width: 224 },
    });
  });

  it('a re-run replaces the cells, but a reviewed cell keeps its row and review', () => {
    const first = save(
      1,
      'A01.tif',
      fieldResult(1, [cellAt(20, 'infected'), cellAt(80, 'healthy'), cellAt(140, 'infected')]),
    );
    const [, , third] = store.cells.ofResult(first.resultId);
    store.reviews.add({ sha256: sha(1), cellId: third!.id, label: 'not a cell' });
    store.captures.saveOutcomes([fieldResult(1, [cellAt(25, 'healthy')])], []);
    const again = store.history.forCapture(sha(1))[0]!;
    expect(again.resultId).toBe(first.resultId);
    expect(store.cells.ofResult(again.resultId).map((c) => [c.x, c.className])).toEqual([[25, 'healthy']]);
    // The reviewed cell is no longer shown, but its review still names it.
    expect(store.cells.get(third!.id)).toMatchObject({ x: 140 });
    expect(store.reviews.latestOfCells(again.resultId).size).toBe(1);
  });

  it('a review of one cell is not a review of the capture', () => {
    const row = save(1, 'A01.tif', fieldResult(1, [cellAt(20, 'infected')]));
    const [cell] = store.cells.ofResult(row.resultId);
    store.reviews.add({ sha256: sha(1), cellId: cell!.id, label: 'healthy', reviewer: 'ana' });
    expect(store.reviews.latest(sha(1))).toBeUndefined();
    expect(store.history.forCapture(sha(1))[0]!.review).toBeNull();
    expect(store.history.reviewQueue({}, { offset: 0, limit: 10 }).total).toBe(1);
    expect(store.reviews.latestOfCells(row.resultId).get(cell!.id)).toMatchObject({
      label: 'healthy',
      reviewer: 'ana',
    });
  });

  it('filters and sorts fields by the share of a class, captures classified whole last', () => {
    save(
      1,
      'A01.tif',
      fieldResult(1, [
        cellAt(1, 'infected'),
        cellAt(2, 'healthy'),
        cellAt(3, 'healthy'),
        cellAt(4, 'healthy'),
      ]),
    );
    save(2, 'A02.tif', fieldResult(2, [cellAt(1, 'infected'), cellAt(2, 'infected')]));
    save(3, 'A03.tif', fieldResult(3, []));
    save(4, 'B01.tif', resultFor(sha(4)));
    const names = (rows: { fileName: string }[]) => rows.map((r) => r.fileName);
    const page = { offset: 0, limit: 10 };
    expect(
      names(
        store.history.page(
          { fractionClass: 'infected', minFraction: 0.5 },
          { key: 'time', direction: 'desc' },
          page,
        ).rows,
      ),
    ).toEqual(['A02.tif']);
    expect(
      names(
        store.history.page(
          { fractionClass: 'infected', maxFraction: 0.3 },
          { key: 'time', direction: 'desc' },
          page,
        ).rows,
      ),
    ).toEqual(['A01.tif']);
    // A03 found no cells, B01 was classified whole: neither has a share, both come after the fields that do.
    expect(
      names(
        store.history.page({ fractionClass: 'infected' }, { key: 'fraction', direction: 'desc' }, page).rows,
      ),
    ).toEqual(['A02.tif', 'A01.tif', 'B01.tif', 'A03.tif']);
    expect(
      names(store.history.page({ analysis: 'one-cell' }, { key: 'time', direction: 'desc' }, page).rows),
    ).toEqual(['B01.tif']);
  });

  it('averages the share of each class over the fields of a day, and lists what a plate map needs', () => {
    const day = 1_700_006_400_000;
    save(1, 'A01.tif', fieldResult(1, [cellAt(1, 'infected'), cellAt(2, 'healthy')], day));
    save(2, 'A02.tif', fieldResult(2, [cellAt(1, 'infected')], day + 60_000));
    save(3, 'notes.tif', resultFor(sha(3)));
    const infected = store.history.classFractions({}, 'day', 'UTC').filter((f) => f.className === 'infected');
    expect(infected).toEqual([
      { start: expect.any(Number), className: 'infected', fraction: 0.75, fields: 2 },
    ]);
    const placed = store.history.placedResults(plate, modelA.id);
    expect(placed.map((p) => [p.fileName, p.summary?.cells ?? null]).sort()).toEqual([
      ['A01.tif', 2],
      ['A02.tif', 1],
      ['notes.tif', null],
    ]);
  });
});

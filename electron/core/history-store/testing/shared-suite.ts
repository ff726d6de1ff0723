import { describe, expect, it } from 'vitest';
import type { HistorySort } from '../../store/history-query.js';
import { cellAt, fieldResult, resultFor, sha } from '../../store/testing/fixtures.js';
import type { BackEnd, SeedCapture } from './back-ends.js';

const hour = 3_600_000;
/** Noon UTC on 1 March 2026: 13:00 in Berlin. */
export const t0 = Date.UTC(2026, 2, 1, 12);

/** File names in upper and lower case: both back ends order them regardless of (ASCII) case. */
const fileName = (i: number) => (i === 3 ? 'Zeta.tif' : i === 5 ? 'alpha.tif' : `cell_${String(i).padStart(2, '0')}.tif`);

/**
 * Ten classified captures and one that failed, two folders' worth of paths, two workstations and
 * two microscopes (which only a facility keeps), one out of the model's scope.
 */
export const seed: SeedCapture[] = [
  ...Array.from({ length: 10 }, (_, n): SeedCapture => {
    const i = n + 1;
    return {
      sha256: sha(i),
      path: `/lab/${i % 2 ? 'a' : 'b'}/${fileName(i)}`,
      workstation: i <= 6 ? 'bench-1' : 'bench-2',
      microscope: i % 3 === 0 ? 'Nikon' : 'Zeiss',
      result: resultFor(sha(i), {
        className: i % 2 ? 'healthy' : 'infected',
        probability: 0.5 + i * 0.04,
        classifiedAt: t0 + i * 5 * hour,
        scope:
          i === 4
            ? { inScope: false, score: 3.2, threshold: 2, method: 'feature-distance', reason: 'Unlike the training crops.' }
            : { inScope: true, score: 1, threshold: 2, method: 'feature-distance', reason: null },
      }),
    };
  }),
  { sha256: sha(11), path: '/lab/a/broken.tif', workstation: 'bench-2', failure: 'The file is not an image.' },
];

const names = (rows: { fileName: string }[]) => rows.map((r) => r.fileName);
const shas = (rows: { sha256: string }[]) => rows.map((r) => r.sha256);

/**
 * What every history back end must answer alike, run against each (history-store.test.ts). Each
 * test gets a fresh back end filled with `seed`.
 */
export function historyStoreSuite(label: string, open: () => Promise<BackEnd>, skip = false) {
  const filled = async () => {
    const backEnd = await open();
    await backEnd.add(seed);
    return backEnd;
  };
  const using = (name: string, test: (backEnd: BackEnd) => Promise<void>) =>
    it(name, async () => {
      const backEnd = await filled();
      try {
        await test(backEnd);
      } finally {
        await backEnd.close();
      }
    });

  describe.skipIf(skip)(`the history (${label})`, () => {
    using('pages every sort order in both directions, with no row twice and the total of all pages', async ({ history }) => {
      const orders: [HistorySort, string[]][] = [
        [{ key: 'time', direction: 'desc' }, [10, 9, 8, 7, 6, 5, 4, 3, 2, 1].map(fileName)],
        [{ key: 'probability', direction: 'asc' }, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(fileName)],
        [{ key: 'fileName', direction: 'asc' }, ['alpha.tif', ...[1, 2, 4, 6, 7, 8, 9, 10].map(fileName), 'Zeta.tif']],
        [{ key: 'class', direction: 'asc' }, [1, 3, 5, 7, 9, 2, 4, 6, 8, 10].map(fileName)],
      ];
      for (const [sort, expected] of orders) {
        const pages = [];
        for (let offset = 0; offset < 10; offset += 4) {
          const page = await history.page({}, sort, { offset, limit: 4 });
          expect(page.total).toBe(10);
          pages.push(...names(page.rows));
        }
        expect(pages, `${sort.key} ${sort.direction}`).toEqual(expected);
        const reversed = await history.page({}, { ...sort, direction: sort.direction === 'asc' ? 'desc' : 'asc' }, { offset: 0, limit: 10 });
        expect(names(reversed.rows)).toEqual([...expected].reverse());
      }
    });

    using('narrows by time, label, probability, scope and any part of a path, in any case', async ({ history }) => {
      const time: HistorySort = { key: 'time', direction: 'asc' };
      const matching = async (filter: Parameters<typeof history.page>[0]) => {
        const page = await history.page(filter, time, { offset: 0, limit: 100 });
        expect(page.total).toBe(page.rows.length);
        return names(page.rows);
      };
      expect(await matching({ from: t0 + 10 * hour, to: t0 + 25 * hour })).toEqual([2, 3, 4].map(fileName));
      expect(await matching({ className: 'infected', minProbability: 0.7 })).toEqual([6, 8, 10].map(fileName));
      expect(await matching({ maxProbability: 0.6 })).toEqual([1, 2].map(fileName));
      expect(await matching({ inScope: false })).toEqual([fileName(4)]);
      expect(await matching({ search: 'LAB/B/CELL_0' })).toEqual([2, 4, 6, 8].map(fileName));
      expect(await matching({ search: '%' })).toEqual([]);
      expect(await matching({ search: 'zeta' })).toEqual(['Zeta.tif']);
      expect(await matching({ modelId: 'no such model' })).toEqual([]);
    });

    using('counts each final label per local day, and bins the probabilities', async ({ history }) => {
      // Five-hourly from 17:00 UTC on 1 March; the seventh, at 23:00 UTC, is past midnight in Berlin.
      const counts = await history.classCounts({}, 'day', 'Europe/Berlin');
      expect(counts.map((c) => [new Date(c.start).toISOString(), c.className, c.count])).toEqual([
        ['2026-02-28T23:00:00.000Z', 'healthy', 1],
        ['2026-02-28T23:00:00.000Z', 'infected', 1],
        ['2026-03-01T23:00:00.000Z', 'healthy', 2],
        ['2026-03-01T23:00:00.000Z', 'infected', 2],
        ['2026-03-02T23:00:00.000Z', 'healthy', 2],
        ['2026-03-02T23:00:00.000Z', 'infected', 2],
      ]);
      const bins = await history.histogram({}, 10);
      expect(bins).toEqual([0, 0, 0, 0, 0, 2, 2, 3, 2, 1]);
      expect(await history.classCounts({ className: 'nothing' }, 'day', 'UTC')).toEqual([]);
    });

    using('takes reviews from anyone, settles the final label, and undoes one by a withdrawal on record', async ({ history }) => {
      const review = await history.addReview({ sha256: sha(1), label: 'infected', reviewer: 'Ada', note: 'rounded' });
      expect(review).toMatchObject({ sha256: sha(1), label: 'infected', reviewer: 'Ada', note: 'rounded', withdrawnAt: null });
      const [row] = (await history.page({ className: 'infected', reviewed: true }, { key: 'time', direction: 'asc' }, { offset: 0, limit: 10 })).rows;
      expect(row).toMatchObject({ sha256: sha(1), className: 'healthy', finalLabel: 'infected', review: { label: 'infected', reviewer: 'Ada' } });
      expect((await history.agreementByClass({})).map((a) => [a.className, a.reviewed, a.agreed])).toEqual([['healthy', 1, 0]]);
      expect(shas((await history.reviewQueue({}, { offset: 0, limit: 3 })).rows)).toEqual([sha(4), sha(2), sha(3)]);

      const withdrawn = await history.withdrawReview(review.id, 'Grace');
      expect(withdrawn).toMatchObject({ id: review.id, label: 'infected' });
      expect(withdrawn!.withdrawnAt).toEqual(expect.any(Number));
      expect(await history.withdrawReview(review.id, 'Grace')).toBeUndefined();
      const [again] = await history.forCapture(sha(1));
      expect(again).toMatchObject({ finalLabel: 'healthy', review: null });
      expect((await history.reviewsOf(sha(1))).map((r) => [r.label, r.reviewer, r.withdrawnAt !== null])).toEqual([['infected', 'Ada', true]]);
      expect(shas((await history.reviewQueue({}, { offset: 0, limit: 3 })).rows)).toEqual([sha(4), sha(1), sha(2)]);
      await expect(history.addReview({ sha256: sha(99), label: 'infected', reviewer: 'Ada' })).rejects.toThrow(/not in the/);
    });

    using('keeps a field’s cells in order, each with its own standing review', async (backEnd) => {
      const { history } = backEnd;
      const cells = [cellAt(40, 'healthy'), cellAt(90, 'infected'), cellAt(140, 'infected')];
      await backEnd.add([{ sha256: sha(12), path: '/lab/a/field.tif', result: fieldResult(12, cells, t0 + 60 * hour) }]);
      const [field] = await history.forCapture(sha(12));
      expect(field).toMatchObject({ analysis: 'find-cells', className: 'infected', summary: { cells: 3 } });
      const stored = await history.cellsOf(field!.resultId);
      expect(stored.map(({ cell }) => [cell.index, cell.className, cell.box.x, cell.crop.edge])).toEqual([
        [0, 'healthy', 30, true],
        [1, 'infected', 80, true],
        [2, 'infected', 130, true],
      ]);
      expect(await history.resultOfCell(stored[1]!.cell.id)).toBe(field!.resultId);
      await history.addReview({ sha256: sha(12), cellId: stored[1]!.cell.id, label: 'healthy', reviewer: 'Ada' });
      const reviewed = await history.cellsOf(field!.resultId);
      expect(reviewed.map(({ review }) => review?.label ?? null)).toEqual([null, 'healthy', null]);
      // A cell's review is the cell's: the field keeps its label and stays unreviewed as a whole.
      expect((await history.forCapture(sha(12)))[0]).toMatchObject({ finalLabel: 'infected', review: null });
    });

    using('says which captures can be reviewed, and exports in the order asked', async ({ history }) => {
      expect(await history.reviewableState(sha(1))).toBe('done');
      expect(await history.reviewableState(sha(11))).toBe('failed');
      expect(await history.reviewableState(sha(99))).toBe('unknown');
      const rows = [...(await history.exportRows({ className: 'healthy' }, { key: 'probability', direction: 'desc' })).rows];
      expect(names(rows)).toEqual([9, 7, 5, 3, 1].map(fileName));
      expect(rows[0]).toMatchObject({
        sha256: sha(9),
        paths: [`/lab/a/${fileName(9)}`],
        info: { width: 512, bitDepth: 16 },
        model: { id: 'cells', version: '1.0.0' },
        probabilities: { healthy: expect.any(Number), infected: expect.any(Number) },
        scope: { inScope: true, method: 'feature-distance' },
      });
      expect((await history.modelClasses()).map((m) => m.classes)).toEqual([['healthy', 'infected']]);
    });
  });
}

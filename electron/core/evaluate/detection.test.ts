import { describe, expect, it } from 'vitest';
import { countField, detectionReport, resizeLabels, type FieldCounts, type FieldTruth } from './detection.js';

/** A label map from rows of characters: '.' background, any other character a cell of that code. */
function field(name: string, rows: string[]): FieldTruth {
  const width = rows[0]!.length;
  const labels = new Uint16Array(width * rows.length);
  rows.forEach((row, y) =>
    [...row].forEach((c, x) => (labels[y * width + x] = c === '.' ? 0 : c.charCodeAt(0))),
  );
  return { name, width, height: rows.length, labels };
}

const predicted = (rows: string[]): Int32Array => Int32Array.from(field('predicted', rows).labels);

describe('countField: centres', () => {
  const truth = field('a', [
    'AA...BB', //
    'AA...BB',
    '...C...',
  ]);

  it('counts a centre inside a cell once, and further centres in it and centres on background as false', () => {
    const counts = countField(truth, {
      centres: [
        { x: 0.9, y: 1.9 }, // in A (pixel 0, 1)
        { x: 5.2, y: 0.1 }, // in B
        { x: 6.5, y: 1.5 }, // B again: a false positive
        { x: 3.5, y: 0.5 }, // background
        { x: -0.5, y: 0 }, // outside the field
        { x: Number.NaN, y: 1 },
      ],
      labels: null,
    });
    expect(counts).toEqual({ name: 'a', cells: 3, found: 6, centreTp: 2, iouTp: null });
  });

  it('takes labels of any type and any values, not only 1..n', () => {
    const labels = new Uint8Array([0, 7, 7, 0, 200, 0]);
    const counts = countField(
      { name: 'b', width: 3, height: 2, labels },
      {
        centres: [
          { x: 2, y: 0 },
          { x: 1, y: 1 },
        ],
        labels: null,
      },
    );
    expect(counts).toMatchObject({ cells: 2, centreTp: 2 });
  });

  it('says in words when a label map is the wrong size', () => {
    expect(() =>
      countField(
        { name: 'c', width: 3, height: 3, labels: new Int32Array(8) },
        { centres: [], labels: null },
      ),
    ).toThrow(/field c hold 8 values, not 3 × 3/);
    expect(() => countField(truth, { centres: [], labels: new Int32Array(3) })).toThrow(/predicted labels/);
  });
});

describe('countField: mask IoU ≥ 0.5', () => {
  const iouTp = (truthRows: string[], predictedRows: string[]) =>
    countField(field('f', truthRows), { centres: [], labels: predicted(predictedRows) }).iouTp;

  it('matches an exact mask, and one shifted past half its area no more', () => {
    expect(iouTp(['AAAA....'], ['xxxx....'])).toBe(1);
    expect(iouTp(['AAAA....'], ['.xxxx...'])).toBe(1); // IoU 3/5
    expect(iouTp(['AAAA....'], ['..xxxx..'])).toBe(0); // IoU 2/6
  });

  it('counts IoU of exactly 0.5, but one to one', () => {
    expect(iouTp(['AAAA'], ['xx..'])).toBe(1); // 2 / 4
    expect(iouTp(['AAAA'], ['xxyy'])).toBe(1); // two halves of one cell: it is matched once
    expect(iouTp(['AABB'], ['xxxx'])).toBe(1); // one mask over two half-size cells: it is used once
  });

  it('pairs many cells by their own overlaps, whatever the label values', () => {
    const truth = ['AA.BB.CC', 'AA.BB.CC'];
    expect(iouTp(truth, ['a..cd.ee', '......ee'])).toBe(1); // only C has a mask at IoU ≥ 0.5
    expect(iouTp(truth, ['zz.yy.xx', 'zz.yy.xx'])).toBe(3);
    expect(iouTp(truth, ['........', '........'])).toBe(0);
  });
});

describe('detectionReport', () => {
  const counts = (
    name: string,
    cells: number,
    found: number,
    centreTp: number,
    iouTp: number | null,
  ): FieldCounts => ({
    name,
    cells,
    found,
    centreTp,
    iouTp,
  });
  const fields = [
    counts('f1', 20, 18, 16, 14),
    counts('f2', 30, 33, 27, 25),
    counts('f3', 10, 9, 6, 5),
    counts('f4', 25, 25, 24, 22),
    counts('f5', 15, 20, 13, 11),
  ];

  it('pools the counts of all fields and gives each field its own rates', () => {
    const report = detectionReport(fields, { resamples: 200 });
    expect(report).toMatchObject({ n: 5, cells: 100, found: 105 });
    expect(report.precision.value).toBeCloseTo(86 / 105, 12);
    expect(report.recall.value).toBeCloseTo(86 / 100, 12);
    expect(report.f1.value).toBeCloseTo((2 * 86) / 205, 12);
    expect(report.iou50!.recall.value).toBeCloseTo(77 / 100, 12);
    expect(report.perField[2]).toEqual({
      ...fields[2],
      precision: 6 / 9,
      recall: 6 / 10,
      f1: 12 / 19,
      f1Iou50: 10 / 19,
    });
  });

  it('gives intervals around the point values, the same on every run', () => {
    const report = detectionReport(fields);
    const metrics = [report.precision, report.recall, report.f1, report.iou50!.precision, report.iou50!.f1];
    for (const { value, interval } of metrics) {
      expect(interval![0]).toBeLessThanOrEqual(value!);
      expect(interval![1]).toBeGreaterThanOrEqual(value!);
      expect(interval![1]).toBeGreaterThan(interval![0]);
    }
    expect(detectionReport(fields)).toEqual(report);
    expect(detectionReport(fields, { seed: 2 }).precision.interval).not.toEqual(report.precision.interval);
  });

  it('has no IoU metrics unless every field has predicted labels', () => {
    const report = detectionReport([...fields, counts('f6', 5, 5, 5, null)], { resamples: 100 });
    expect(report.iou50).toBeNull();
    expect(report.perField[5]!.f1Iou50).toBeNull();
  });

  it('leaves undefined rates null, with no interval', () => {
    const empty = detectionReport([counts('blank', 0, 0, 0, 0)], { resamples: 50 });
    expect(empty.precision).toEqual({ value: null, interval: null });
    expect(empty.f1).toEqual({ value: null, interval: null });
    const none = detectionReport([]);
    expect(none).toMatchObject({
      n: 0,
      cells: 0,
      found: 0,
      recall: { value: null, interval: null },
      perField: [],
    });
  });
});

describe('resizeLabels', () => {
  it('repeats each pixel of a half-scale map over its 2 × 2 block', () => {
    const half = Int32Array.from([1, 2, 0, 3, 3, 0]);
    expect([...resizeLabels(half, 3, 2, 6, 4)]).toEqual([
      1,
      1,
      2,
      2,
      0,
      0, //
      1,
      1,
      2,
      2,
      0,
      0,
      3,
      3,
      3,
      3,
      0,
      0,
      3,
      3,
      3,
      3,
      0,
      0,
    ]);
  });

  it('takes the pixel under each target centre for uneven factors, and keeps a same-size map', () => {
    const labels = Int32Array.from([1, 2, 3]);
    expect([...resizeLabels(labels, 3, 1, 4, 1)]).toEqual([1, 2, 2, 3]);
    expect([...resizeLabels(labels, 3, 1, 3, 1)]).toEqual([1, 2, 3]);
    expect(() => resizeLabels(labels, 2, 2, 4, 4)).toThrow(/holds 3 values, not 2 × 2/);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCells, scaleCells, type DecoderSpec, type FoundCell, type OutputMaps } from './decoders.js';

const foregroundBoundary: Extract<DecoderSpec, { decoder: 'foreground-boundary' }> = {
  decoder: 'foreground-boundary',
  foregroundChannel: 0,
  boundaryChannel: 1,
  foregroundThreshold: 0.5,
  boundaryThreshold: 0.5,
  minSeedArea: 1,
  minArea: 1,
};

/** Maps drawn by functions of the pixel (x, y), one function per channel. */
function drawMaps(
  width: number,
  height: number,
  ...draw: Array<(x: number, y: number) => number>
): OutputMaps {
  return {
    width,
    height,
    channels: draw.map((f) =>
      Float32Array.from({ length: width * height }, (_, p) => f(p % width, Math.floor(p / width))),
    ),
  };
}

const inDisc = (cx: number, cy: number, r: number) => (x: number, y: number) =>
  (x - cx) ** 2 + (y - cy) ** 2 <= r * r;

/** Maps from rows of characters: '#' cell interior, '+' foreground on a boundary, '.' background. */
function sketch(rows: string[]): OutputMaps {
  const at = (x: number, y: number) => rows[y]![x]!;
  return drawMaps(
    rows[0]!.length,
    rows.length,
    (x, y) => (at(x, y) === '.' ? 0.1 : 0.9),
    (x, y) => (at(x, y) === '+' ? 0.9 : 0.1),
  );
}

const labelRows = (labels: Int32Array, width: number): string[] =>
  Array.from({ length: labels.length / width }, (_, y) =>
    [...labels.subarray(y * width, (y + 1) * width)].join(''),
  );

describe('foreground-boundary decoder', () => {
  it('splits two touching discs along the boundary ridge between them', () => {
    const left = inDisc(12, 10, 8);
    const right = inDisc(27, 10, 8);
    const cell = (x: number, y: number) => left(x, y) || right(x, y);
    const ridge = (x: number, y: number) => cell(x, y) && Math.abs(x - 19.5) <= 1;
    const maps = drawMaps(
      40,
      21,
      (x, y) => (cell(x, y) ? 0.95 : 0.05),
      (x, y) => (ridge(x, y) ? 0.8 : 0.1),
    );

    const { cells, labels } = decodeCells(foregroundBoundary, maps);
    expect(cells).toHaveLength(2);
    expect(labels![10 * 40 + 12]).toBe(1);
    expect(labels![10 * 40 + 27]).toBe(2);
    // Every foreground pixel, the ridge included, belongs to one of them.
    const foreground = maps.channels[0]!.filter((v) => v > 0.5).length;
    expect(cells[0]!.area + cells[1]!.area).toBe(foreground);
    expect(cells[0]!.area).toBe(cells[1]!.area); // the ridge is shared fairly between mirror images
    expect(cells[0]!.x).toBeCloseTo(12, 0);
    expect(cells[0]!.y).toBeCloseTo(10, 5);
    expect(cells[1]!.x).toBeCloseTo(27, 0);
    expect(cells[0]!.box).toEqual({ x: 4, y: 2, width: 16, height: 17 });
    expect(cells[0]!.score).toBeCloseTo(0.95, 5);
    for (const c of cells) {
      expect(c.outline.length).toBeGreaterThan(8);
      expect(c.outline.length).toBeLessThanOrEqual(32);
      for (const [x, y] of c.outline) expect(labels![y * 40 + x]).toBe(cells.indexOf(c) + 1);
    }

    // Without the ridge, the same foreground is one cell.
    const noRidge = decodeCells(foregroundBoundary, {
      ...maps,
      channels: [maps.channels[0]!, new Float32Array(40 * 21)],
    });
    expect(noRidge.cells).toHaveLength(1);
  });

  it('drops a speck under minArea and leaves it background', () => {
    const maps = sketch([
      '..........', //
      '.####.....',
      '.####...#.',
      '.####.....',
      '..........',
    ]);
    const { cells, labels } = decodeCells({ ...foregroundBoundary, minArea: 2 }, maps);
    expect(cells.map((c) => c.area)).toEqual([12]);
    expect(labels![2 * 10 + 8]).toBe(0);
  });

  it('lets a seed under minSeedArea be taken over by a neighbouring cell', () => {
    const maps = sketch([
      '#####+#', //
      '#####+.',
    ]);
    const { cells, labels } = decodeCells({ ...foregroundBoundary, minSeedArea: 2 }, maps);
    expect(cells).toHaveLength(1);
    expect(labelRows(labels!, 7)).toEqual(['1111111', '1111110']);
  });

  it('finds nothing in an empty map', () => {
    const { cells, labels } = decodeCells(
      foregroundBoundary,
      drawMaps(
        16,
        8,
        () => 0,
        () => 0,
      ),
    );
    expect(cells).toEqual([]);
    expect(labels!.every((l) => l === 0)).toBe(true);
  });

  it('numbers seeds in raster order of their first pixel and breaks growth ties towards the lower label', () => {
    const maps = sketch([
      '......##', //
      '.##...##',
      '.##+..##',
      '.##.....',
    ]);
    const first = decodeCells(foregroundBoundary, maps);
    // The right-hand cell starts on the first row, so it is cell 1 though it lies further right.
    expect(labelRows(first.labels!, 8)).toEqual(['00000011', '02200011', '02220011', '02200000']);
    expect(first.cells[0]!.x).toBeCloseTo(6.5, 10);

    // A ridge pixel as near to both seeds goes to the lower label, every time.
    const tie = sketch(['###+###']);
    expect(labelRows(decodeCells(foregroundBoundary, tie).labels!, 7)).toEqual(['1111222']);
    expect(decodeCells(foregroundBoundary, maps)).toEqual(first);
  });

  it('compares with the thresholds in float32, as the Python twin does', () => {
    // float32(0.7) is just under 0.7: a pixel of exactly float32(0.7) is at the threshold, so foreground.
    const maps = drawMaps(
      3,
      1,
      () => 0.7,
      () => 0,
    );
    expect(maps.channels[0]![0]).toBeLessThan(0.7);
    expect(decodeCells({ ...foregroundBoundary, foregroundThreshold: 0.7 }, maps).cells).toHaveLength(1);
  });

  it('says in words when a channel is missing or the wrong size', () => {
    const maps = drawMaps(4, 4, () => 1);
    expect(() => decodeCells(foregroundBoundary, maps)).toThrow(/no channel 1 \(it has 1\)/);
    const short = { width: 4, height: 4, channels: [new Float32Array(16), new Float32Array(15)] };
    expect(() => decodeCells(foregroundBoundary, short)).toThrow(/holds 15 values, not 4 × 4/);
  });

  it('labels only foreground, with labels 1..n each the area of its cell (property)', () => {
    const field = fc
      .tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }))
      .chain(([width, height]) => {
        const map = fc.array(fc.float({ min: 0, max: 1, noNaN: true }), {
          minLength: width * height,
          maxLength: width * height,
        });
        return fc.record({
          width: fc.constant(width),
          height: fc.constant(height),
          foreground: map,
          boundary: map,
          foregroundThreshold: fc.double({ min: 0.05, max: 0.95, noNaN: true }),
          boundaryThreshold: fc.double({ min: 0.05, max: 0.95, noNaN: true }),
          minSeedArea: fc.integer({ min: 1, max: 4 }),
          minArea: fc.integer({ min: 1, max: 6 }),
        });
      });
    fc.assert(
      fc.property(field, (f) => {
        const spec = { ...foregroundBoundary, ...f };
        const maps = {
          width: f.width,
          height: f.height,
          channels: [Float32Array.from(f.foreground), Float32Array.from(f.boundary)],
        };
        const { cells, labels } = decodeCells(spec, maps);
        const areas = new Array<number>(cells.length + 1).fill(0);
        labels!.forEach((label, p) => {
          expect(label).toBeGreaterThanOrEqual(0);
          expect(label).toBeLessThanOrEqual(cells.length);
          if (label > 0)
            expect(maps.channels[0]![p]).toBeGreaterThanOrEqual(Math.fround(f.foregroundThreshold));
          areas[label]!++;
        });
        cells.forEach((cell, i) => {
          expect(cell.area).toBe(areas[i + 1]);
          expect(cell.area).toBeGreaterThanOrEqual(f.minArea);
          expect(cell.outline.length).toBeGreaterThan(0);
          expect(cell.outline.length).toBeLessThanOrEqual(32);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('decodes a 512 × 512 field quickly (timing logged, not asserted)', () => {
    const centres = Array.from({ length: 400 }, (_, i) => [12 + (i % 20) * 25, 12 + Math.floor(i / 20) * 25]);
    const foreground = new Float32Array(512 * 512);
    const boundary = new Float32Array(512 * 512);
    for (const [cx, cy] of centres) {
      for (let y = cy! - 10; y <= cy! + 10; y++) {
        for (let x = cx! - 10; x <= cx! + 10; x++) {
          const d = Math.hypot(x - cx!, y - cy!);
          if (d <= 10) foreground[y * 512 + x] = 0.9;
          if (d > 8 && d <= 10) boundary[y * 512 + x] = 0.7;
        }
      }
    }
    const maps = { width: 512, height: 512, channels: [foreground, boundary] };
    for (let i = 0; i < 5; i++) decodeCells(foregroundBoundary, maps); // let the JIT settle first
    const started = performance.now();
    const { cells } = decodeCells(foregroundBoundary, maps);
    console.log(
      `foreground-boundary, 512 × 512, ${cells.length} cells: ${(performance.now() - started).toFixed(1)} ms`,
    );
    expect(cells).toHaveLength(400);
  });
});

describe('centre-heatmap decoder', () => {
  const heatmap = {
    decoder: 'centre-heatmap',
    channel: 0,
    threshold: 0.5,
    minDistance: 4,
    radius: 3,
  } as const;
  const bumps = (peaks: Array<[number, number, number]>) => (x: number, y: number) =>
    Math.max(0, ...peaks.map(([px, py, v]) => v * Math.exp(-((x - px) ** 2 + (y - py) ** 2) / 2)));

  it('keeps the higher of two close peaks, and peaks far enough apart', () => {
    const maps = drawMaps(
      30,
      12,
      bumps([
        [5, 5, 0.9],
        [8, 5, 0.8],
        [20, 5, 0.7],
        [25, 9, 0.4],
      ]),
    );
    const { cells, labels } = decodeCells(heatmap, maps);
    expect(labels).toBeNull();
    expect(cells.map((c) => [c.x, c.y])).toEqual([
      [5, 5],
      [20, 5],
    ]);
    expect(cells[0]!.score).toBeCloseTo(0.9, 6);
    expect(cells[0]!.box).toEqual({ x: 2, y: 2, width: 6, height: 6 });
    expect(cells[0]!.area).toBe(Math.round(Math.PI * 9));
    expect(cells[0]!.outline).toHaveLength(16);
    expect(Math.hypot(cells[0]!.outline[3]![0] - 5, cells[0]!.outline[3]![1] - 5)).toBeCloseTo(3, 10);

    // Peaks exactly minDistance apart both stay.
    const apart = decodeCells(
      heatmap,
      drawMaps(
        30,
        12,
        bumps([
          [5, 5, 0.9],
          [9, 5, 0.8],
        ]),
      ),
    );
    expect(apart.cells).toHaveLength(2);
  });

  it('thins a flat top to its first pixel in raster order and clips boxes to the map', () => {
    const maps = drawMaps(10, 10, (x, y) => (x <= 1 && y <= 1 ? 0.8 : 0));
    const { cells } = decodeCells(heatmap, maps);
    expect(cells.map((c) => [c.x, c.y])).toEqual([[0, 0]]);
    expect(cells[0]!.box).toEqual({ x: 0, y: 0, width: 3, height: 3 });
  });

  it('suppresses by distance across a large map as a plain pairwise check would', () => {
    let state = 7;
    const random = () => (state = (state * 48271) % 2147483647) / 2147483647;
    const maps = drawMaps(64, 64, () => random());
    const spec = { ...heatmap, threshold: 0.6, minDistance: 5 };
    const heat = maps.channels[0]!;
    const at = (x: number, y: number) => (x < 0 || y < 0 || x >= 64 || y >= 64 ? -1 : heat[y * 64 + x]!);
    const candidates: Array<[number, number, number]> = [];
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        const around = [-1, 0, 1].flatMap((dy) => [-1, 0, 1].map((dx) => at(x + dx, y + dy)));
        if (at(x, y) >= Math.fround(0.6) && Math.max(...around) <= at(x, y))
          candidates.push([x, y, at(x, y)]);
      }
    }
    candidates.sort((a, b) => b[2] - a[2]); // stable: ties stay in raster order
    const kept: Array<[number, number, number]> = [];
    for (const c of candidates)
      if (kept.every((k) => Math.hypot(k[0] - c[0], k[1] - c[1]) >= 5)) kept.push(c);

    const { cells } = decodeCells(spec, maps);
    expect(cells.length).toBeGreaterThan(10);
    expect(cells.map((c) => [c.x, c.y])).toEqual(kept.map(([x, y]) => [x, y]));
  });
});

describe('scaleCells', () => {
  it('maps centres, boxes, areas and outlines to capture pixels, clipping boxes to the capture', () => {
    const cell: FoundCell = {
      x: 10.5,
      y: 3,
      box: { x: 8, y: 1, width: 5, height: 4 },
      area: 15,
      outline: [
        [8, 1],
        [12, 4],
      ],
      score: 0.7,
    };
    const [scaled] = scaleCells([cell], 2, 24, 100);
    expect(scaled).toEqual({
      x: 21,
      y: 6,
      box: { x: 16, y: 2, width: 8, height: 8 },
      area: 60,
      outline: [
        [16, 2],
        [24, 8],
      ],
      score: 0.7,
    });
    expect(cell.x).toBe(10.5); // the input is left alone
  });
});

/**
 * Decoders: a cell detector's output maps in, cells out. A detector manifest names one decoder and its
 * parameters, so the engine keeps no detector-specific code (DESIGN.md, "An analysis is data too").
 *
 * Coordinates are the maps' own: the pixel in column x, row y sits at the point (x, y), so a centroid
 * is the plain mean of its pixels' indices (no half-pixel shift). The Python twin used to tune the
 * foreground-boundary decoder counts the same way.
 */

export interface CellBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One cell found in a field, in the coordinates of the maps it was decoded from. */
export interface FoundCell {
  /** Centre: the centroid for instance decoders, the peak for heatmaps. */
  x: number;
  y: number;
  /** Integer, inclusive-exclusive. */
  box: CellBox;
  /** Pixels; for heatmaps an estimate from the decoder's radius. */
  area: number;
  /** A closed polygon of at most 32 points, for drawing. */
  outline: Array<[number, number]>;
  /** Mean foreground probability of the instance, or the peak value. */
  score: number;
}

/** Probabilities (the activation already applied), each channel row-major, width × height. */
export interface OutputMaps {
  width: number;
  height: number;
  channels: Float32Array[];
}

export type DecoderSpec =
  | {
      decoder: 'foreground-boundary';
      foregroundChannel: number;
      boundaryChannel: number;
      foregroundThreshold: number;
      boundaryThreshold: number;
      minSeedArea: number;
      minArea: number;
    }
  | { decoder: 'centre-heatmap'; channel: number; threshold: number; minDistance: number; radius: number };

export interface Decoded {
  cells: FoundCell[];
  /** Instance labels (0 = background, i+1 = cells[i]) where the decoder has them. */
  labels: Int32Array | null;
}

type ForegroundBoundary = Extract<DecoderSpec, { decoder: 'foreground-boundary' }>;
type CentreHeatmap = Extract<DecoderSpec, { decoder: 'centre-heatmap' }>;

/** Unit steps along the 32 outline rays, computed once. */
const outlineRays = Array.from({ length: 32 }, (_, k): [number, number] => [
  Math.cos((2 * Math.PI * k) / 32),
  Math.sin((2 * Math.PI * k) / 32),
]);
const heatmapOutlineSides = 16;

export function decodeCells(spec: DecoderSpec, maps: OutputMaps): Decoded {
  switch (spec.decoder) {
    case 'foreground-boundary':
      return decodeForegroundBoundary(spec, maps);
    case 'centre-heatmap':
      return { cells: decodeCentreHeatmap(spec, maps), labels: null };
  }
}

/** Maps cells from map pixels to capture pixels (multiply by `factor`, e.g. 1 / 0.5), clipping boxes to width × height. */
export function scaleCells(cells: FoundCell[], factor: number, width: number, height: number): FoundCell[] {
  const clip = (v: number, limit: number) => Math.min(limit, Math.max(0, v));
  return cells.map((cell) => {
    const x0 = clip(Math.floor(cell.box.x * factor), width);
    const y0 = clip(Math.floor(cell.box.y * factor), height);
    const x1 = clip(Math.ceil((cell.box.x + cell.box.width) * factor), width);
    const y1 = clip(Math.ceil((cell.box.y + cell.box.height) * factor), height);
    return {
      x: cell.x * factor,
      y: cell.y * factor,
      box: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 },
      area: Math.round(cell.area * factor * factor),
      outline: cell.outline.map(([x, y]): [number, number] => [x * factor, y * factor]),
      score: cell.score,
    };
  });
}

function channel(maps: OutputMaps, index: number): Float32Array {
  const values = maps.channels[index];
  if (!values) {
    throw new Error(`The detector's output has no channel ${index} (it has ${maps.channels.length}).`);
  }
  if (values.length !== maps.width * maps.height) {
    throw new Error(
      `The detector's output channel ${index} holds ${values.length} values, not ${maps.width} × ${maps.height}.`,
    );
  }
  return values;
}

/**
 * NumPy compares a float32 map with a Python float in float32; comparing with the threshold rounded
 * to float32 makes a pixel exactly at the threshold fall on the same side here as in the twin.
 */
const asFloat32 = Math.fround;

/** The 4-neighbours of pixel p in raster order (up, left, right, down): queue order, hence ties, depend on it. */
function neighbours(p: number, width: number, size: number, into: Int32Array): number {
  const x = p % width;
  let n = 0;
  if (p >= width) into[n++] = p - width;
  if (x > 0) into[n++] = p - 1;
  if (x < width - 1) into[n++] = p + 1;
  if (p + width < size) into[n++] = p + width;
  return n;
}

/** Seeds from confident interior, grown through the foreground; every step must match the Python twin. */
function decodeForegroundBoundary(spec: ForegroundBoundary, maps: OutputMaps): Decoded {
  const foreground = channel(maps, spec.foregroundChannel);
  const boundary = channel(maps, spec.boundaryChannel);
  const foregroundAt = asFloat32(spec.foregroundThreshold);
  const boundaryAt = asFloat32(spec.boundaryThreshold);
  const labels = new Int32Array(maps.width * maps.height);
  const queue = new Int32Array(labels.length);
  const interior = new Uint8Array(labels.length);
  for (let p = 0; p < labels.length; p++) {
    interior[p] = foreground[p]! >= foregroundAt && boundary[p]! < boundaryAt ? 1 : 0;
  }
  const seeds = labelSeeds(interior, spec.minSeedArea, maps.width, labels, queue);
  growSeeds(foreground, foregroundAt, seeds, maps.width, labels, queue);
  return measureInstances(foreground, seeds, spec.minArea, maps.width, maps.height, labels);
}

/**
 * Seeds are the 4-connected components of confident cell `interior`, numbered 1, 2, … in raster order
 * of their first pixel. A component under `minSeedArea` is marked -1: no seed, but still free for a
 * neighbouring seed to grow into. Returns the number of seeds; `queue` is scratch space.
 */
function labelSeeds(
  interior: Uint8Array,
  minSeedArea: number,
  width: number,
  labels: Int32Array,
  queue: Int32Array,
): number {
  const around = new Int32Array(4);
  let seeds = 0;
  for (let start = 0; start < labels.length; start++) {
    if (interior[start] === 0 || labels[start] !== 0) continue;
    // The component's pixels collect in queue[0, tail) as the flood reaches them.
    labels[start] = -1;
    queue[0] = start;
    let tail = 1;
    for (let head = 0; head < tail; head++) {
      const n = neighbours(queue[head]!, width, labels.length, around);
      for (let i = 0; i < n; i++) {
        const q = around[i]!;
        if (interior[q] === 1 && labels[q] === 0) {
          labels[q] = -1;
          queue[tail++] = q;
        }
      }
    }
    if (tail >= minSeedArea) {
      seeds++;
      for (let i = 0; i < tail; i++) labels[queue[i]!] = seeds;
    }
  }
  return seeds;
}

/**
 * Grows all seeds at once, breadth first, into unlabelled foreground. One FIFO queue starts with
 * every seed pixel, by label and then in raster order; a pixel belongs to the first label that
 * reaches it, so a ridge pixel equally far from two seeds goes to the lower label.
 */
function growSeeds(
  foreground: Float32Array,
  foregroundAt: number,
  seeds: number,
  width: number,
  labels: Int32Array,
  queue: Int32Array,
): void {
  // Counting sort of the seed pixels by label: next[l] is where label l's next pixel goes.
  const next = new Int32Array(seeds + 2);
  for (let p = 0; p < labels.length; p++) if (labels[p]! > 0) next[labels[p]! + 1]!++;
  for (let label = 2; label <= seeds + 1; label++) next[label]! += next[label - 1]!;
  let tail = next[seeds + 1]!;
  for (let p = 0; p < labels.length; p++) if (labels[p]! > 0) queue[next[labels[p]!]!++] = p;

  const around = new Int32Array(4);
  for (let head = 0; head < tail; head++) {
    const p = queue[head]!;
    const n = neighbours(p, width, labels.length, around);
    for (let i = 0; i < n; i++) {
      const q = around[i]!;
      if (labels[q]! <= 0 && foreground[q]! >= foregroundAt) {
        labels[q] = labels[p]!;
        queue[tail++] = q;
      }
    }
  }
}

/** Drops instances under `minArea`, renumbers the rest 1..n in order (in place) and describes each. */
function measureInstances(
  foreground: Float32Array,
  seeds: number,
  minArea: number,
  width: number,
  height: number,
  labels: Int32Array,
): Decoded {
  const area = new Int32Array(seeds + 1);
  const sumX = new Float64Array(seeds + 1);
  const sumY = new Float64Array(seeds + 1);
  const sumForeground = new Float64Array(seeds + 1);
  const minX = new Int32Array(seeds + 1).fill(width);
  const minY = new Int32Array(seeds + 1).fill(height);
  const maxX = new Int32Array(seeds + 1);
  const maxY = new Int32Array(seeds + 1);
  for (let y = 0, p = 0; y < height; y++) {
    for (let x = 0; x < width; x++, p++) {
      const label = labels[p]!;
      if (label <= 0) continue;
      area[label]!++;
      sumX[label]! += x;
      sumY[label]! += y;
      sumForeground[label]! += foreground[p]!;
      if (x < minX[label]!) minX[label] = x;
      if (x > maxX[label]!) maxX[label] = x;
      if (y < minY[label]!) minY[label] = y;
      if (y > maxY[label]!) maxY[label] = y;
    }
  }

  const renumbered = new Int32Array(seeds + 1);
  const cells: FoundCell[] = [];
  for (let label = 1; label <= seeds; label++) {
    const pixels = area[label]!;
    if (pixels < minArea) continue;
    renumbered[label] = cells.length + 1;
    const x = sumX[label]! / pixels;
    const y = sumY[label]! / pixels;
    const box = {
      x: minX[label]!,
      y: minY[label]!,
      width: maxX[label]! - minX[label]! + 1,
      height: maxY[label]! - minY[label]! + 1,
    };
    cells.push({
      x,
      y,
      box,
      area: pixels,
      outline: rayOutline(labels, label, width, x, y, box),
      score: sumForeground[label]! / pixels,
    });
  }
  // Unreached small seeds (-1) and dropped instances become background.
  for (let p = 0; p < labels.length; p++) labels[p] = labels[p]! > 0 ? renumbered[labels[p]!]! : 0;
  return { cells, labels };
}

/**
 * For each of 32 directions, the farthest pixel of the instance on the ray from its centre, stepping
 * 0.5 px: a cheap polygon for drawing, not a measurement. Repeated points (a tiny cell) are dropped.
 */
function rayOutline(
  labels: Int32Array,
  label: number,
  width: number,
  cx: number,
  cy: number,
  box: CellBox,
): Array<[number, number]> {
  const reach = Math.hypot(box.width, box.height);
  const points: Array<[number, number]> = [];
  for (const [dx, dy] of outlineRays) {
    let fx = -1;
    let fy = -1;
    for (let r = 0; r <= reach; r += 0.5) {
      const x = Math.round(cx + r * dx);
      const y = Math.round(cy + r * dy);
      // The box is convex and holds the centre: once the ray leaves it, it never comes back.
      if (x < box.x || y < box.y || x >= box.x + box.width || y >= box.y + box.height) break;
      if (labels[y * width + x] === label) {
        fx = x;
        fy = y;
      }
    }
    const last = points.at(-1);
    if (fx >= 0 && !(last && last[0] === fx && last[1] === fy)) points.push([fx, fy]);
  }
  const [first] = points;
  const last = points.at(-1);
  if (points.length > 1 && first![0] === last![0] && first![1] === last![1]) points.pop();
  return points;
}

/**
 * Peaks of a centre heatmap. A peak is a pixel at or above the threshold and at least as high as its
 * 8 neighbours (a flat top gives several, which the minimum distance then thins out).
 */
function decodeCentreHeatmap(spec: CentreHeatmap, maps: OutputMaps): FoundCell[] {
  const { width, height } = maps;
  const heat = channel(maps, spec.channel);
  const threshold = asFloat32(spec.threshold);
  const peaks: number[] = [];
  for (let y = 0, p = 0; y < height; y++) {
    for (let x = 0; x < width; x++, p++) {
      const value = heat[p]!;
      if (!(value >= threshold)) continue; // also skips NaN
      let highest = true;
      for (let dy = -1; dy <= 1 && highest; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          if (heat[ny * width + nx]! > value) {
            highest = false;
            break;
          }
        }
      }
      if (highest) peaks.push(p);
    }
  }
  peaks.sort((a, b) => heat[b]! - heat[a]! || a - b);
  return keepApart(peaks, width, height, spec.minDistance).map((p) =>
    heatmapCell(p % width, Math.floor(p / width), heat[p]!, spec.radius, width, height),
  );
}

/**
 * Greedy non-maximum suppression over peaks sorted highest first (ties in raster order): a peak
 * closer than `minDistance` to one already kept is dropped. Kept peaks sit in buckets of side
 * `minDistance`, so each check looks at 3 × 3 buckets instead of every kept peak.
 */
function keepApart(sorted: number[], width: number, height: number, minDistance: number): number[] {
  const side = Math.max(1, minDistance);
  const columns = Math.ceil(width / side);
  const rows = Math.ceil(height / side);
  const buckets: Array<number[] | undefined> = new Array(columns * rows);
  const kept: number[] = [];
  const tooClose = (x: number, y: number): boolean => {
    const bx = Math.floor(x / side);
    const by = Math.floor(y / side);
    for (let j = Math.max(0, by - 1); j <= Math.min(rows - 1, by + 1); j++) {
      for (let i = Math.max(0, bx - 1); i <= Math.min(columns - 1, bx + 1); i++) {
        for (const q of buckets[j * columns + i] ?? []) {
          const dx = (q % width) - x;
          const dy = Math.floor(q / width) - y;
          if (dx * dx + dy * dy < minDistance * minDistance) return true;
        }
      }
    }
    return false;
  };
  for (const p of sorted) {
    const x = p % width;
    const y = Math.floor(p / width);
    if (tooClose(x, y)) continue;
    kept.push(p);
    const bucket = Math.floor(y / side) * columns + Math.floor(x / side);
    (buckets[bucket] ??= []).push(p);
  }
  return kept;
}

/** A heatmap knows only where a cell is; its size comes from the decoder's radius. */
function heatmapCell(
  x: number,
  y: number,
  score: number,
  radius: number,
  width: number,
  height: number,
): FoundCell {
  const side = Math.round(2 * radius);
  const x0 = Math.max(0, x - Math.floor(side / 2));
  const y0 = Math.max(0, y - Math.floor(side / 2));
  const x1 = Math.min(width, x - Math.floor(side / 2) + side);
  const y1 = Math.min(height, y - Math.floor(side / 2) + side);
  return {
    x,
    y,
    box: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 },
    area: Math.round(Math.PI * radius * radius),
    outline: Array.from({ length: heatmapOutlineSides }, (_, k): [number, number] => {
      const angle = (2 * Math.PI * k) / heatmapOutlineSides;
      return [x + radius * Math.cos(angle), y + radius * Math.sin(angle)];
    }),
    score,
  };
}

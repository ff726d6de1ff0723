/** Percentile bootstrap with a seeded generator, so a report's intervals are the same on every run. */

/** mulberry32: small, fast, and good enough to draw resample indices. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Index sets drawn with replacement within each stratum (class), so every resample keeps the
 * class sizes of the data and per-class metrics stay defined. With `groups` (say, the microscope
 * frame of each capture), whole groups are drawn instead of single captures: neighbouring cells
 * of one frame are not independent, and resampling them one by one makes intervals too narrow.
 */
export function stratifiedResamples(
  strata: readonly number[],
  count: number,
  seed: number,
  groups?: readonly string[],
): number[][] {
  const random = seededRandom(seed);
  const units = new Map<number, Map<string, number[]>>();
  strata.forEach((stratum, i) => {
    let byGroup = units.get(stratum);
    if (!byGroup) units.set(stratum, (byGroup = new Map()));
    const key = groups ? groups[i]! : String(i);
    const members = byGroup.get(key);
    if (members) members.push(i);
    else byGroup.set(key, [i]);
  });
  const perStratum = [...units.values()].map((byGroup) => [...byGroup.values()]);
  return Array.from({ length: count }, () =>
    perStratum.flatMap((drawn) => drawn.flatMap(() => drawn[Math.floor(random() * drawn.length)]!)),
  );
}

/** The q-quantile of sorted values, interpolating between neighbours (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const below = Math.floor(at);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (at - below);
}

/** The central `level` interval of the replicates that are defined; null when none is. */
export function percentileInterval(
  replicates: readonly (number | null)[],
  level: number,
): [number, number] | null {
  const values = replicates.filter((v): v is number => v !== null).sort((a, b) => a - b);
  if (values.length === 0) return null;
  const tail = (1 - level) / 2;
  return [quantile(values, tail), quantile(values, 1 - tail)];
}

/**
 * The Wilson score interval of a proportion: `successes` of `trials`. Unlike the normal
 * approximation it stays inside [0, 1] and is honest for small counts and for 0 or all, which is
 * what a folder with a handful of reviewed captures has. `z` 1.96 gives a 95 % interval.
 */
export function wilsonInterval(successes: number, trials: number, z = 1.96): { low: number; high: number } | null {
  if (trials <= 0) return null;
  const p = successes / trials;
  const z2 = z * z;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z / (1 + z2 / trials)) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

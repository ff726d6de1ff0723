/** Median and 95th percentile of `runs` timed calls (after one to warm up), in ms to a tenth. */
export async function timings(fn: () => Promise<unknown>, runs = 11): Promise<{ p50: number; p95: number }> {
  await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    ms.push(performance.now() - start);
  }
  ms.sort((a, b) => a - b);
  const at = (q: number) => Math.round(ms[Math.min(runs - 1, Math.floor(q * runs))]! * 10) / 10;
  return { p50: at(0.5), p95: at(0.95) };
}

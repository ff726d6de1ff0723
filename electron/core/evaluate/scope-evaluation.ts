import type { ScopeVerdict } from '../model/scope.js';
import { percentileInterval, stratifiedResamples } from './bootstrap.js';
import type { Estimate } from './evaluation.js';
import { rocAuc } from './metrics.js';

/** How well the scope check keeps what the model knows and refuses what it does not. */
export interface ScopeEvaluation {
  inDistribution: number;
  foreign: number;
  /** How well the scope score ranks foreign images above in-distribution ones. */
  auroc: Estimate;
  /** Share of in-distribution images in scope at the shipped threshold. */
  acceptedInDistribution: Estimate;
  /** Share of foreign images out of scope at the shipped threshold. */
  refusedForeign: Estimate;
  bootstrap: { resamples: number; seed: number; level: number };
}

/**
 * The score the ranking uses: the feature distance, and above every distance an input that an
 * input check refused (it is refused whatever its features). A model without a feature check is
 * ranked by its verdict alone.
 */
export function scopeScore(verdict: ScopeVerdict): number {
  if (verdict.score !== null && verdict.inScope) return verdict.score;
  if (verdict.score !== null && verdict.threshold !== null && verdict.score > verdict.threshold) return verdict.score;
  return verdict.inScope ? 0 : Number.MAX_VALUE;
}

const share = (flags: readonly boolean[]): number | null => (flags.length === 0 ? null : flags.filter(Boolean).length / flags.length);

/** AUROC and the shares at the threshold, with percentile bootstrap intervals that resample each set on its own. */
export function evaluateScope(
  inside: readonly ScopeVerdict[],
  outside: readonly ScopeVerdict[],
  { resamples = 2000, seed = 20_241_202, level = 0.95 } = {},
): ScopeEvaluation {
  const verdicts = [...inside, ...outside];
  const scores = verdicts.map(scopeScore);
  const foreign = verdicts.map((_, i) => i >= inside.length);
  const measure = (indices: readonly number[]) => ({
    auroc: rocAuc(
      indices.map((i) => scores[i]!),
      indices.map((i) => foreign[i]!),
    ),
    accepted: share(indices.filter((i) => !foreign[i]).map((i) => verdicts[i]!.inScope)),
    refused: share(indices.filter((i) => foreign[i]).map((i) => !verdicts[i]!.inScope)),
  });
  const point = measure(verdicts.map((_, i) => i));
  const draws = stratifiedResamples(
    foreign.map((f) => Number(f)),
    resamples,
    seed,
  ).map(measure);
  const estimate = (key: keyof typeof point): Estimate => {
    const interval = percentileInterval(
      draws.map((d) => d[key]),
      level,
    );
    return { value: point[key], low: interval?.[0] ?? null, high: interval?.[1] ?? null };
  };
  return {
    inDistribution: inside.length,
    foreign: outside.length,
    auroc: estimate('auroc'),
    acceptedInDistribution: estimate('accepted'),
    refusedForeign: estimate('refused'),
    bootstrap: { resamples, seed, level },
  };
}

import type { ModelManifest } from './manifest.js';

/** Whether the model can judge an input at all, and why not. Stored with every result and cell. */
export interface ScopeVerdict {
  inScope: boolean;
  /** The feature distance to the nearest training class; null where only input checks ran. */
  score: number | null;
  threshold: number | null;
  /** Which check decided: the feature distance (with the input checks), the input checks alone, or none (the model states no scope). */
  method: 'feature-distance' | 'input-checks' | 'none';
  /** Why it is out of scope, in plain words; null when in scope. */
  reason: string | null;
}

/**
 * The verdict on one input: out of scope when an input check failed or its features lie farther
 * from every training class than the manifest's threshold.
 */
export function judgeScope(
  manifest: ModelManifest,
  problems: readonly string[],
  distance: number | undefined,
): ScopeVerdict {
  const features = manifest.scope?.features;
  const reasons = [...problems];
  const score = features && distance !== undefined ? distance : null;
  if (features && score !== null && score > features.threshold) {
    reasons.push(
      `It is unlike anything the model was trained on (distance ${score.toFixed(1)} from its training images, more than the limit of ${features.threshold.toFixed(1)}, within which about 95% of images like them fall).`,
    );
  }
  const method = score !== null ? 'feature-distance' : manifest.scope?.input ? 'input-checks' : 'none';
  return {
    inScope: reasons.length === 0,
    score,
    threshold: features?.threshold ?? null,
    method,
    reason: reasons.length === 0 ? null : reasons.join(' '),
  };
}

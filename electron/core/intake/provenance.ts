import type { Classifier } from '../model/classifier.js';
import type { ClassifiedOutcome } from '../pipeline/pipeline.js';
import type { ResultInput } from '../store/captures.js';

/**
 * A classification as it is stored: with everything needed to reproduce it, i.e. the exact
 * model file and where it ran, and the preprocessing as applied (the intensity window included).
 */
export function resultOf(outcome: ClassifiedOutcome, sha256: string, classifier: Classifier, appVersion: string): ResultInput {
  const { manifest } = classifier;
  const { input } = manifest;
  return {
    sha256,
    model: { id: classifier.identity.id, version: classifier.identity.version, sha256: classifier.identity.sha256 },
    probabilities: outcome.prediction.probabilities,
    className: outcome.prediction.class,
    probability: outcome.prediction.probability,
    provider: classifier.provider,
    preprocessing: {
      ...manifest.preprocessing,
      page: outcome.job.page ?? manifest.preprocessing.page,
      window: outcome.window,
      input: { width: input.width, height: input.height, channels: input.channels, layout: input.layout },
      threshold: classifier.threshold,
    },
    appVersion,
    durationMs: outcome.durationMs,
    classifiedAt: Date.now(),
  };
}

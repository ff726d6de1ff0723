import type { Prediction } from '../model/classifier.js';
import type { SummaryInput } from '../store/captures.js';

/** A whole field in a few numbers: what Live, History and the CSV show for a capture with many cells. */
export type FieldSummary = SummaryInput;

export function summarise(
  classes: readonly string[],
  predictions: readonly Prediction[],
  found = predictions.length,
): FieldSummary {
  const counts: Record<string, number> = Object.fromEntries(classes.map((c) => [c, 0]));
  let sum = 0;
  for (const p of predictions) {
    counts[p.class] = (counts[p.class] ?? 0) + 1;
    sum += p.probability;
  }
  const n = predictions.length;
  const fractions = Object.fromEntries(Object.entries(counts).map(([c, k]) => [c, n === 0 ? 0 : k / n]));
  return { cells: n, outOfScope: found - n, counts, fractions, meanProbability: n === 0 ? null : sum / n };
}

/**
 * The field as one result row: the most frequent class (ties go to the earlier class) with its
 * share as the probability, and every class's share. A field without cells has no class ('').
 */
export function fieldPrediction(classes: readonly string[], summary: FieldSummary): Prediction {
  if (summary.cells === 0) return { class: '', probability: 0, probabilities: summary.fractions };
  let best = classes[0]!;
  for (const c of classes) if (summary.counts[c]! > summary.counts[best]!) best = c;
  return { class: best, probability: summary.fractions[best]!, probabilities: summary.fractions };
}

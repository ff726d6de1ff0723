import type { CaptureRow, CellRow, ScopeVerdict } from '$contract/types.js';
import { percent } from './format.js';

/** What a result amounts to: a class, a class the model is not sure enough of, or no judgement at all. */
export type Standing = 'class' | 'uncertain' | 'out-of-scope' | 'none';

/** Out of the model's scope: shown greyed with its reason, never as a class. */
export const isOutOfScope = (item: { scope: ScopeVerdict | null }): boolean => item.scope?.inScope === false;

export function standingOf(row: Pick<CaptureRow, 'scope' | 'uncertain' | 'class'>): Standing {
  if (isOutOfScope(row)) return 'out-of-scope';
  if (row.uncertain) return 'uncertain';
  return row.class ? 'class' : 'none';
}

/** The engine's sentence, or a plain one where it gave none. */
export const reasonOf = (scope: ScopeVerdict): string =>
  scope.reason ?? 'It is unlike the images the model was trained on.';

/** Which check judged the scope, e.g. "distance to the training images (score 12.3, limit 8.1)"; null where none ran. */
export function checkedBy(scope: ScopeVerdict): string | null {
  if (scope.method === 'input-checks') return 'input checks only (this model has no feature check)';
  if (scope.method === 'none') return null;
  const numbers = [
    scope.score === null ? null : `score ${scope.score.toFixed(1)}`,
    scope.threshold === null ? null : `limit ${scope.threshold.toFixed(1)}`,
  ].filter(Boolean);
  return `distance to the training images${numbers.length > 0 ? ` (${numbers.join(', ')})` : ''}`;
}

/** The most common reason among the cells out of scope, with how many give it; null when all are in scope. */
export function commonReason(cells: Pick<CellRow, 'scope'>[]): [string, number] | null {
  const reasons = new Map<string, number>();
  for (const { scope } of cells)
    if (!scope.inScope) reasons.set(reasonOf(scope), (reasons.get(reasonOf(scope)) ?? 0) + 1);
  return [...reasons].sort((a, b) => b[1] - a[1])[0] ?? null;
}

/** The decision threshold a result was classified with, as its provenance states it. */
export function thresholdOf(preprocessing: unknown): number | null {
  if (typeof preprocessing !== 'object' || preprocessing === null) return null;
  const value = (preprocessing as { threshold?: unknown }).threshold;
  return typeof value === 'number' && value > 0 && value < 1 ? value : null;
}

/**
 * How sure the model must be of a class to give it: with threshold t, max(t, 1 − t). Below it a
 * result is uncertain (for two classes, t is the second class's probability at which it is chosen).
 */
export const sureAt = (threshold: number): number => Math.max(threshold, 1 - threshold);

/** "Given a class only when at least 80 % sure". */
export const sureText = (threshold: number): string =>
  `Given a class only when at least ${percent(sureAt(threshold))} sure`;

/** "HT1080 61 %": the class an uncertain result leans to, with how sure the model was. */
export const leaningOf = (row: Pick<CaptureRow, 'class' | 'probability'>): string =>
  `${row.class ?? '–'} ${percent(row.probability)}`;

/** A few of these rows in words: "2 uncertain, 1 out of scope", or '' when there are none. */
export function apartText(rows: Pick<CaptureRow, 'scope' | 'uncertain' | 'class'>[]): string {
  const out = rows.filter((r) => standingOf(r) === 'out-of-scope').length;
  const unsure = rows.filter((r) => standingOf(r) === 'uncertain').length;
  return [unsure > 0 ? `${unsure} uncertain` : '', out > 0 ? `${out} out of scope` : '']
    .filter(Boolean)
    .join(', ');
}

import type { ResultPair, Verdict } from '../store/comparison.js';
import { wilsonInterval } from './wilson.js';

/** What an out-of-scope result counts as: never as a class. */
export const outOfScopeLabel = 'out of scope';

/** Same label, but this much apart in the probability of it: listed too, after every different label. */
export const probabilityGap = 0.25;

/** A capture where the two models disagree, with how much. */
export interface Disagreement {
  sha256: string;
  fileName: string;
  classA: string;
  classB: string;
  probabilityA: number;
  probabilityB: number;
  /** |pA − pB| of the class A chose: 0 when both are as sure of it, up to 1. */
  difference: number;
}

export interface Agreement {
  /** Rows: A's label; columns: B's label. Out-of-scope results count under `outOfScopeLabel`. */
  labelsA: string[];
  labelsB: string[];
  /** counts[i][j]: captures A labelled labelsA[i] and B labelled labelsB[j]. */
  counts: number[][];
  /** Captures both models classified. */
  total: number;
  /** Captures given the same label by both. */
  agreed: number;
  /** agreed / total; null without captures. */
  fraction: number | null;
  /** Wilson 95% interval of the fraction; null without captures. */
  interval: [number, number] | null;
  /** Where they differ (another label, or `probabilityGap` apart), most different first: another label, then the larger |pA − pB|. */
  disagreements: Disagreement[];
}

/** The agreement's 95% Wilson interval as the contract carries it: [low, high], null without captures. */
function intervalOf(agreed: number, total: number): [number, number] | null {
  const interval = wilsonInterval(agreed, total);
  return interval && [interval.low, interval.high];
}

const labelOf = (v: Verdict): string => (v.inScope ? v.className : outOfScopeLabel);

/** How far two models agree on the same captures: the one computation the CLI and the app both show. */
export function agreementOf(pairs: readonly ResultPair[]): Agreement {
  const labelsA = [...new Set(pairs.map((p) => labelOf(p.a)))].sort();
  const labelsB = [...new Set(pairs.map((p) => labelOf(p.b)))].sort();
  const counts = labelsA.map(() => labelsB.map(() => 0));
  let agreed = 0;
  const disagreements: Disagreement[] = [];
  for (const pair of pairs) {
    const classA = labelOf(pair.a);
    const classB = labelOf(pair.b);
    counts[labelsA.indexOf(classA)]![labelsB.indexOf(classB)]!++;
    const difference = Math.abs(
      (pair.a.probabilities[pair.a.className] ?? 0) - (pair.b.probabilities[pair.a.className] ?? 0),
    );
    if (classA === classB) agreed++;
    if (classA !== classB || difference >= probabilityGap) {
      disagreements.push({
        sha256: pair.sha256,
        fileName: pair.fileName,
        classA,
        classB,
        probabilityA: pair.a.probability,
        probabilityB: pair.b.probability,
        difference,
      });
    }
  }
  const mismatch = (d: Disagreement) => Number(d.classA !== d.classB);
  disagreements.sort(
    (x, y) =>
      mismatch(y) - mismatch(x) || y.difference - x.difference || x.fileName.localeCompare(y.fileName),
  );
  const total = pairs.length;
  return {
    labelsA,
    labelsB,
    counts,
    total,
    agreed,
    fraction: total === 0 ? null : agreed / total,
    interval: intervalOf(agreed, total),
    disagreements,
  };
}

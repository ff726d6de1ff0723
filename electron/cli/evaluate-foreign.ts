import type { Writable } from 'node:stream';
import { listCaptures } from '../core/capture/listing.js';
import type { Analysis } from '../core/cells/analysis.js';
import { estimateText, evaluate, type Estimate } from '../core/evaluate/evaluation.js';
import type { Scored } from '../core/evaluate/metrics.js';
import { evaluateScope, type ScopeEvaluation } from '../core/evaluate/scope-evaluation.js';
import type { ScopeVerdict } from '../core/model/scope.js';
import { table } from './evaluation-report.js';
import { classifyFiles } from './model-run.js';
import { UsageError } from './usage.js';

/** What `evaluate --foreign --json` adds under `scope`. */
export interface ScopeReport extends ScopeEvaluation {
  /** Balanced accuracy over the in-distribution captures the scope check accepts, beside the overall one. */
  balancedAccuracyAccepted: Estimate;
  /** Foreign images that could not be read, left out. */
  foreignFailed: number;
}

/**
 * Runs every image under `folder` (images the model should refuse) through the model, each judged
 * whole, and measures the scope check against the in-distribution captures' verdicts.
 */
export async function foreignScope(
  analysis: Analysis,
  folder: string,
  inside: { verdicts: ScopeVerdict[]; samples: Scored[] },
  batch: number,
): Promise<ScopeReport> {
  const listing = await listCaptures([folder], { recursive: true });
  if (listing.files.length === 0) throw new UsageError(`No images found in ${folder} (--foreign needs images the model should refuse).`);
  const verdicts = new Map<string, ScopeVerdict>();
  let failed = listing.problems.length;
  await classifyFiles(analysis, listing.files, { batch, analysis: 'one-cell' }, (outcome) => {
    if (outcome.status === 'ok') verdicts.set(outcome.job.path, outcome.analysed.scope);
    else failed++;
  });
  // In listing order, so the seeded bootstrap gives the same intervals every run.
  const outside = listing.files.flatMap((file) => verdicts.get(file) ?? []);
  const classes = analysis.classifier.manifest.classes;
  const accepted = inside.samples.filter((_, i) => inside.verdicts[i]!.inScope);
  return {
    ...evaluateScope(inside.verdicts, outside),
    balancedAccuracyAccepted: evaluate(accepted, classes).balancedAccuracy,
    foreignFailed: failed,
  };
}

export function writeScopeTable(out: Writable, report: ScopeReport, overall: Estimate): void {
  const rate = (x: Estimate) => estimateText(x, true);
  out.write(
    `Scope check: ${report.inDistribution} in-distribution captures against ${report.foreign} foreign images` +
      `${report.foreignFailed ? ` (${report.foreignFailed} could not be read)` : ''}.\n\n`,
  );
  table(
    out,
    [{ header: 'scope metric' }, { header: `value [${report.bootstrap.level * 100}% interval]` }],
    [
      ['AUROC of the scope score (foreign above in-distribution)', estimateText(report.auroc)],
      ['in-distribution accepted at the threshold', rate(report.acceptedInDistribution)],
      ['foreign refused at the threshold', rate(report.refusedForeign)],
      ['balanced accuracy, all', rate(overall)],
      ['balanced accuracy, accepted only', rate(report.balancedAccuracyAccepted)],
    ],
  );
}

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { evaluate, type Evaluation } from '../core/evaluate/evaluation.js';
import { captureExtensions } from '../core/capture/formats.js';
import { listLabelledCaptures, type LabelledCaptures } from '../core/evaluate/labelled-folder.js';
import type { Scored } from '../core/evaluate/metrics.js';
import { reliabilitySvg, rocSvg, svgToPng } from '../core/evaluate/plots.js';
import type { ScopeVerdict } from '../core/model/scope.js';
import type { Outcome } from '../core/pipeline/pipeline.js';
import {
  evaluationReport,
  writeEvaluationTable,
  type EvaluationReport,
  type FailedCapture,
} from './evaluation-report.js';
import { evaluateDetectorCommand } from './evaluate-detector.js';
import { foreignScope, writeScopeTable } from './evaluate-foreign.js';
import { classifyFiles, closeAnalysis, openAnalysis, type ModelRunOptions } from './model-run.js';
import { UsageError } from './usage.js';

export interface EvaluateOptions extends Omit<ModelRunOptions, 'analysis' | 'detector'> {
  json: boolean;
  out?: string;
  /** A regular expression over file names: captures with the same match are resampled together. */
  group?: string;
  /** Measure a cell finder on labelled fields instead of the model: true for the built-in one, or its folder. */
  detector?: string | true;
  /** A folder of images the model should refuse: also measure its scope check. */
  foreign?: string;
}

/** `metascope evaluate`: 0 when every capture (or field) was evaluated, 1 when some failed. */
export async function evaluateCommand(folder: string, options: EvaluateOptions): Promise<number> {
  const { detector, ...rest } = options;
  if (detector !== undefined) {
    if (options.model !== undefined) {
      throw new UsageError(
        '--model names a classifier, but evaluate --detector measures the cell finder alone: leave out one of the two.',
      );
    }
    if (options.group !== undefined) {
      throw new UsageError(
        '--group is for captures of single cells; evaluate --detector always resamples whole fields.',
      );
    }
    return evaluateDetectorCommand(folder, { ...rest, detector: detector === true ? undefined : detector });
  }
  const groupOf = options.group === undefined ? null : groupingBy(options.group);
  // Labelled captures are single cells, each classified whole.
  const analysis = await openAnalysis({ ...rest, analysis: 'one-cell' });
  const { classifier } = analysis;
  try {
    const { classes } = classifier.manifest;
    const labelled = await labelledCaptures(folder, classes);
    const outcomes = new Map<string, Outcome>();
    await classifyFiles(
      analysis,
      labelled.captures.map((c) => c.path),
      { batch: options.batch, analysis: 'one-cell' },
      (outcome) => outcomes.set(outcome.job.path, outcome),
    );
    // In listing order, not arrival order, so the seeded bootstrap gives the same intervals every run.
    const samples: Scored[] = [];
    const verdicts: ScopeVerdict[] = [];
    const groups: string[] = [];
    const failed: FailedCapture[] = labelled.problems.map((p) => ({
      file: p.path,
      class: classes[p.truth]!,
      reason: p.reason,
    }));
    for (const { path: file, truth } of labelled.captures) {
      const outcome = outcomes.get(file)!;
      if (outcome.status === 'failed') failed.push({ file, class: classes[truth]!, reason: outcome.reason });
      else {
        const { prediction } = outcome.analysed;
        verdicts.push(outcome.analysed.scope);
        samples.push({
          truth,
          predicted: classes.indexOf(prediction.class),
          probabilities: classes.map((name) => prediction.probabilities[name]!),
        });
        if (groupOf) groups.push(groupOf(file) ?? `\u0000${file}`);
      }
    }
    const alone = groups.filter((g) => g.startsWith('\u0000')).length;
    if (alone > 0) {
      process.stderr.write(
        `metascope: --group "${options.group}" matched no part of ${alone} file name${alone === 1 ? '' : 's'}; each is resampled on its own.\n`,
      );
    }
    const evaluation = evaluate(samples, classes, { groups: groupOf ? groups : undefined });
    const scope = options.foreign ? await foreignScope(analysis, options.foreign, { verdicts, samples }, options.batch) : null;
    const report = { ...evaluationReport(evaluation, failed, classifier.identity), ...(scope ? { scope } : {}) };
    if (options.json) process.stdout.write(JSON.stringify(report) + '\n');
    else {
      writeEvaluationTable(process.stdout, evaluation, failed, labelled.folders);
      if (scope) writeScopeTable(process.stdout, scope, evaluation.balancedAccuracy);
    }
    // After printing, so a report folder that cannot be written does not cost the results.
    if (options.out) await writeReportFolder(options.out, report, evaluation);
    return failed.length > 0 ? 1 : 0;
  } finally {
    await closeAnalysis(analysis);
  }
}

/** The group of a capture from its file name: the pattern's first bracketed part, or its whole match; null when it does not match. */
function groupingBy(pattern: string): (file: string) => string | null {
  let expression: RegExp;
  try {
    expression = new RegExp(pattern);
  } catch (error) {
    throw new UsageError(`--group "${pattern}" is not a regular expression: ${(error as Error).message}.`);
  }
  return (file) => {
    const match = expression.exec(path.basename(file));
    return match ? (match[1] ?? match[0]) : null;
  };
}

const quoted = (names: string[]): string => names.map((n) => `"${n}"`).join(', ');

/** The folder's captures by class; a layout that cannot be read unambiguously is a usage error. */
async function labelledCaptures(folder: string, classes: string[]): Promise<LabelledCaptures> {
  const expected = `one subfolder per class, named after the model's classes (${quoted(classes)}; case, spaces and punctuation do not matter)`;
  let labelled: LabelledCaptures;
  try {
    labelled = await listLabelledCaptures(folder, classes);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `The folder ${folder} does not exist.`
        : `The folder ${folder} cannot be read (${code ?? String(error)}).`,
    );
  }
  const { unmatched } = labelled;
  if (unmatched.length > 0) {
    const one = unmatched.length === 1;
    throw new UsageError(
      `${one ? 'The subfolder' : 'The subfolders'} ${quoted(unmatched)} of ${folder} ${one ? 'matches' : 'match'} ` +
        `none of the model's classes: ${quoted(classes)}. Rename or move ${one ? 'it' : 'them'}; evaluate needs ${expected}.`,
    );
  }
  const [ambiguous] = labelled.ambiguous;
  if (ambiguous) {
    throw new UsageError(
      `The subfolder "${ambiguous.folder}" of ${folder} matches more than one of the model's classes: ${quoted(ambiguous.classes)}.`,
    );
  }
  if (labelled.folders.every((names) => names.length === 0))
    throw new UsageError(`${folder} has no subfolders; evaluate needs ${expected}.`);
  if (labelled.captures.length === 0 && labelled.problems.length === 0) {
    throw new UsageError(
      `No captures found in the class folders of ${folder} (looked for ${[...captureExtensions].join(', ')}).`,
    );
  }
  classes.forEach((name, c) => {
    if (labelled.folders[c]!.length === 0) {
      process.stderr.write(
        `metascope: no subfolder of ${folder} holds class "${name}": it is not in the evaluation.\n`,
      );
    }
  });
  return labelled;
}

/** report.json (with the curves behind the plots), roc and reliability as SVG and PNG. */
async function writeReportFolder(
  out: string,
  report: EvaluationReport,
  evaluation: Evaluation,
): Promise<void> {
  const plots = { roc: rocSvg(evaluation), reliability: reliabilitySvg(evaluation) };
  try {
    await mkdir(out, { recursive: true });
    const full = { ...report, roc: evaluation.roc, reliability: evaluation.reliability };
    await writeFile(path.join(out, 'report.json'), JSON.stringify(full, null, 2) + '\n');
    for (const [name, svg] of Object.entries(plots)) {
      await writeFile(path.join(out, `${name}.svg`), svg);
      await writeFile(path.join(out, `${name}.png`), await svgToPng(svg));
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code && /^E[A-Z]+$/.test(code))
      throw new UsageError(`The report folder ${out} cannot be written (${code}).`);
    throw error;
  }
  process.stderr.write(`Wrote report.json, roc.svg/.png and reliability.svg/.png to ${out}.\n`);
}

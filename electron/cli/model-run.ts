import { Analysis, type AnalysisChoice } from '../core/cells/analysis.js';
import { openDetector } from '../core/cells/open-detector.js';
import { Classifier } from '../core/model/classifier.js';
import { providerLabels, type ProviderPreference } from '../core/model/providers.js';
import { Pipeline, type Outcome } from '../core/pipeline/pipeline.js';
import { defaultModelFolder } from '../core/paths.js';
import { ProgressBar } from './progress.js';

/** The options every command that runs the model once over files takes. */
export interface ModelRunOptions {
  model?: string;
  provider: ProviderPreference;
  batch: number;
  threads?: number;
  /** One cell per capture, find the cells of each, or decide by size (default). */
  analysis?: AnalysisChoice;
  /** The cell finder's folder (default: the built-in one). */
  detector?: string;
}

/**
 * Opens the chosen model (default: the built-in one) and, unless every capture is one cell, the
 * cell finder; says on stderr which models run where.
 */
export async function openAnalysis(options: ModelRunOptions): Promise<Analysis> {
  const sessionOptions = { provider: options.provider, threads: options.threads };
  const classifier = await Classifier.open(options.model ?? defaultModelFolder(), sessionOptions);
  const skipped = classifier.skipped.map((s) => s.reason).join(' ');
  process.stderr.write(
    `Model ${classifier.identity.name} ${classifier.identity.version} on ${providerLabels[classifier.provider]}${skipped ? ` (${skipped})` : ''}\n`,
  );
  const choice = options.analysis ?? 'auto';
  if (choice === 'one-cell') return new Analysis(classifier, null, 'every capture is taken as one cell.');
  try {
    const { detector, problem } = await openDetector(options.detector, sessionOptions, { required: choice === 'find-cells' });
    if (detector) process.stderr.write(`Cell finder ${detector.identity.name} ${detector.identity.version} on ${providerLabels[detector.provider]}\n`);
    else process.stderr.write(`No cell finder: ${problem} Captures much larger than one cell will fail.\n`);
    return new Analysis(classifier, detector, problem);
  } catch (error) {
    await classifier.close();
    throw error;
  }
}

/** Closes what `openAnalysis` opened. */
export async function closeAnalysis(analysis: Analysis): Promise<void> {
  await Promise.all([analysis.classifier.close(), analysis.detector?.close()]);
}

/** Runs files through the pipeline, with a progress bar on a terminal, until each has an outcome. */
export async function classifyFiles(
  analysis: Analysis,
  files: string[],
  options: Pick<ModelRunOptions, 'batch' | 'analysis'>,
  onOutcome: (outcome: Outcome) => void,
): Promise<void> {
  const bar = new ProgressBar(process.stderr, files.length);
  const pipeline = new Pipeline({
    analysis,
    batchSize: options.batch,
    onOutcomes: (outcomes) => outcomes.forEach(onOutcome),
    onProgress: (p) => bar.update(p.done + p.failed, p.failed, p.rate),
  });
  pipeline.push(...files.map((path) => ({ path, analysis: options.analysis })));
  await pipeline.idle();
  bar.done();
}

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
}

/** Opens the chosen model (default: the built-in one) and says on stderr which model runs where. */
export async function openClassifier(options: ModelRunOptions): Promise<Classifier> {
  const classifier = await Classifier.open(options.model ?? defaultModelFolder(), {
    provider: options.provider,
    threads: options.threads,
  });
  const skipped = classifier.skipped.map((s) => s.reason).join(' ');
  process.stderr.write(
    `Model ${classifier.identity.name} ${classifier.identity.version} on ${providerLabels[classifier.provider]}${skipped ? ` (${skipped})` : ''}\n`,
  );
  return classifier;
}

/** Runs files through the pipeline, with a progress bar on a terminal, until each has an outcome. */
export async function classifyFiles(
  classifier: Classifier,
  files: string[],
  batch: number,
  onOutcome: (outcome: Outcome) => void,
): Promise<void> {
  const bar = new ProgressBar(process.stderr, files.length);
  const pipeline = new Pipeline({
    classifier,
    batchSize: batch,
    onOutcomes: (outcomes) => outcomes.forEach(onOutcome),
    onProgress: (p) => bar.update(p.done + p.failed, p.failed, p.rate),
  });
  pipeline.push(...files.map((path) => ({ path })));
  await pipeline.idle();
  bar.done();
}

import { listCaptures } from '../core/capture/listing.js';
import { Classifier } from '../core/model/classifier.js';
import { providerLabels, type ProviderPreference } from '../core/model/providers.js';
import { Pipeline } from '../core/pipeline/pipeline.js';
import { defaultModelFolder } from '../core/paths.js';
import { rowWriter, type OutputFormat } from './output.js';
import { ProgressBar } from './progress.js';
import { csvColumns, failedReport, reportColumns, reportOf, type CaptureReport } from './report.js';
import { UsageError } from './usage.js';

export interface ClassifyOptions {
  model?: string;
  format: OutputFormat;
  provider: ProviderPreference;
  batch: number;
  recursive: boolean;
  threads?: number;
}

/** `metascope classify`: returns the exit code (0 all classified, 1 some failed). */
export async function classifyCommand(paths: string[], options: ClassifyOptions): Promise<number> {
  const listing = await listCaptures(paths, { recursive: options.recursive });
  if (listing.files.length === 0 && listing.problems.length === 0) {
    throw new UsageError(
      `No captures found in ${paths.join(', ')} (looked for .tif, .tiff, .png, .jpg, .jpeg, .webp${options.recursive ? '' : '; add --recursive for subfolders'}).`,
    );
  }
  const classifier = await Classifier.open(options.model ?? defaultModelFolder(), {
    provider: options.provider,
    threads: options.threads,
  });
  try {
    const skipped = classifier.skipped.map((s) => s.reason).join(' ');
    process.stderr.write(
      `Model ${classifier.identity.name} ${classifier.identity.version} on ${providerLabels[classifier.provider]}${skipped ? ` (${skipped})` : ''}\n`,
    );
    const columns = options.format === 'csv' ? csvColumns(classifier.manifest.classes) : reportColumns;
    const writer = rowWriter<CaptureReport>(options.format, process.stdout, columns, (r) => r);
    let failed = 0;
    for (const problem of listing.problems) {
      failed++;
      writer.write(failedReport(problem.path, problem.reason, classifier.identity));
    }
    const bar = new ProgressBar(process.stderr, listing.files.length);
    const pipeline = new Pipeline({
      classifier,
      batchSize: options.batch,
      onOutcome: (outcome) => {
        if (outcome.status === 'failed') failed++;
        writer.write(reportOf(outcome, classifier.identity, classifier.provider));
      },
      onProgress: (p) => bar.update(p.done + p.failed, p.failed, p.rate),
    });
    pipeline.push(...listing.files.map((path) => ({ path })));
    await pipeline.idle();
    bar.done();
    writer.end();
    return failed > 0 ? 1 : 0;
  } finally {
    await classifier.close();
  }
}

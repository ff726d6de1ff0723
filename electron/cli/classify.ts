import { captureExtensions } from '../core/capture/formats.js';
import { listCaptures } from '../core/capture/listing.js';
import { classifyFiles, openClassifier, type ModelRunOptions } from './model-run.js';
import { rowWriter, type OutputFormat } from './output.js';
import { csvColumns, failedReport, reportColumns, reportOf, type CaptureReport } from './report.js';
import { UsageError } from './usage.js';

export interface ClassifyOptions extends ModelRunOptions {
  format: OutputFormat;
  recursive: boolean;
}

/** `metascope classify`: returns the exit code (0 all classified, 1 some failed). */
export async function classifyCommand(paths: string[], options: ClassifyOptions): Promise<number> {
  const listing = await listCaptures(paths, { recursive: options.recursive });
  if (listing.files.length === 0 && listing.problems.length === 0) {
    throw new UsageError(
      `No captures found in ${paths.join(', ')} (looked for ${[...captureExtensions].join(', ')}${options.recursive ? '' : '; add --recursive for subfolders'}).`,
    );
  }
  const classifier = await openClassifier(options);
  try {
    const columns = options.format === 'csv' ? csvColumns(classifier.manifest.classes) : reportColumns;
    const writer = rowWriter<CaptureReport>(options.format, process.stdout, columns, (r) => r);
    let failed = 0;
    for (const problem of listing.problems) {
      failed++;
      writer.write(failedReport(problem.path, problem.reason, classifier.identity));
    }
    await classifyFiles(classifier, listing.files, options.batch, (outcome) => {
      if (outcome.status === 'failed') failed++;
      writer.write(reportOf(outcome, classifier.identity, classifier.provider));
    });
    writer.end();
    return failed > 0 ? 1 : 0;
  } finally {
    await classifier.close();
  }
}

import { captureExtensions } from '../core/capture/formats.js';
import { listCaptures } from '../core/capture/listing.js';
import { classifyFiles, closeAnalysis, openAnalysis, type ModelRunOptions } from './model-run.js';
import { rowWriter, type OutputFormat, type RowWriter } from './output.js';
import { cellCsvColumns, csvColumns, failedReport, reportColumns, reportOf, type CaptureReport } from './report.js';
import { UsageError } from './usage.js';

export interface ClassifyOptions extends ModelRunOptions {
  format: OutputFormat;
  recursive: boolean;
  /** CSV: one row per cell of each field instead of one per capture. */
  cells?: boolean;
}

/** `metascope classify`: returns the exit code (0 all classified, 1 some failed). */
export async function classifyCommand(paths: string[], options: ClassifyOptions): Promise<number> {
  if (options.cells && options.format !== 'csv') throw new UsageError('--cells goes with --format csv (JSON always lists the cells).');
  const listing = await listCaptures(paths, { recursive: options.recursive });
  if (listing.files.length === 0 && listing.problems.length === 0) {
    throw new UsageError(
      `No captures found in ${paths.join(', ')} (looked for ${[...captureExtensions].join(', ')}${options.recursive ? '' : '; add --recursive for subfolders'}).`,
    );
  }
  const analysis = await openAnalysis(options);
  const { classifier } = analysis;
  try {
    const writer = reportWriter(options, classifier.manifest.classes);
    let failed = 0;
    for (const problem of listing.problems) {
      failed++;
      writer.write(failedReport(problem.path, problem.reason, classifier.identity));
    }
    await classifyFiles(analysis, listing.files, options, (outcome) => {
      if (outcome.status === 'failed') failed++;
      writer.write(reportOf(outcome, classifier.identity, classifier.provider));
    });
    writer.end();
    return failed > 0 ? 1 : 0;
  } finally {
    await closeAnalysis(analysis);
  }
}

function reportWriter(options: ClassifyOptions, classes: string[]): RowWriter<CaptureReport> {
  if (options.cells) {
    const cells = rowWriter(options.format, process.stdout, cellCsvColumns(classes), (r) => r);
    return {
      write: (capture) => capture.cells?.forEach((cell, index) => cells.write({ capture, cell, index })),
      end: () => cells.end(),
    };
  }
  const columns = options.format === 'csv' ? csvColumns(classes) : reportColumns;
  return rowWriter<CaptureReport>(options.format, process.stdout, columns, (r) => r);
}

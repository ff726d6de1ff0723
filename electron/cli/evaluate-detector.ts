import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  decodePixels,
  readCaptureInfo,
  type CaptureInfo,
  type CapturePixels,
} from '../core/capture/decode.js';
import { captureExtensions, isCaptureFileName } from '../core/capture/formats.js';
import type { Detection, Detector } from '../core/cells/detector.js';
import { openDetector } from '../core/cells/open-detector.js';
import { countField, detectionReport, resizeLabels, type FieldCounts } from '../core/evaluate/detection.js';
import { providerLabels, type ProviderPreference } from '../core/model/providers.js';
import { defaultDetectorFolder } from '../core/paths.js';
import {
  detectorEvaluationReport,
  writeDetectionTable,
  type DetectorEvaluationReport,
  type FailedField,
  type FieldBootstrap,
} from './detection-report.js';
import { ProgressBar } from './progress.js';
import { UsageError } from './usage.js';

export interface EvaluateDetectorOptions {
  /** The cell finder's folder (default: the built-in one). */
  detector?: string;
  provider: ProviderPreference;
  threads?: number;
  json: boolean;
  /** Also write report.json into this folder. */
  out?: string;
}

/** A field and its true label map, as paths relative to the evaluated folder (e.g. images/set01.tif, masks/set01.png). */
export interface LabelledField {
  name: string;
  image: string;
  mask: string;
}

const layout =
  'images/NAME.tif (the fields, in any format MetaScope reads) and masks/NAME.png ' +
  '(for each field, a grey label map of the same size: 0 for background, one value per cell)';

const bootstrap: FieldBootstrap = { resamples: 2000, level: 0.95, unit: 'field' };

/**
 * `metascope evaluate <folder> --detector [folder]`: how well a cell finder finds the cells of
 * labelled fields. A wrong layout (no images/, a field without its mask, a mask of another size) is
 * a usage error before anything runs; a field or mask that cannot be read, or a mask that is not a
 * label map, fails alone. 0 when every field was evaluated, 1 when some failed.
 */
export async function evaluateDetectorCommand(
  folder: string,
  options: EvaluateDetectorOptions,
): Promise<number> {
  const fields = await listLabelledFields(folder);
  const headers = await readHeaders(folder, fields);
  const { detector } = await openDetector(
    options.detector,
    { provider: options.provider, threads: options.threads },
    { required: true },
  );
  // Without a folder and without models/detector, there is nothing to measure.
  if (!detector)
    throw new UsageError(
      `No built-in cell finder is installed (${defaultDetectorFolder()}): name one with --detector <folder>.`,
    );
  try {
    process.stderr.write(
      `Cell finder ${detector.identity.name} ${detector.identity.version} on ${providerLabels[detector.provider]}\n`,
    );
    const outcomes = await measureFields(folder, detector, headers);
    const counts = outcomes.flatMap((o) => ('counts' in o ? [o.counts] : []));
    const failed = outcomes.flatMap((o) => ('failed' in o ? [o.failed] : []));
    const times = outcomes.flatMap((o) => ('ms' in o ? [o.ms] : []));
    const meanMsPerField = times.length === 0 ? null : times.reduce((sum, ms) => sum + ms, 0) / times.length;
    const report = detectorEvaluationReport(
      detectionReport(counts, { resamples: bootstrap.resamples, level: bootstrap.level }),
      failed,
      detector.identity,
      { meanMsPerField, provider: detector.provider },
      bootstrap,
    );
    if (options.json) process.stdout.write(JSON.stringify(report) + '\n');
    else writeDetectionTable(process.stdout, report, detector.identity.name);
    // After printing, so a report folder that cannot be written does not cost the results.
    if (options.out) await writeReport(options.out, report);
    return failed.length > 0 ? 1 : 0;
  } finally {
    await detector.close();
  }
}

/** The files of a folder (links included), sorted; null when the folder does not exist. */
async function filesIn(folder: string): Promise<string[] | null> {
  try {
    const entries = await readdir(folder, { withFileTypes: true });
    return entries
      .filter((e) => e.isFile() || e.isSymbolicLink())
      .map((e) => e.name)
      .sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new UsageError(`The folder ${folder} cannot be read (${code ?? String(error)}).`);
  }
}

const stem = (file: string): string => file.slice(0, file.lastIndexOf('.'));
const quoted = (names: string[]): string => names.join(', ');

/** Pairs images/NAME.* with masks/NAME.*; a layout that cannot be paired unambiguously is a usage error. */
export async function listLabelledFields(folder: string): Promise<LabelledField[]> {
  const images = await filesIn(path.join(folder, 'images'));
  if (images === null) {
    const exists = (await filesIn(folder)) !== null;
    throw new UsageError(
      exists
        ? `${folder} has no images/ folder: evaluate --detector needs ${layout}.`
        : `The folder ${folder} does not exist.`,
    );
  }
  const fieldFiles = images.filter(isCaptureFileName);
  if (fieldFiles.length === 0) {
    throw new UsageError(
      `No fields found in ${path.join(folder, 'images')} (looked for ${[...captureExtensions].join(', ')}).`,
    );
  }
  const masks = await filesIn(path.join(folder, 'masks'));
  if (masks === null)
    throw new UsageError(`${folder} has no masks/ folder: evaluate --detector needs ${layout}.`);
  const masksByName = groupByStem(masks.filter(isCaptureFileName));
  const problems: string[] = [];
  const fields: LabelledField[] = [];
  for (const [name, files] of groupByStem(fieldFiles)) {
    const image = `images/${files[0]}`;
    if (files.length > 1) {
      problems.push(
        `${quoted(files.map((f) => `images/${f}`))} share the name ${name}: each field needs a name of its own, as its mask does.`,
      );
      continue;
    }
    const found = masksByName.get(name) ?? [];
    if (found.length === 0) problems.push(`${image} has no mask masks/${name}.png.`);
    else if (found.length > 1)
      problems.push(`${image} has more than one mask (${quoted(found.map((f) => `masks/${f}`))}): keep one.`);
    else fields.push({ name, image, mask: `masks/${found[0]}` });
  }
  if (problems.length > 0) throw layoutError(problems);
  const names = new Set(fields.map((f) => f.name));
  const unused = [...masksByName.entries()]
    .filter(([name]) => !names.has(name))
    .flatMap(([, files]) => files);
  if (unused.length > 0) {
    process.stderr.write(
      `metascope: ${unused.length === 1 ? 'one mask has' : `${unused.length} masks have`} no field in images/ and ${unused.length === 1 ? 'is' : 'are'} not in the evaluation: ` +
        `${quoted(unused.slice(0, 5).map((f) => `masks/${f}`))}${unused.length > 5 ? ', …' : ''}.\n`,
    );
  }
  return fields;
}

function groupByStem(files: string[]): Map<string, string[]> {
  const byStem = new Map<string, string[]>();
  for (const file of files) {
    const group = byStem.get(stem(file));
    if (group) group.push(file);
    else byStem.set(stem(file), [file]);
  }
  return byStem;
}

/** Every problem up to five, then how many more: a folder of 45 fields without masks is one message, not 45 lines. */
function layoutError(problems: string[]): UsageError {
  const shown = problems.slice(0, 5).join(' ');
  return new UsageError(problems.length > 5 ? `${shown} And ${problems.length - 5} more like these.` : shown);
}

type Headers =
  { field: LabelledField; image: CaptureInfo; mask: CaptureInfo } | { field: LabelledField; failed: string };

/** Reads both headers of every field; a mask of another size than its field is a usage error, an unreadable file fails its field. */
async function readHeaders(folder: string, fields: LabelledField[]): Promise<Headers[]> {
  const problems: string[] = [];
  const headers: Headers[] = [];
  for (const field of fields) {
    const image = await header(folder, field.image);
    const mask = await header(folder, field.mask);
    const reason =
      typeof image === 'string' ? image : typeof mask === 'string' ? mask : notLabelMap(field.mask, mask);
    if (reason !== null) headers.push({ field, failed: reason });
    else if (typeof image !== 'string' && typeof mask !== 'string') {
      if (image.width !== mask.width || image.height !== mask.height) {
        problems.push(
          `${field.mask} is ${mask.width} × ${mask.height} but ${field.image} is ${image.width} × ${image.height}.`,
        );
      } else headers.push({ field, image, mask });
    }
  }
  if (problems.length > 0) throw layoutError(problems);
  return headers;
}

/** The header of a file, or why it cannot be read. */
async function header(folder: string, file: string): Promise<CaptureInfo | string> {
  try {
    return await readCaptureInfo(await readFile(path.join(folder, file)));
  } catch (error) {
    return unreadable(file, error);
  }
}

function unreadable(file: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code && /^E[A-Z]+$/.test(code)) return `${file} cannot be read (${code}).`;
  return `${file}: ${error instanceof Error ? error.message : String(error)}`;
}

/** Why a mask's header rules it out as a label map, or null. */
function notLabelMap(file: string, info: CaptureInfo): string | null {
  if (info.colour !== 'grey') {
    return `${file} is a colour image, not a label map: a mask must be grey, 0 for background and one value per cell.`;
  }
  if (info.format === 'jpeg') {
    return `${file} is a JPEG image, whose lossy compression changes label values: save masks as PNG or TIFF.`;
  }
  return null;
}

type Outcome = { counts: FieldCounts; ms: number } | { failed: FailedField };

/** Runs the detector over the fields one by one, in listing order (so the seeded bootstrap gives the same intervals every run). */
async function measureFields(folder: string, detector: Detector, headers: Headers[]): Promise<Outcome[]> {
  const bar = new ProgressBar(process.stderr, headers.length);
  const started = performance.now();
  const outcomes: Outcome[] = [];
  let failures = 0;
  for (const entry of headers) {
    const outcome =
      'failed' in entry
        ? failedField(entry.field, entry.failed)
        : await measureField(folder, detector, entry);
    if ('failed' in outcome) failures++;
    outcomes.push(outcome);
    bar.update(outcomes.length, failures, outcomes.length / ((performance.now() - started) / 1000));
  }
  bar.done();
  return outcomes;
}

const failedField = (field: LabelledField, reason: string): Outcome => ({ failed: { ...field, reason } });

async function measureField(
  folder: string,
  detector: Detector,
  { field, image, mask }: { field: LabelledField; image: CaptureInfo; mask: CaptureInfo },
): Promise<Outcome> {
  const decode = async (file: string, info: CaptureInfo, page: number): Promise<CapturePixels | string> => {
    try {
      return await decodePixels(await readFile(path.join(folder, file)), info, { page, colour: 'grey' });
    } catch (error) {
      return unreadable(file, error);
    }
  };
  const pixels = await decode(field.image, image, detector.manifest.preprocessing.page);
  if (typeof pixels === 'string') return failedField(field, pixels);
  const truth = await decode(field.mask, mask, 0);
  if (typeof truth === 'string') return failedField(field, truth);
  const started = performance.now();
  let detection: Detection;
  try {
    detection = await detector.find(pixels);
  } catch (error) {
    return failedField(
      field,
      `The cell finder failed on ${field.image}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const ms = performance.now() - started;
  // Instance labels come at the detector's scale; IoU needs them at the truth's.
  const labels =
    detection.labels &&
    resizeLabels(detection.labels, detection.mapWidth, detection.mapHeight, truth.width, truth.height);
  const counts = countField(
    { name: field.name, width: truth.width, height: truth.height, labels: truth.data },
    { centres: detection.cells, labels },
  );
  return { counts, ms };
}

async function writeReport(out: string, report: DetectorEvaluationReport): Promise<void> {
  try {
    await mkdir(out, { recursive: true });
    await writeFile(path.join(out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code && /^E[A-Z]+$/.test(code))
      throw new UsageError(`The report folder ${out} cannot be written (${code}).`);
    throw error;
  }
  process.stderr.write(`Wrote report.json to ${out}.\n`);
}

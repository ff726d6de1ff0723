import { decodePixels, type CaptureInfo, type DecodeLimits } from '../capture/decode.js';
import { CaptureError } from '../capture/errors.js';
import type { IntensityWindow } from '../capture/intensity.js';
import { readPixelSize, type PixelSize } from '../capture/pixel-size.js';
import type { Classifier, Prediction } from '../model/classifier.js';
import { judgeScope, type ScopeVerdict } from '../model/scope.js';
import { cutCrop, planCrop, type CropPlan } from './crops.js';
import type { FoundCell } from './decoders.js';
import type { Detector } from './detector.js';
import { fieldPrediction, summarise, type FieldSummary } from './summary.js';

/** One cell: the capture is classified whole. Find cells: a detector finds each cell and each is classified. */
export type AnalysisMode = 'one-cell' | 'find-cells';
/** A folder's setting: a mode, or 'auto' (a capture about the size of the classifier's window is one cell). */
export type AnalysisChoice = 'auto' | AnalysisMode;

export const analysisChoices: readonly AnalysisChoice[] = ['auto', 'one-cell', 'find-cells'];

/** A cell found in a field and the window cut around it for the classifier. */
export interface PlannedCell extends FoundCell {
  crop: CropPlan;
  /** The raw-value window the crop's intensity step used. */
  window: IntensityWindow;
}

export interface ClassifiedCell extends PlannedCell {
  prediction: Prediction;
  scope: ScopeVerdict;
}

/** How the crops' scale was chosen: matched to the model's pixel size, or native pixels when either is unknown. */
export interface CropScale {
  captureUmPerPixel: number | null;
  captureSource: PixelSize['source'] | null;
  modelUmPerPixel: number | null;
  /** Capture pixels per crop pixel (1 = native). */
  scale: number;
  note: string;
}

/** A capture ready for the classifier: one input per cell (one in all for 'one-cell'). */
export interface PreparedCapture {
  mode: AnalysisMode;
  inputs: Float32Array[];
  /** The input checks each input fails, in order. */
  problems: string[][];
  /** A field's own input checks (bit depth, channels, brightness spread): they decide its scope even without cells. */
  fieldProblems: string[];
  /** One-cell: the raw-value window of the whole capture. Find-cells: null (each cell has its own). */
  window: IntensityWindow | null;
  cells: PlannedCell[] | null;
  cropScale: CropScale | null;
}

/** What one capture came to: its own prediction and, for a field, its cells and summary. */
export interface AnalysedCapture {
  mode: AnalysisMode;
  prediction: Prediction;
  /** One cell: the capture's verdict. A field: out of scope when no cell of it is in scope. */
  scope: ScopeVerdict;
  /** One cell in scope whose class the model is less sure of than the threshold asks (a field: never). */
  uncertain: boolean;
  cells: ClassifiedCell[] | null;
  summary: FieldSummary | null;
  cropScale: CropScale | null;
}

/** A capture up to this many times the classifier's window on its longer side is taken for one cell. */
const oneCellSpan = 2;

/** Ties a classifier to an optional detector, and decides per capture which of the two modes runs. */
export class Analysis {
  constructor(
    readonly classifier: Classifier,
    readonly detector: Detector | null,
    /** Why no detector is loaded, in plain words; null when one is. */
    readonly detectorProblem: string | null = null,
  ) {}

  modeFor(choice: AnalysisChoice, info: Pick<CaptureInfo, 'width' | 'height'>): AnalysisMode {
    if (choice !== 'auto') return choice;
    // Without a cell finder, and none meant to be there, every capture is classified whole.
    if (!this.detector && this.detectorProblem === null) return 'one-cell';
    const { width, height } = this.cropSize();
    return Math.max(info.width, info.height) <= oneCellSpan * Math.max(width, height)
      ? 'one-cell'
      : 'find-cells';
  }

  /** The classifier's window around a cell, at its own pixel size. */
  cropSize(): { width: number; height: number } {
    const { crop, input } = this.classifier.manifest;
    return crop ?? { width: input.width, height: input.height };
  }

  async prepare(
    bytes: Uint8Array,
    info: CaptureInfo,
    options: DecodeLimits & { page?: number; choice?: AnalysisChoice } = {},
  ): Promise<PreparedCapture> {
    const mode = this.modeFor(options.choice ?? 'auto', info);
    if (mode === 'one-cell') {
      const { tensor, window, problems } = await this.classifier.preprocessor.prepare(bytes, info, options);
      return {
        mode,
        inputs: [tensor],
        problems: [problems],
        fieldProblems: [],
        window,
        cells: null,
        cropScale: null,
      };
    }
    return this.prepareField(bytes, info, options);
  }

  private async prepareField(
    bytes: Uint8Array,
    info: CaptureInfo,
    options: DecodeLimits & { page?: number },
  ): Promise<PreparedCapture> {
    if (!this.detector) {
      throw new CaptureError(
        'no-detector',
        `This capture is a whole field (${info.width} × ${info.height} pixels), but no cell finder is loaded to find its cells: ${this.detectorProblem ?? 'none is installed.'} Set the folder to "each capture is one cell" to classify it whole.`,
      );
    }
    const { manifest, preprocessor } = this.classifier;
    const field = await decodePixels(bytes, info, {
      page: options.page ?? manifest.preprocessing.page,
      maxPixels: options.maxPixels,
      colour: 'grey',
    });
    const cropScale = await this.cropScaleOf(bytes);
    const detection = await this.detector.find(field);
    const { input } = manifest;
    const crop = this.cropSize();
    const inputSize = { width: input.width, height: input.height };
    // The window is the manifest's crop at the model's pixel size, sampled to the input size.
    const scale = cropScale.scale * (crop.width / input.width);
    const cells: PlannedCell[] = [];
    const inputs: Float32Array[] = [];
    const problems: string[][] = [];
    const source = {
      channels: info.colour === 'grey' ? 1 : 3,
      bitDepth: info.bitDepth,
      whole: false,
      ...inputSize,
    };
    for (const cell of detection.cells) {
      const plan = planCrop({ x: cell.x, y: cell.y }, inputSize, field, scale);
      const prepared = preprocessor.fromPixels(cutCrop(field, plan, inputSize), source);
      cells.push({ ...cell, crop: plan, window: prepared.window });
      inputs.push(prepared.tensor);
      problems.push(prepared.problems);
    }
    const fieldProblems = preprocessor.check(field, { ...source, width: field.width, height: field.height });
    return { mode: 'find-cells', inputs, problems, fieldProblems, window: null, cells, cropScale };
  }

  private async cropScaleOf(bytes: Uint8Array): Promise<CropScale> {
    const capture = await readPixelSize(bytes);
    const model = this.classifier.manifest.pixelSizeUm;
    if (capture && model) {
      return {
        captureUmPerPixel: capture.umPerPixel,
        captureSource: capture.source,
        modelUmPerPixel: model,
        scale: model / capture.umPerPixel,
        note: `Windows rescaled from ${capture.umPerPixel} µm/pixel (${capture.source}) to the model's ${model} µm/pixel.`,
      };
    }
    const missing =
      !capture && !model
        ? 'neither the capture nor the model states its pixel size'
        : !capture
          ? 'the capture does not state its pixel size'
          : 'the model does not state the pixel size it was trained at';
    return {
      captureUmPerPixel: capture?.umPerPixel ?? null,
      captureSource: capture?.source ?? null,
      modelUmPerPixel: model,
      scale: 1,
      note: `Windows cut at the capture's own pixel size: ${missing}.`,
    };
  }

  /** Puts a capture's predictions (one per input, in order) back together. */
  conclude(prepared: PreparedCapture, predictions: Prediction[]): AnalysedCapture {
    const { mode, cropScale } = prepared;
    const { manifest } = this.classifier;
    const verdicts = predictions.map((p, i) => judgeScope(manifest, prepared.problems[i] ?? [], p.distance));
    if (mode === 'one-cell' || !prepared.cells) {
      const prediction = predictions[0]!;
      const uncertain = verdicts[0]!.inScope && prediction.probability < this.classifier.sureAt;
      return { mode, prediction, scope: verdicts[0]!, uncertain, cells: null, summary: null, cropScale };
    }
    const cells = prepared.cells.map((cell, i) => ({
      ...cell,
      prediction: predictions[i]!,
      scope: verdicts[i]!,
    }));
    // Cells out of scope are counted apart, never as a class.
    const inScope = cells.filter((c) => c.scope.inScope).map((c) => c.prediction);
    const summary = summarise(manifest.classes, inScope, cells.length);
    const prediction = fieldPrediction(manifest.classes, summary);
    const scope = fieldScope(verdicts, prepared.fieldProblems);
    return { mode, prediction, scope, uncertain: false, cells, summary, cropScale };
  }
}

/**
 * A field is out of scope when the field itself fails an input check (found cells or not), or when
 * it has cells and none of them is in scope (then with the most common reason).
 */
function fieldScope(verdicts: ScopeVerdict[], fieldProblems: string[]): ScopeVerdict {
  const method = verdicts[0]?.method ?? (fieldProblems.length > 0 ? 'input-checks' : 'none');
  const threshold = verdicts[0]?.threshold ?? null;
  if (fieldProblems.length > 0)
    return { inScope: false, score: null, threshold, method, reason: fieldProblems.join(' ') };
  if (verdicts.length === 0 || verdicts.some((v) => v.inScope))
    return { inScope: true, score: null, threshold, method, reason: null };
  const reasons = new Map<string, number>();
  for (const v of verdicts) reasons.set(v.reason!, (reasons.get(v.reason!) ?? 0) + 1);
  const common = [...reasons].sort((x, y) => y[1] - x[1])[0]![0];
  return {
    inScope: false,
    score: null,
    threshold,
    method,
    reason: `None of its ${verdicts.length} cells is in scope. ${common}`,
  };
}

import path from 'node:path';
import { decodePixels, type CaptureInfo, type CapturePixels, type DecodeLimits } from '../capture/decode.js';
import { CaptureError } from '../capture/errors.js';
import { percentileWindow, scalingTable, type IntensityWindow } from '../capture/intensity.js';
import { ModelError } from './errors.js';
import { inputProblems, type CheckedImage } from './input-checks.js';
import type { ModelManifest } from './manifest.js';
import { loadReferenceQuantiles, matchToReference, type ReferenceQuantiles } from './reference-quantiles.js';

/** One capture as the model sees it: C×H×W (or H×W×C) float32, exactly as the manifest states. */
export interface ModelInput {
  tensor: Float32Array;
  /** The raw-value window that was mapped to 0..1, for the result's provenance. */
  window: IntensityWindow;
  /** The manifest's input checks this image fails, in plain sentences (none: it passes, or there are none). */
  problems: string[];
}

/** Where pixels came from, for the input checks: the capture's make-up, and whether it goes to the model whole. */
export type PixelSource = Omit<CheckedImage, 'pixels'>;

/** The scalings that map raw values through a window alone (no reference image). */
export type WindowScaling =
  | { mode: 'bit-depth' }
  | { mode: 'fixed'; min: number; max: number }
  | { mode: 'percentile'; low: number; high: number };

/** The raw-value window a scaling maps to 0..1 for these pixels. */
export function intensityWindow(intensity: WindowScaling, pixels: CapturePixels): IntensityWindow {
  switch (intensity.mode) {
    case 'bit-depth':
      return { low: 0, high: pixels.bitDepth === 16 ? 65535 : 255 };
    case 'fixed':
      return { low: intensity.min, high: intensity.max };
    case 'percentile':
      // Taken over the pixels the model sees (resized or cut), not the full-resolution capture.
      return percentileWindow(pixels.data, pixels.bitDepth, intensity.low, intensity.high);
  }
}

type TableCache = Map<string, Float32Array>;

/**
 * The manifest's intensity step alone: the pixels (matched to the reference, where the manifest
 * says so) and the raw-value window then mapped to 0..1. What a person is shown as "the crop as
 * the classifier saw it".
 */
export function intensityStep(
  manifest: ModelManifest,
  pixels: CapturePixels,
  reference: ReferenceQuantiles | null,
): { pixels: CapturePixels; window: IntensityWindow } {
  const intensity = manifest.preprocessing.intensity;
  if (intensity.mode !== 'reference-quantiles') return { pixels, window: intensityWindow(intensity, pixels) };
  if (!reference) throw new Error(`The reference image ${intensity.reference} was not loaded.`);
  // Matched pixels take the reference's values: they are scaled by the reference's bit depth.
  const matched = matchToReference(pixels, reference);
  return { pixels: matched, window: intensityWindow({ mode: 'bit-depth' }, matched) };
}

/** Lays pixels already at the model's size out as its input tensor, scaling each sample through a lookup table. */
export function toModelInput(
  manifest: ModelManifest,
  pixels: CapturePixels,
  tables: TableCache = new Map(),
  reference: ReferenceQuantiles | null = null,
): Omit<ModelInput, 'problems'> {
  const { input, preprocessing } = manifest;
  const stepped = intensityStep(manifest, pixels, reference);
  const window = stepped.window;
  pixels = stepped.pixels;
  const channels = input.channels;
  const plane = pixels.width * pixels.height;
  const tensor = new Float32Array(plane * channels);
  for (let c = 0; c < channels; c++) {
    const mean = preprocessing.mean[preprocessing.mean.length === 1 ? 0 : c]!;
    const std = preprocessing.std[preprocessing.std.length === 1 ? 0 : c]!;
    const key = `${pixels.bitDepth}:${window.low}:${window.high}:${mean}:${std}`;
    let table = tables.get(key);
    if (!table) {
      table = scalingTable(pixels.bitDepth, window, mean, std);
      // Fixed windows repeat capture after capture; percentile windows rarely do, so keep the cache small.
      if (tables.size > 16) tables.clear();
      tables.set(key, table);
    }
    const source = pixels.data;
    const stride = pixels.channels;
    const offsetIn = pixels.channels === 1 ? 0 : c;
    if (input.layout === 'NCHW') {
      const base = c * plane;
      for (let i = 0; i < plane; i++) tensor[base + i] = table[source[i * stride + offsetIn] as number]!;
    } else {
      for (let i = 0; i < plane; i++)
        tensor[i * channels + c] = table[source[i * stride + offsetIn] as number]!;
    }
  }
  return { tensor, window };
}

/** Turns captures into a model's input tensors; one per model, so its lookup tables and reference are reused. */
export class Preprocessor {
  private readonly tables: TableCache = new Map();

  constructor(
    readonly manifest: ModelManifest,
    private readonly reference: ReferenceQuantiles | null = null,
  ) {}

  /** Reads what the manifest's intensity step needs from the model folder (a reference image). */
  static async open(manifest: ModelManifest, folder: string): Promise<Preprocessor> {
    const intensity = manifest.preprocessing.intensity;
    if (intensity.mode !== 'reference-quantiles') return new Preprocessor(manifest);
    const file = path.join(folder, intensity.reference);
    try {
      return new Preprocessor(manifest, await loadReferenceQuantiles(file, intensity.quantiles));
    } catch (error) {
      throw new ModelError(
        'model-missing',
        `The reference image ${file} that model.json names for its intensity step cannot be read (${(error as Error).message}).`,
      );
    }
  }

  /** Decodes a capture straight to the model's input size and colour, then builds its tensor. */
  async prepare(
    bytes: Uint8Array,
    info: CaptureInfo,
    options: DecodeLimits & { page?: number } = {},
  ): Promise<ModelInput> {
    const { input, preprocessing } = this.manifest;
    if (input.channels === 3 && info.colour === 'grey' && !preprocessing.grayToRgb) {
      throw new CaptureError(
        'wrong-channels',
        `The model "${this.manifest.name}" needs colour (RGB) images and this capture is greyscale.`,
      );
    }
    const pixels = await decodePixels(bytes, info, {
      page: options.page ?? preprocessing.page,
      maxPixels: options.maxPixels,
      size: { width: input.width, height: input.height, resize: preprocessing.resize },
      colour: input.channels === 1 ? 'grey' : 'rgb',
    });
    return this.fromPixels(pixels, {
      channels: info.colour === 'grey' ? 1 : 3,
      bitDepth: info.bitDepth,
      whole: true,
      width: info.width,
      height: info.height,
    });
  }

  /** The intensity step alone, for showing a crop as the model sees it. */
  intensityStep(pixels: CapturePixels): { pixels: CapturePixels; window: IntensityWindow } {
    return intensityStep(this.manifest, pixels, this.reference);
  }

  /** Builds the tensor of pixels already at the model's input size (a crop cut from a field), and checks them. */
  fromPixels(pixels: CapturePixels, source: PixelSource): ModelInput {
    // Checked before the intensity step, on the pixels the model is given (resized, or cut).
    return { ...toModelInput(this.manifest, pixels, this.tables, this.reference), problems: this.check(pixels, source) };
  }

  /** The manifest's input checks these pixels fail (a whole field too, where no cell may be found). */
  check(pixels: CapturePixels, source: PixelSource): string[] {
    const scope = this.manifest.scope?.input;
    return scope ? inputProblems(scope, { ...source, pixels }) : [];
  }
}

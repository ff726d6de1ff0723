import { decodePixels, type CaptureInfo, type CapturePixels, type DecodeLimits } from '../capture/decode.js';
import { CaptureError } from '../capture/errors.js';
import { percentileWindow, scalingTable, type IntensityWindow } from '../capture/intensity.js';
import type { ModelManifest } from './manifest.js';

/** One capture as the model sees it: C×H×W (or H×W×C) float32, exactly as the manifest states. */
export interface ModelInput {
  tensor: Float32Array;
  /** The raw-value window that was mapped to 0..1, for the result's provenance. */
  window: IntensityWindow;
}

export function inputWindow(manifest: ModelManifest, pixels: CapturePixels): IntensityWindow {
  const intensity = manifest.preprocessing.intensity;
  switch (intensity.mode) {
    case 'bit-depth':
      return { low: 0, high: pixels.bitDepth === 16 ? 65535 : 255 };
    case 'fixed':
      return { low: intensity.min, high: intensity.max };
    case 'percentile':
      // Taken over the resized image the model sees, not the full-resolution capture.
      return percentileWindow(pixels.data, pixels.bitDepth, intensity.low, intensity.high);
  }
}

type TableCache = Map<string, Float32Array>;

/** Lays decoded pixels out as the model's input tensor, scaling each sample through a lookup table. */
export function toModelInput(manifest: ModelManifest, pixels: CapturePixels, tables: TableCache = new Map()): ModelInput {
  const { input, preprocessing } = manifest;
  const window = inputWindow(manifest, pixels);
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
      for (let i = 0; i < plane; i++) tensor[i * channels + c] = table[source[i * stride + offsetIn] as number]!;
    }
  }
  return { tensor, window };
}

/** Turns captures into a model's input tensors; one per model, so its lookup tables are reused. */
export class Preprocessor {
  private readonly tables: TableCache = new Map();

  constructor(readonly manifest: ModelManifest) {}

  /** Decodes a capture straight to the model's input size and colour, then builds its tensor. */
  async prepare(bytes: Uint8Array, info: CaptureInfo, options: DecodeLimits & { page?: number } = {}): Promise<ModelInput> {
    return prepareCapture(this.manifest, bytes, info, options, this.tables);
  }
}

async function prepareCapture(
  manifest: ModelManifest,
  bytes: Uint8Array,
  info: CaptureInfo,
  options: DecodeLimits & { page?: number },
  tables: TableCache,
): Promise<ModelInput> {
  const { input, preprocessing } = manifest;
  if (input.channels === 3 && info.colour === 'grey' && !preprocessing.grayToRgb) {
    throw new CaptureError(
      'wrong-channels',
      `The model "${manifest.name}" needs colour (RGB) images and this capture is greyscale.`,
    );
  }
  const pixels = await decodePixels(bytes, info, {
    page: options.page ?? preprocessing.page,
    maxPixels: options.maxPixels,
    size: { width: input.width, height: input.height, resize: preprocessing.resize },
    colour: input.channels === 1 ? 'grey' : 'rgb',
  });
  return toModelInput(manifest, pixels, tables);
}

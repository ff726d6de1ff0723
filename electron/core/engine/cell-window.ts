import { decodePixels, readCaptureInfo } from '../capture/decode.js';
import { renderPixels } from '../capture/display.js';
import type { IntensityWindow } from '../capture/intensity.js';
import { cutCrop, type CropPlan } from '../cells/crops.js';
import type { Preprocessor } from '../model/preprocess.js';
import type { StoredCell } from '../store/cells.js';

export interface CellWindowRequest {
  size: number;
  page?: number;
  format: 'png' | 'webp';
}

/**
 * The window cut around one cell of a field, as the classifier saw it: cut exactly as planned when
 * it was classified, then put through the classifier's intensity step. Without that classifier
 * (another model is active now), the stored raw window is used.
 */
export async function renderCellWindow(
  bytes: Uint8Array,
  cell: StoredCell,
  preprocessor: Preprocessor | null,
  request: CellWindowRequest,
): Promise<{ body: Buffer; mime: string; window: IntensityWindow }> {
  const info = await readCaptureInfo(bytes);
  const field = await decodePixels(bytes, info, { page: request.page, colour: 'grey' });
  const crop = cell.crop as {
    x: number;
    y: number;
    width: number;
    height: number;
    scale: number;
    edge: boolean;
    intensityWindow: IntensityWindow | null;
  };
  const plan: CropPlan = {
    centre: { x: cell.x, y: cell.y },
    window: { x: crop.x, y: crop.y, width: crop.width, height: crop.height },
    edge: crop.edge,
    scale: crop.scale,
  };
  const size = { width: Math.round(crop.width / crop.scale), height: Math.round(crop.height / crop.scale) };
  const pixels = cutCrop(field, plan, size);
  const stepped = preprocessor
    ? preprocessor.intensityStep(pixels)
    : { pixels, window: crop.intensityWindow ?? ('auto' as const) };
  const shown = await renderPixels(stepped.pixels, { window: stepped.window, format: request.format });
  return { body: shown.image, mime: shown.mime, window: shown.window };
}

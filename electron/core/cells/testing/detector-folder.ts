import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encode, greyImage } from '../../capture/testing/images.js';
import type { DetectorManifest } from '../../model/manifest.js';
import { thresholdDetectorModel } from '../../model/testing/onnx-writer.js';

/**
 * A stand-in cell finder for tests: bright pixels are cells, so bright discs on a dark field come
 * out as one cell each. Real ONNX, real manifest, real decoder.
 */
export async function writeDetectorFolder(
  folder: string,
  changes: Partial<DetectorManifest['output']> = {},
): Promise<DetectorManifest> {
  const onnx = thresholdDetectorModel({ gain: 8, offset: 0 });
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'model.onnx'), onnx);
  const manifest: DetectorManifest = {
    kind: 'detector',
    id: 'test-bright-discs',
    name: 'Test cell finder (bright discs)',
    version: '1.0.0',
    description: 'Finds bright blobs; for tests only.',
    pixelSizeUm: null,
    onnx: { file: 'model.onnx', sha256: createHash('sha256').update(onnx).digest('hex') },
    input: { name: 'image', layout: 'NCHW', channels: 1, dtype: 'float32', scale: 0.5, multipleOf: 16 },
    // Percentiles of a mostly dark field put the background near 0 and the discs near 1; after
    // (x − 0.5) / 0.25 the logit 8·x is negative on the background and positive on a disc.
    preprocessing: {
      page: 0,
      intensity: { mode: 'percentile', low: 1, high: 99.5 },
      mean: [0.5],
      std: [0.25],
    },
    output: {
      name: 'maps',
      activation: 'sigmoid',
      decoder: 'foreground-boundary',
      foregroundChannel: 0,
      boundaryChannel: 1,
      foregroundThreshold: 0.5,
      boundaryThreshold: 0.5,
      minSeedArea: 4,
      minArea: 20,
      ...changes,
    } as DetectorManifest['output'],
  };
  await writeFile(path.join(folder, 'model.json'), JSON.stringify(manifest, null, 2));
  return manifest;
}

export interface Disc {
  x: number;
  y: number;
  radius: number;
}

/** A 16-bit grey field of bright discs on a dim, slightly noisy background, as a TIFF. */
export function discField(
  width: number,
  height: number,
  discs: Disc[],
  bright = 40_000,
  dim = 3_000,
): Promise<Buffer> {
  const inside = (x: number, y: number) =>
    discs.some((d) => (x - d.x) ** 2 + (y - d.y) ** 2 <= d.radius ** 2);
  // A fixed ripple instead of random noise, so the field is the same in every run.
  return encode(
    greyImage(width, height, 16, (x, y) => (inside(x, y) ? bright : dim) + ((x * 7 + y * 13) % 400)),
    'tiff',
  );
}

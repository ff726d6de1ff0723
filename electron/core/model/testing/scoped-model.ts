import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModelManifest } from '../manifest.js';
import { writeModelFolder, type ManifestChanges } from './model-folder.js';

/**
 * A tiny model with a scope check, for tests: its features are the input's mean (0..1), its
 * "training data" sits at 0.3 and 0.7 with a spread of 0.05, so the distance is
 * |mean − nearest centre| / 0.05 and 3 is the threshold; 8-bit grey images with a symmetric
 * histogram pass the input checks, 16-bit ones and fluorescence-like ones (a dark field with a
 * bright tail) fail them.
 */
export async function writeScopedModel(
  folder: string,
  changes: Omit<ManifestChanges, 'scope'> = {},
): Promise<ModelManifest> {
  const manifest = await writeModelFolder(
    folder,
    { channels: 1, height: 8, width: 8, weights: [[4]], bias: [-2], featuresOutput: 'features' },
    {
      ...changes,
      scope: {
        features: { output: 'features', method: 'mahalanobis', file: 'scope.json', threshold: 3 },
        input: {
          bitDepths: [8],
          channels: [1],
          minSide: 8,
          maxSide: 64,
          statistics: { tailRatio: { min: 0.5, max: 2 } },
          trainedOn: 'brightfield',
        },
      },
    },
  );
  await writeFile(
    path.join(folder, 'scope.json'),
    JSON.stringify({
      method: 'mahalanobis',
      classes: ['dim', 'bright'],
      dims: 1,
      means: [[0.3], [0.7]],
      precision: [[400]],
    }),
  );
  return manifest;
}

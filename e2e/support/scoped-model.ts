import { existsSync } from 'node:fs';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeModelFolder } from '../../electron/core/model/testing/model-folder.js';
import { writeScopedModel } from '../../electron/core/model/testing/scoped-model.js';
import { encode, greyImage } from '../../electron/core/capture/testing/images.js';
import type { CaptureFile } from './captures.js';

/**
 * The tiny scoped test model (electron/core/model/testing/scoped-model.ts) with threshold 0.3:
 * "bright" from p(bright) ≥ 0.3, and a class is given only when the model is at least
 * max(0.3, 0.7) = 70 % sure, so p(bright) between 0.3 and 0.7 is uncertain.
 */
export async function writeScopeTestModel(folder: string): Promise<void> {
  await writeScopedModel(folder, {
    id: 'test-scoped',
    name: 'Test model with a scope check',
    threshold: 0.3,
  });
}

/** A 16×16 8-bit grey capture whose values rise across it, centred on `mean` (0..1): a symmetric histogram. */
const ramp = async (name: string, mean: number): Promise<CaptureFile> => ({
  name,
  bytes: await encode(
    greyImage(16, 16, 8, (x) => Math.round(mean * 255) - 30 + x * 4),
    'png',
  ),
});

/** What the scope test model makes of each: a class, uncertain, and out of scope. */
export async function scopeCaptures(): Promise<{
  inScope: CaptureFile;
  uncertain: CaptureFile;
  outOfScope: CaptureFile;
}> {
  return {
    // Mean 0.75: 1 spread from "bright", p(bright) = σ(4 · 0.75 − 2) ≈ 73 %.
    inScope: await ramp('brightfield-cell.png', 0.75),
    // Mean 0.62: still near "bright" (1.6 spreads), but p(bright) ≈ 62 %, under the 70 % asked.
    uncertain: await ramp('faint-cell.png', 0.62),
    // A dark field with one bright corner, as a fluorescence image looks: far from both classes too.
    outOfScope: {
      name: 'fluorescence-like.png',
      bytes: await encode(
        greyImage(16, 16, 8, (x, y) => (x > 12 && y > 12 ? 250 : 10 + ((x + y) % 3))),
        'png',
      ),
    },
  };
}

/**
 * The shipped model without its scope check, under its own version: generated captures are rightly
 * out of its scope, and tests about showing classes and cells need classes. The small test model
 * where the shipped one is not in the checkout.
 */
export async function writeShippedModelWithoutScope(folder: string): Promise<void> {
  const shipped = path.resolve('models/default');
  if (!existsSync(path.join(shipped, 'model.json'))) return void (await writeModelFolder(folder));
  await cp(shipped, folder, { recursive: true });
  const manifest = JSON.parse(await readFile(path.join(folder, 'model.json'), 'utf8'));
  delete manifest.scope;
  // Its own version, so it is not mistaken for the built-in model it was copied from.
  manifest.version = `${manifest.version}-without-scope`;
  await writeFile(path.join(folder, 'model.json'), JSON.stringify(manifest));
}

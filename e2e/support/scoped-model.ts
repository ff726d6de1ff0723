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

import type { EngineHandlers } from '../../../contract/api.js';
import { intensityHistogram, valuesAt } from '../../capture/raw-values.js';
import type { EngineContext } from '../context.js';
import { RawRasters } from '../raw-rasters.js';

/** A capture's raw pixel values: its histogram, the value under the cursor, its stated pixel size. */
export function pixelRequests(
  { store }: EngineContext,
  rasters = new RawRasters((sha256) => store.captures.get(sha256)),
) {
  return {
    'captures.histogram': async ({ sha256, page, bins }) =>
      intensityHistogram((await rasters.get(sha256, page)).pixels, bins),
    'captures.pixel': async ({ sha256, page, x, y }) => ({
      x,
      y,
      values: valuesAt((await rasters.get(sha256, page)).pixels, x, y),
    }),
    'captures.pixelSize': async ({ sha256 }) => (await rasters.get(sha256, 0)).pixelSize,
  } satisfies Partial<EngineHandlers>;
}

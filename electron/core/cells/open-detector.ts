import { existsSync } from 'node:fs';
import { ModelError } from '../model/errors.js';
import type { SessionOptions } from '../model/session.js';
import { defaultDetectorFolder } from '../paths.js';
import { Detector } from './detector.js';

/**
 * Opens a cell finder (default: the built-in one). Whole fields need one, single cells do not: so
 * unless it is `required`, a finder that cannot be opened is reported as a problem, not thrown.
 * An installation without the built-in one (no models/detector folder) has no finder and no
 * problem: every capture is then classified whole, as before cells were found.
 */
export async function openDetector(
  folder: string | undefined,
  options: SessionOptions,
  { required }: { required: boolean },
): Promise<{ detector: Detector | null; problem: string | null }> {
  if (!folder && !existsSync(defaultDetectorFolder())) return { detector: null, problem: null };
  try {
    return { detector: await Detector.open(folder ?? defaultDetectorFolder(), options), problem: null };
  } catch (error) {
    if (required) {
      throw error instanceof ModelError
        ? error
        : new ModelError(
            'session-failed',
            `The cell finder could not be loaded: ${(error as Error).message}`,
          );
    }
    return { detector: null, problem: `the cell finder could not be loaded (${(error as Error).message})` };
  }
}

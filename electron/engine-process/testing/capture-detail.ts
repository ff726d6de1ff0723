import path from 'node:path';
import type { CaptureDetail } from '../../contract/types.js';

/** A classified capture's detail as the engine answers `captures.get`, for tests of the front doors. */
export function captureDetail(sha256: string, paths: string[]): CaptureDetail {
  return {
    capture: {
      sha256,
      fileName: path.basename(paths[0] ?? 'x.png'),
      paths,
      folderId: 1,
      state: 'done',
      failureReason: null,
      width: 4,
      height: 4,
      bitDepth: 8,
      pages: 1,
      class: null,
      finalLabel: null,
      probability: null,
      probabilities: null,
      provider: null,
      model: null,
      durationMs: null,
      classifiedAt: null,
      review: null,
      analysis: null,
      summary: null,
      scope: null,
      uncertain: false,
    },
    format: 'png',
    channels: 1,
    results: [],
    reviews: [],
    cells: [],
  };
}

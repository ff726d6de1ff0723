import type { Analysis, ClassifiedCell } from '../cells/analysis.js';
import type { ClassifiedOutcome } from '../pipeline/pipeline.js';
import type { CellInput, ResultInput } from '../store/captures.js';

/**
 * A classification as it is stored: with everything needed to reproduce it, i.e. the exact
 * model file and where it ran, the preprocessing as applied (the intensity window included) and,
 * for a field, the detector and how each cell's window was cut.
 */
export function resultOf(outcome: ClassifiedOutcome, sha256: string, analysis: Analysis, appVersion: string): ResultInput {
  const { classifier, detector } = analysis;
  const { manifest } = classifier;
  const { input } = manifest;
  const { analysed } = outcome;
  const field = analysed.mode === 'find-cells';
  return {
    sha256,
    analysis: analysed.mode,
    detector: field && detector ? { id: detector.identity.id, version: detector.identity.version, sha256: detector.identity.sha256 } : null,
    cells: analysed.cells?.map(cellOf) ?? null,
    summary: analysed.summary,
    scope: analysed.scope,
    uncertain: analysed.uncertain,
    model: { id: classifier.identity.id, version: classifier.identity.version, sha256: classifier.identity.sha256 },
    probabilities: analysed.prediction.probabilities,
    className: analysed.prediction.class,
    probability: analysed.prediction.probability,
    provider: classifier.provider,
    preprocessing: {
      ...manifest.preprocessing,
      page: outcome.job.page ?? manifest.preprocessing.page,
      window: outcome.window,
      input: { width: input.width, height: input.height, channels: input.channels, layout: input.layout },
      threshold: classifier.threshold,
      analysis: field
        ? {
            mode: 'find-cells',
            detector: detector && { ...detector.identity, provider: detector.provider, decoder: detector.manifest.output },
            crop: analysed.cropScale,
            edge: 'A window that crosses the field edge is filled by mirroring the field at the edge.',
          }
        : { mode: 'one-cell' },
    },
    appVersion,
    durationMs: outcome.durationMs,
    classifiedAt: Date.now(),
  };
}

/** A classified cell as it is stored and reported: coordinates to a tenth of a pixel. */
export function cellOf(cell: ClassifiedCell): CellInput {
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    x: round(cell.x),
    y: round(cell.y),
    box: cell.box,
    area: cell.area,
    outline: cell.outline.map(([x, y]) => [round(x), round(y)]),
    score: cell.score,
    className: cell.prediction.class,
    probability: cell.prediction.probability,
    probabilities: cell.prediction.probabilities,
    crop: { ...cell.crop.window, scale: cell.crop.scale, edge: cell.crop.edge, intensityWindow: cell.window },
    scope: cell.scope,
  };
}

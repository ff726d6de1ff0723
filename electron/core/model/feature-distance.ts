import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ModelError } from './errors.js';

/**
 * The training data as the scope check sees it: each class's mean feature vector and one shared
 * precision (inverse covariance) matrix, written by the training script beside the model.
 */
const statisticsSchema = z
  .object({
    method: z.literal('mahalanobis'),
    classes: z.array(z.string()).min(1),
    dims: z.number().int().positive(),
    means: z.array(z.array(z.number())).min(1),
    precision: z.array(z.array(z.number())),
  })
  .refine(
    (s) =>
      s.means.every((m) => m.length === s.dims) &&
      s.precision.length === s.dims &&
      s.precision.every((r) => r.length === s.dims),
    {
      message: 'means and precision must have dims values per row',
    },
  );

/** Mahalanobis distance of a feature vector to the nearest training class. */
export class FeatureDistance {
  private constructor(
    private readonly means: Float64Array[],
    private readonly precision: Float64Array,
    readonly dims: number,
  ) {}

  static async open(folder: string, file: string): Promise<FeatureDistance> {
    const where = path.join(folder, file);
    let parsed: z.infer<typeof statisticsSchema>;
    try {
      parsed = statisticsSchema.parse(JSON.parse(await readFile(where, 'utf8')));
    } catch (error) {
      throw new ModelError(
        'model-missing',
        `The scope statistics ${where} that model.json names cannot be read (${(error as Error).message.split('\n')[0]}).`,
      );
    }
    return new FeatureDistance(
      parsed.means.map((m) => Float64Array.from(m)),
      Float64Array.from(parsed.precision.flat()),
      parsed.dims,
    );
  }

  /** min over classes of sqrt((f − μ)ᵀ P (f − μ)). */
  score(features: ArrayLike<number>): number {
    const n = this.dims;
    if (features.length !== n)
      throw new Error(`The model gave ${features.length} features where its scope statistics have ${n}.`);
    const diff = new Float64Array(n);
    let best = Number.POSITIVE_INFINITY;
    for (const mean of this.means) {
      for (let i = 0; i < n; i++) diff[i] = features[i]! - mean[i]!;
      let total = 0;
      for (let i = 0; i < n; i++) {
        let row = 0;
        const base = i * n;
        for (let j = 0; j < n; j++) row += this.precision[base + j]! * diff[j]!;
        total += diff[i]! * row;
      }
      best = Math.min(best, Math.sqrt(Math.max(0, total)));
    }
    return best;
  }
}

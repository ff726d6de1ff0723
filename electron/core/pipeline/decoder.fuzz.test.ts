// Security check (runs in `npm test`): mutated TIFF, PNG and JPEG bytes — truncations, bit flips,
// absurd dimensions, absurd TIFF directory counts — fed through the real pipeline. Each must come
// back as exactly one outcome (classified, or failed with a sentence), within a time limit, and the
// pipeline must go on classifying the next good capture.
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, greyImage, makeTempDir, multiPageTiff, writeCapture, type EncodedFormat } from '../capture/testing/images.js';
import { Analysis } from '../cells/analysis.js';
import { Classifier } from '../model/classifier.js';
import { writeModelFolder } from '../model/testing/model-folder.js';
import { Pipeline, type Outcome } from './pipeline.js';

const runs = Number(process.env.METASCOPE_FUZZ_RUNS ?? 60);
const perCaptureLimitMs = 15_000;
const temp = makeTempDir('metascope-decoder-fuzz-');
let classifier: Classifier;
const seeds: Partial<Record<EncodedFormat | 'tiff-2pages', Buffer>> = {};
let goodCapture: string;

beforeAll(async () => {
  await writeModelFolder(path.join(temp.dir, 'model'));
  classifier = await Classifier.open(path.join(temp.dir, 'model'), { provider: 'cpu', threads: 1 });
  const image = greyImage(24, 16, 8, (x, y) => (x * 9 + y * 5) % 256);
  for (const format of ['tiff', 'png', 'jpeg'] as const) seeds[format] = await encode(image, format);
  seeds['tiff-2pages'] = await multiPageTiff([image, greyImage(24, 16, 8, () => 200)]);
  goodCapture = writeCapture(temp.dir, 'good.png', await encode(greyImage(8, 8, 8, () => 204), 'png'));
});

afterAll(async () => {
  await classifier.close();
  temp.remove();
});

type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; positions: number[]; bits: number[] }
  | { kind: 'overwrite'; at: number; bytes: number[] };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({
    kind: fc.constant('flip' as const),
    positions: fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { minLength: 1, maxLength: 12 }),
    bits: fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 12, maxLength: 12 }),
  }),
  // Header fields (dimensions, IFD offsets and counts) live in the first bytes: hit them with 0xFF/0x00 runs.
  fc.record({
    kind: fc.constant('overwrite' as const),
    at: fc.integer({ min: 0, max: 64 }),
    bytes: fc.array(fc.constantFrom(0x00, 0xff, 0x7f, 0x80), { minLength: 1, maxLength: 8 }),
  }),
);

function mutate(seed: Buffer, m: Mutation): Buffer {
  const bytes = Buffer.from(seed);
  switch (m.kind) {
    case 'truncate':
      return bytes.subarray(0, Math.floor(m.at * bytes.length));
    case 'flip':
      m.positions.forEach((p, i) => {
        const at = Math.floor(p * bytes.length);
        bytes[at] = bytes[at]! ^ (1 << m.bits[i]!);
      });
      return bytes;
    case 'overwrite':
      m.bytes.forEach((b, i) => {
        if (m.at + i < bytes.length) bytes[m.at + i] = b;
      });
      return bytes;
  }
}

/** Runs files through one pipeline and collects their outcomes, failing if any takes too long. */
async function classifyAll(files: string[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const pipeline = new Pipeline({ analysis: new Analysis(classifier, null), batchSize: 4, maxPixels: 4096 * 4096, onOutcomes: (o) => void outcomes.push(...o) });
  pipeline.push(...files.map((file) => ({ path: file })));
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no outcome within ${perCaptureLimitMs} ms: ${files.join(', ')}`)), perCaptureLimitMs);
  });
  try {
    await Promise.race([pipeline.idle(), limit]);
  } finally {
    clearTimeout(timer);
  }
  return outcomes;
}

describe('decoder fuzzing', () => {
  it('gives every mutated capture one outcome with a reason, and keeps classifying good ones', async () => {
    let failed = 0;
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...(Object.keys(seeds) as (keyof typeof seeds)[])), mutation, async (format, m) => {
        const extension = format === 'png' ? 'png' : format === 'jpeg' ? 'jpg' : 'tif';
        const file = writeCapture(temp.dir, `mutant-${n++}.${extension}`, mutate(seeds[format]!, m));
        const outcomes = await classifyAll([file, goodCapture]);
        expect(outcomes).toHaveLength(2);
        const mutant = outcomes.find((o) => o.job.path === file)!;
        const good = outcomes.find((o) => o.job.path === goodCapture)!;
        if (mutant.status === 'failed') {
          failed++;
          // A sentence for people, never an empty string or a bare stack trace.
          expect(mutant.reason.length, mutant.reason).toBeGreaterThan(20);
          expect(mutant.reason).not.toMatch(/^\s*at |\n\s+at /);
        } else {
          expect(Object.values(mutant.analysed.prediction.probabilities).every(Number.isFinite)).toBe(true);
        }
        expect(good.status).toBe('ok');
      }),
      { numRuns: runs },
    );
    // Most mutations break a file; if none did, the mutator is not doing its job.
    expect(failed).toBeGreaterThan(runs / 4);
  }, 300_000);

  it('refuses absurd dimensions in a header before decoding', async () => {
    const png = Buffer.from(seeds.png!);
    // IHDR width and height: bytes 16..23 of a PNG.
    png.writeUInt32BE(0x7fffffff, 16);
    png.writeUInt32BE(0x7fffffff, 20);
    const [outcome] = await classifyAll([writeCapture(temp.dir, 'huge.png', png)]);
    expect(outcome?.status).toBe('failed');
    if (outcome?.status === 'failed') expect(outcome.reason).toMatch(/pixels|damaged/);
  });
});

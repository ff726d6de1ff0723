import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ModelError } from './errors.js';
import { knownStatistics } from './input-checks.js';

/**
 * `model.json`: everything the engine needs to know about a model. The engine has no
 * model-specific code; a new model is a new folder with an ONNX file and this manifest.
 */
const intensitySchema = z.discriminatedUnion('mode', [
  // Divide by the largest value the capture's bit depth can hold (255, 65535, ...).
  z.object({ mode: z.literal('bit-depth') }),
  // Map a fixed range of raw values to 0..1, clipping outside it (e.g. 12-bit data: 0..4095).
  z.object({ mode: z.literal('fixed'), min: z.number(), max: z.number() }).refine((r) => r.max > r.min, {
    message: 'max must be greater than min',
    path: ['max'],
  }),
  // Map the capture's own low..high percentile to 0..1, clipping outside it.
  z
    .object({
      mode: z.literal('percentile'),
      low: z.number().min(0).max(100),
      high: z.number().min(0).max(100),
    })
    .refine((r) => r.high > r.low, { message: 'high must be greater than low', path: ['high'] }),
]);

// Map the capture's own quantiles onto those of a reference image in the model folder, as the
// source lab of the default model did for every training crop; the result is then scaled by the
// reference's bit depth.
const referenceQuantilesSchema = z.object({
  mode: z.literal('reference-quantiles'),
  reference: z.string().min(1),
  quantiles: z.number().int().min(2).max(65536).default(1000),
});

const identitySchema = {
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" or "-"'),
  name: z.string().min(1),
  version: z.string().min(1),
  description: z.string().default(''),
  onnx: z.object({
    file: z.string().min(1).default('model.onnx'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 as 64 lower-case hex digits'),
  }),
  // The physical size of one pixel the model was trained at; null when unknown.
  pixelSizeUm: z.number().positive().nullable().default(null),
};

/**
 * What the model was trained on, so that an input unlike it is said to be out of scope instead of
 * given a class: a distance in the network's feature space (a second ONNX output, and the training
 * data's statistics in a file beside the model), and input checks that need no features.
 */
const scopeSchema = z.object({
  features: z
    .object({
      output: z.string().min(1),
      method: z.literal('mahalanobis'),
      file: z.string().min(1),
      // Scores above it are out of scope; chosen on held-out training folds.
      threshold: z.number().positive(),
    })
    .optional(),
  input: z
    .object({
      bitDepths: z
        .array(z.union([z.literal(8), z.literal(16)]))
        .min(1)
        .optional(),
      channels: z.array(z.number().int().min(1).max(4)).min(1).optional(),
      minSide: z.number().int().positive().optional(),
      maxSide: z.number().int().positive().optional(),
      // Per named statistic of the raw pixels (see input-checks.ts), the range seen in training.
      statistics: z.record(z.string(), z.object({ min: z.number(), max: z.number() })).default({}),
      // In the user's words, e.g. "brightfield": said when a check fails.
      trainedOn: z.string().min(1).default('the images it was trained on'),
    })
    .optional(),
});

export const manifestSchema = z
  .object({
    kind: z.literal('classifier').default('classifier'),
    ...identitySchema,
    input: z.object({
      name: z.string().min(1),
      layout: z.enum(['NCHW', 'NHWC']),
      width: z.number().int().positive().max(8192),
      height: z.number().int().positive().max(8192),
      channels: z.union([z.literal(1), z.literal(3)]),
      dtype: z.literal('float32'),
    }),
    preprocessing: z.object({
      // Which page of a multi-page TIFF the model sees (0 = first).
      page: z.number().int().min(0).default(0),
      resize: z.enum(['stretch', 'fit', 'center-crop']),
      intensity: z.union([intensitySchema, referenceQuantilesSchema]),
      mean: z.array(z.number()).min(1).max(3),
      std: z.array(z.number().positive()).min(1).max(3),
      // A grey capture is repeated into R, G and B for a 3-channel model.
      grayToRgb: z.boolean().default(true),
    }),
    output: z.object({
      name: z.string().min(1),
      activation: z.enum(['sigmoid', 'softmax', 'none']),
    }),
    // The window cut around each cell in a whole field, at the model's pixel size (default: the input size).
    crop: z
      .object({ width: z.number().int().positive().max(8192), height: z.number().int().positive().max(8192) })
      .optional(),
    classes: z.array(z.string().min(1)).min(2),
    scope: scopeSchema.optional(),
    // For one sigmoid output: p(classes[1]) >= threshold means classes[1].
    threshold: z.number().gt(0).lt(1).default(0.5),
  })
  .superRefine((m, ctx) => {
    for (const key of ['mean', 'std'] as const) {
      const n = m.preprocessing[key].length;
      if (n !== 1 && n !== m.input.channels) {
        ctx.addIssue({
          code: 'custom',
          path: ['preprocessing', key],
          message: `needs 1 or ${m.input.channels} values (one per input channel), not ${n}`,
        });
      }
    }
    for (const name of Object.keys(m.scope?.input?.statistics ?? {})) {
      if (!knownStatistics.includes(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['scope', 'input', 'statistics', name],
          message: `is not a statistic MetaScope knows (it knows ${knownStatistics.join(', ')})`,
        });
      }
    }
    if (m.preprocessing.intensity.mode === 'reference-quantiles' && m.input.channels !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['preprocessing', 'intensity', 'mode'],
        message: 'reference-quantiles needs a model with one (grey) input channel',
      });
    }
    if (new Set(m.classes).size !== m.classes.length) {
      ctx.addIssue({ code: 'custom', path: ['classes'], message: 'class names must be unique' });
    }
  });

export type ModelManifest = z.infer<typeof manifestSchema>;
export type IntensityScaling = ModelManifest['preprocessing']['intensity'];

/**
 * A detector's `model.json`: a network that maps a whole field to per-pixel maps, and the named
 * decoder (with its parameters) that turns those maps into cells. The engine knows the decoders,
 * never a particular detector.
 */
const decoderSchema = z.discriminatedUnion('decoder', [
  z.object({
    decoder: z.literal('foreground-boundary'),
    foregroundChannel: z.number().int().min(0),
    boundaryChannel: z.number().int().min(0),
    foregroundThreshold: z.number().gt(0).lt(1),
    boundaryThreshold: z.number().gt(0).lt(1),
    minSeedArea: z.number().int().min(1),
    minArea: z.number().int().min(1),
  }),
  z.object({
    decoder: z.literal('centre-heatmap'),
    channel: z.number().int().min(0),
    threshold: z.number().gt(0).lt(1),
    minDistance: z.number().positive(),
    radius: z.number().positive(),
  }),
]);

export const detectorManifestSchema = z.object({
  kind: z.literal('detector'),
  ...identitySchema,
  input: z.object({
    name: z.string().min(1),
    layout: z.literal('NCHW'),
    channels: z.literal(1),
    dtype: z.literal('float32'),
    // The field is resized by this factor before the network sees it (0.5 = half size).
    scale: z.number().gt(0).max(4),
    // The network's height and width must be multiples of this: the field is padded with zeros.
    multipleOf: z.number().int().min(1).max(256).default(16),
  }),
  preprocessing: z.object({
    page: z.number().int().min(0).default(0),
    intensity: intensitySchema,
    mean: z.array(z.number()).length(1),
    std: z.array(z.number().positive()).length(1),
  }),
  output: z.intersection(
    z.object({ name: z.string().min(1), activation: z.enum(['sigmoid', 'none']) }),
    decoderSchema,
  ),
});

export type DetectorManifest = z.infer<typeof detectorManifestSchema>;
export type DecoderSpec = z.infer<typeof decoderSchema>;
/** Either kind of model: what a session needs to load and run its graph. */
export type AnyManifest = ModelManifest | DetectorManifest;

export interface ModelFolder<M = ModelManifest> {
  folder: string;
  manifest: M;
  onnxPath: string;
  /** The bytes of the ONNX file, already checked against the manifest's SHA-256. */
  onnxBytes: Uint8Array;
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const kindNames = { classifier: 'a classifier', detector: 'a cell finder (detector)' } as const;

function parseWith<S extends z.ZodType>(
  schema: S,
  kind: keyof typeof kindNames,
  json: unknown,
  where: string,
): z.infer<S> {
  const declared = (json as { kind?: unknown } | null)?.kind ?? 'classifier';
  if (declared !== kind && typeof declared === 'string' && declared in kindNames) {
    throw new ModelError(
      'manifest-invalid',
      `The model ${where} is ${kindNames[declared as keyof typeof kindNames]}, not ${kindNames[kind]}.`,
    );
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  const field = first && first.path.length > 0 ? first.path.join('.') : '(top level)';
  throw new ModelError(
    'manifest-invalid',
    `The model description ${where} is not valid: field "${field}" ${first ? first.message.toLowerCase() : 'is wrong'}.`,
  );
}

export function parseManifest(json: unknown, where: string): ModelManifest {
  return parseWith(manifestSchema, 'classifier', json, where);
}

export function parseDetectorManifest(json: unknown, where: string): DetectorManifest {
  return parseWith(detectorManifestSchema, 'detector', json, where);
}

/** Reads and checks a model folder's model.json alone: enough to list the model, not to run it. */
export async function readModelManifest(folder: string): Promise<ModelManifest> {
  const { json, where } = await readManifestJson(folder);
  return parseManifest(json, where);
}

async function readManifestJson(folder: string): Promise<{ json: unknown; where: string }> {
  const manifestPath = path.join(folder, 'model.json');
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch {
    const exists = await stat(folder).then(
      () => true,
      () => false,
    );
    throw new ModelError(
      'model-missing',
      exists
        ? `The folder ${folder} is not a model: it has no model.json.`
        : `The model folder ${folder} does not exist.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelError(
      'manifest-invalid',
      `The model description ${manifestPath} is not valid JSON (${(error as Error).message}).`,
    );
  }
  return { json, where: manifestPath };
}

/** Reads and checks a classifier's folder: manifest fields, then the ONNX file against its SHA-256. */
export async function loadModelFolder(folder: string): Promise<ModelFolder> {
  return withOnnx(folder, await readModelManifest(folder));
}

/** Reads and checks a detector's folder the same way. */
export async function loadDetectorFolder(folder: string): Promise<ModelFolder<DetectorManifest>> {
  const { json, where } = await readManifestJson(folder);
  return withOnnx(folder, parseDetectorManifest(json, where));
}

async function withOnnx<M extends { onnx: { file: string; sha256: string } }>(
  folder: string,
  manifest: M,
): Promise<ModelFolder<M>> {
  const onnxPath = path.join(folder, manifest.onnx.file);
  let onnxBytes: Uint8Array;
  try {
    onnxBytes = await readFile(onnxPath);
  } catch {
    throw new ModelError('model-missing', `The model file ${onnxPath} named in model.json is missing.`);
  }
  const actual = createHash('sha256').update(onnxBytes).digest('hex');
  if (actual !== manifest.onnx.sha256) {
    throw new ModelError(
      'onnx-checksum',
      `The model file ${onnxPath} is not the one its model.json describes (SHA-256 ${actual.slice(0, 12)}… instead of ${manifest.onnx.sha256.slice(0, 12)}…): it was changed or damaged.`,
    );
  }
  return { folder, manifest, onnxPath, onnxBytes };
}

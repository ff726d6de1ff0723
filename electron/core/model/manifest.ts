import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ModelError } from './errors.js';

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
    .object({ mode: z.literal('percentile'), low: z.number().min(0).max(100), high: z.number().min(0).max(100) })
    .refine((r) => r.high > r.low, { message: 'high must be greater than low', path: ['high'] }),
]);

export const manifestSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" or "-"'),
    name: z.string().min(1),
    version: z.string().min(1),
    description: z.string().default(''),
    onnx: z.object({
      file: z.string().min(1).default('model.onnx'),
      sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 as 64 lower-case hex digits'),
    }),
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
      intensity: intensitySchema,
      mean: z.array(z.number()).min(1).max(3),
      std: z.array(z.number().positive()).min(1).max(3),
      // A grey capture is repeated into R, G and B for a 3-channel model.
      grayToRgb: z.boolean().default(true),
    }),
    output: z.object({
      name: z.string().min(1),
      activation: z.enum(['sigmoid', 'softmax', 'none']),
    }),
    classes: z.array(z.string().min(1)).min(2),
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
    if (new Set(m.classes).size !== m.classes.length) {
      ctx.addIssue({ code: 'custom', path: ['classes'], message: 'class names must be unique' });
    }
  });

export type ModelManifest = z.infer<typeof manifestSchema>;
export type IntensityScaling = ModelManifest['preprocessing']['intensity'];

export interface ModelFolder {
  folder: string;
  manifest: ModelManifest;
  onnxPath: string;
  /** The bytes of the ONNX file, already checked against the manifest's SHA-256. */
  onnxBytes: Uint8Array;
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function parseManifest(json: unknown, where: string): ModelManifest {
  const parsed = manifestSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  const field = first && first.path.length > 0 ? first.path.join('.') : '(top level)';
  throw new ModelError(
    'manifest-invalid',
    `The model description ${where} is not valid: field "${field}" ${first ? first.message.toLowerCase() : 'is wrong'}.`,
  );
}

/** Reads and checks a model folder's model.json alone: enough to list the model, not to run it. */
export async function readModelManifest(folder: string): Promise<ModelManifest> {
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
  return parseManifest(json, manifestPath);
}

/** Reads and checks a model folder: manifest fields, then the ONNX file against its SHA-256. */
export async function loadModelFolder(folder: string): Promise<ModelFolder> {
  const manifest = await readModelManifest(folder);
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

import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { ModelError } from './errors.js';
import type { AnyManifest, ModelFolder } from './manifest.js';
import {
  explainProviderFailure,
  missingHardware,
  providerLabels,
  providerOrder,
  type ProviderName,
  type ProviderPreference,
} from './providers.js';

export interface SessionOptions {
  provider?: ProviderPreference;
  /** CPU threads for one inference (default: all cores). */
  threads?: number;
  /** The providers `auto` tries, in order (default: the platform's order). */
  order?: ProviderName[];
  /** Skip providers whose hardware is visibly absent instead of starting them (default true). */
  checkHardware?: boolean;
}

export interface ProviderAttempt {
  provider: ProviderName;
  /** Why it was skipped, in plain words. */
  reason: string;
}

/** A model loaded on the first execution provider that would start, and the ones that would not. */
export interface ModelSession {
  session: ort.InferenceSession;
  provider: ProviderName;
  skipped: ProviderAttempt[];
  /** The largest batch the graph accepts: 1 when its batch axis is fixed. */
  maxBatch: number;
  /** Values the model outputs per capture. */
  outputsPerCapture: number | null;
}

export async function openSession(model: ModelFolder<AnyManifest>, options: SessionOptions = {}): Promise<ModelSession> {
  const preference = options.provider ?? 'auto';
  const candidates = preference === 'auto' ? (options.order ?? providerOrder()) : [preference];
  const skipped: ProviderAttempt[] = [];
  // The runtime's own log would only repeat, in C++ terms, the reasons kept in `skipped`.
  ort.env.logLevel = 'fatal';
  for (const provider of candidates) {
    const absent = preference === 'auto' && options.checkHardware !== false ? missingHardware(provider) : null;
    if (absent) {
      skipped.push({ provider, reason: absent });
      continue;
    }
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(model.onnxBytes, {
        executionProviders: [provider],
        intraOpNumThreads: options.threads ?? availableParallelism(),
        graphOptimizationLevel: 'all',
        logSeverityLevel: 4,
        // Spinning threads steal the cores that decode the next captures (PERF-NOTES.md).
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      });
    } catch (error) {
      const reason = explainProviderFailure(provider, error instanceof Error ? error.message : String(error));
      if (preference !== 'auto') {
        throw new ModelError('provider-failed', `${providerLabels[provider]} was chosen but cannot run the model. ${reason}`);
      }
      skipped.push({ provider, reason });
      continue;
    }
    // A graph that does not match its model.json is the model's fault, not the provider's: no other
    // provider would do better, so it is reported as such instead of being skipped.
    try {
      return { session, provider, skipped, ...describeGraph(model, session) };
    } catch (error) {
      await session.release();
      throw error;
    }
  }
  throw new ModelError(
    'session-failed',
    `The model "${model.manifest.name}" could not be loaded on any processor: ${skipped.map((s) => s.reason).join(' ')}`,
  );
}

function describeGraph(model: ModelFolder<AnyManifest>, session: ort.InferenceSession): Pick<ModelSession, 'maxBatch' | 'outputsPerCapture'> {
  const { manifest } = model;
  if (!session.inputNames.includes(manifest.input.name)) {
    throw new ModelError(
      'manifest-invalid',
      `model.json names the input "${manifest.input.name}", but the ONNX model's inputs are: ${session.inputNames.join(', ')}.`,
    );
  }
  if (!session.outputNames.includes(manifest.output.name)) {
    throw new ModelError(
      'manifest-invalid',
      `model.json names the output "${manifest.output.name}", but the ONNX model's outputs are: ${session.outputNames.join(', ')}.`,
    );
  }
  const input = session.inputMetadata.find((m) => m.name === manifest.input.name);
  const output = session.outputMetadata.find((m) => m.name === manifest.output.name);
  const inputShape = input && input.isTensor ? input.shape : [];
  const outputShape = output && output.isTensor ? output.shape : [];
  // A detector takes a field of any size: only a classifier's input has a size to check.
  const expected =
    manifest.kind === 'detector'
      ? [manifest.input.channels, null, null]
      : manifest.input.layout === 'NCHW'
        ? [manifest.input.channels, manifest.input.height, manifest.input.width]
        : [manifest.input.height, manifest.input.width, manifest.input.channels];
  const declared = inputShape.slice(1);
  if (declared.length === 3 && declared.some((d, i) => typeof d === 'number' && expected[i] !== null && d !== expected[i])) {
    throw new ModelError(
      'manifest-invalid',
      `model.json describes the input as ${manifest.input.layout} ${expected.map((d) => d ?? 'any').join('×')}, but the ONNX model expects ${declared.join('×')}.`,
    );
  }
  const perCapture = outputShape.slice(1).reduce<number | null>((n, d) => (n !== null && typeof d === 'number' ? n * d : null), 1);
  return { maxBatch: typeof inputShape[0] === 'number' ? inputShape[0] : Number.POSITIVE_INFINITY, outputsPerCapture: perCapture };
}

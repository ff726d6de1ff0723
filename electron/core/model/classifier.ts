import { ModelError } from './errors.js';
import { FeatureDistance } from './feature-distance.js';
import { loadModelFolder, type ModelManifest } from './manifest.js';
import { Preprocessor } from './preprocess.js';
import type { ProviderAttempt, SessionOptions } from './session.js';
import { openSessionThread, type SessionThread } from './session-thread.js';
import type { ProviderName } from './providers.js';

export interface Prediction {
  class: string;
  /** Probability of the predicted class. */
  probability: number;
  probabilities: Record<string, number>;
  /** Distance in feature space to the nearest training class, where the model has a scope check. */
  distance?: number;
}

export interface ModelIdentity {
  id: string;
  version: string;
  sha256: string;
  name: string;
}

export interface ClassifierOptions extends SessionOptions {
  /** Overrides the manifest's decision threshold (one sigmoid output only). */
  threshold?: number;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Turns one capture's raw model outputs into class probabilities, as the manifest says. */
export function interpret(
  manifest: ModelManifest,
  values: ArrayLike<number>,
  threshold = manifest.threshold,
): Prediction {
  const { classes } = manifest;
  let probs: number[];
  if (manifest.output.activation === 'sigmoid' && values.length === 1) {
    const p = sigmoid(values[0]!);
    probs = [1 - p, p];
  } else if (manifest.output.activation === 'sigmoid') {
    // Independent sigmoids per class (multi-label style): report each as given.
    probs = Array.from(values, sigmoid);
  } else if (manifest.output.activation === 'softmax') {
    const max = Math.max(...Array.from(values));
    const exps = Array.from(values, (v) => Math.exp(v - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    probs = exps.map((e) => e / sum);
  } else {
    probs = Array.from(values);
  }
  const probabilities: Record<string, number> = {};
  classes.forEach((name, i) => (probabilities[name] = probs[i]!));
  let best: number;
  if (classes.length === 2) {
    best = probs[1]! >= threshold ? 1 : 0;
  } else {
    best = probs.indexOf(Math.max(...probs));
  }
  return { class: classes[best]!, probability: probs[best]!, probabilities };
}

function expectedOutputs(manifest: ModelManifest): number[] {
  return manifest.output.activation === 'sigmoid' && manifest.classes.length === 2
    ? [1, 2]
    : [manifest.classes.length];
}

/** A model ready to classify: its manifest, its preprocessing and one reusable session on its own thread. */
export class Classifier {
  private constructor(
    readonly manifest: ModelManifest,
    readonly identity: ModelIdentity,
    readonly folder: string,
    private readonly loaded: SessionThread,
    readonly threshold: number,
    readonly preprocessor: Preprocessor,
    private readonly distance: FeatureDistance | null,
  ) {}

  static async open(folder: string, options: ClassifierOptions = {}): Promise<Classifier> {
    const model = await loadModelFolder(folder);
    const preprocessor = await Preprocessor.open(model.manifest, folder);
    const features = model.manifest.scope?.features;
    const distance = features ? await FeatureDistance.open(folder, features.file) : null;
    const loaded = await openSessionThread(model, options);
    const { manifest } = model;
    const allowed = expectedOutputs(manifest);
    if (loaded.outputsPerCapture !== null && !allowed.includes(loaded.outputsPerCapture)) {
      await loaded.release();
      throw new ModelError(
        'manifest-invalid',
        `The model gives ${loaded.outputsPerCapture} value${loaded.outputsPerCapture === 1 ? '' : 's'} per capture, but its model.json names ${manifest.classes.length} classes with a ${manifest.output.activation} output.`,
      );
    }
    const identity = {
      id: manifest.id,
      version: manifest.version,
      sha256: manifest.onnx.sha256,
      name: manifest.name,
    };
    return new Classifier(
      manifest,
      identity,
      folder,
      loaded,
      options.threshold ?? manifest.threshold,
      preprocessor,
      distance,
    );
  }

  get provider(): ProviderName {
    return this.loaded.provider;
  }

  /** Providers tried before the one that ran, with why each was skipped. */
  get skipped(): ProviderAttempt[] {
    return this.loaded.skipped;
  }

  /**
   * How sure the model must be of a class to give it: below, a result is uncertain. With one
   * sigmoid output the threshold t also decides between the two classes, so a class is given only
   * when the model is at least max(t, 1 − t) sure of it.
   */
  get sureAt(): number {
    return Math.max(this.threshold, 1 - this.threshold);
  }

  get maxBatch(): number {
    return this.loaded.maxBatch;
  }

  /** Classifies prepared tensors, in as few runs as the graph's batch axis allows. */
  async run(tensors: Float32Array[]): Promise<Prediction[]> {
    const { input } = this.manifest;
    const dims =
      input.layout === 'NCHW'
        ? [input.channels, input.height, input.width]
        : [input.height, input.width, input.channels];
    const size = dims.reduce((a, b) => a * b, 1);
    const predictions: Prediction[] = [];
    const step = Math.min(this.maxBatch, Math.max(1, tensors.length));
    for (let start = 0; start < tensors.length; start += step) {
      const chunk = tensors.slice(start, start + step);
      const batch = new Float32Array(size * chunk.length);
      chunk.forEach((t, i) => batch.set(t, i * size));
      const { values, features } = await this.loaded.run(batch, [chunk.length, ...dims]);
      const per = values.length / chunk.length;
      const featureCount = features ? features.length / chunk.length : 0;
      for (let i = 0; i < chunk.length; i++) {
        const prediction = interpret(this.manifest, values.subarray(i * per, (i + 1) * per), this.threshold);
        if (features && this.distance)
          prediction.distance = this.distance.score(
            features.subarray(i * featureCount, (i + 1) * featureCount),
          );
        predictions.push(prediction);
      }
    }
    return predictions;
  }

  async close(): Promise<void> {
    await this.loaded.release();
  }
}

import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { ModelSummary } from '../../contract/types.js';
import { readModelManifest, type ModelManifest } from '../model/manifest.js';
import { modelsFolder } from '../paths.js';
import type { Store } from '../store/store.js';

export interface KnownModel {
  folder: string;
  manifest: ModelManifest;
  builtIn: boolean;
}

/** A model shipped with the app: a folder directly under models/. */
export function isBuiltIn(folder: string): boolean {
  return path.dirname(path.resolve(folder)) === path.resolve(modelsFolder());
}

/** The shipped models (one folder each under models/) and the ones a lab imported. */
export async function knownModels(store: Store): Promise<KnownModel[]> {
  const shipped = modelsFolder();
  const builtInFolders = existsSync(shipped)
    ? readdirSync(shipped, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && existsSync(path.join(shipped, entry.name, 'model.json')))
        .map((entry) => path.join(shipped, entry.name))
    : [];
  const imported = store.models.list().map((m) => m.folder);
  const seen = new Set<string>();
  const models: KnownModel[] = [];
  for (const folder of [...builtInFolders, ...imported]) {
    const resolved = path.resolve(folder);
    if (seen.has(resolved)) continue;
    seen.add(resolved);
    // Listing reads each model.json only: hashing every ONNX file (94 MB for a ResNet-50) each time
    // the list is shown would be slow. A damaged ONNX file is reported when the model is activated.
    // A folder whose model.json moved or broke since it was imported is left out, not fatal.
    const manifest = await readModelManifest(resolved).catch(() => null);
    if (manifest) models.push({ folder: resolved, manifest, builtIn: isBuiltIn(resolved) });
  }
  return models;
}

export function summaryOf(model: KnownModel, active: { id: string; version: string } | null): ModelSummary {
  const { manifest } = model;
  return {
    id: manifest.id,
    version: manifest.version,
    name: manifest.name,
    description: manifest.description,
    sha256: manifest.onnx.sha256,
    classes: manifest.classes,
    threshold: manifest.threshold,
    folder: model.folder,
    active: active !== null && active.id === manifest.id && active.version === manifest.version,
    builtIn: model.builtIn,
  };
}

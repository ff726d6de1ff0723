import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { ModelSummary } from '../../contract/types.js';
import { loadModelFolder, type ModelManifest } from '../model/manifest.js';
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
    // A folder that moved or broke since it was imported is left out of the list, not fatal.
    const loaded = await loadModelFolder(resolved).catch(() => null);
    if (loaded) models.push({ folder: resolved, manifest: loaded.manifest, builtIn: isBuiltIn(resolved) });
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

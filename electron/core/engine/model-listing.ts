import type { InstalledModel } from '../../contract/types.js';
import { readModelCard } from '../model/model-card.js';
import { readModelManifest } from '../model/manifest.js';
import { modelKey, type ModelRecord } from '../store/models.js';
import type { Store } from '../store/store.js';
import { knownModels, summaryOf, isBuiltIn } from './models.js';

/**
 * What the Models screen lists: every installed model with its card and result count, then every
 * model file results still name that is no longer installed, saying why it cannot classify now.
 */
export async function installedModels(
  store: Store,
  active: { id: string; version: string } | null,
): Promise<InstalledModel[]> {
  const counts = store.models.resultCounts();
  const installed = await knownModels(store);
  const listed = new Set(installed.map((m) => modelKey({ ...m.manifest, sha256: m.manifest.onnx.sha256 })));
  const current = await Promise.all(
    installed.map(async (model) => ({
      ...summaryOf(model, active),
      results: counts.get(modelKey({ ...model.manifest, sha256: model.manifest.onnx.sha256 })) ?? 0,
      card: await readModelCard(model.folder),
      available: true,
      problem: null,
    })),
  );
  const retired = await Promise.all(
    store.models
      .list()
      .filter((record) => !listed.has(modelKey(record)))
      .map((record) => retiredModel(record, counts.get(modelKey(record)) ?? 0, active)),
  );
  return [...current, ...retired];
}

async function retiredModel(
  record: ModelRecord,
  results: number,
  active: { id: string; version: string } | null,
): Promise<InstalledModel> {
  const there = await readModelManifest(record.folder).catch(() => null);
  const named =
    results === 0
      ? 'no result names it, so it can be removed'
      : `${results} result${results === 1 ? '' : 's'} still name${results === 1 ? 's' : ''} it`;
  // Still loaded until another model is chosen, though its folder has changed under it.
  const isActive = active?.id === record.id && active.version === record.version;
  const change = there ? `now holds ${there.id} ${there.version}` : 'is gone (moved or deleted)';
  const problem = isActive
    ? `Its folder ${record.folder} ${change}: this version classifies new captures only until another model is chosen or MetaScope restarts; ${named}.`
    : `Its folder ${record.folder} ${change}, so ${there ? 'this version' : 'it'} can no longer classify; ${named}.`;
  return {
    id: record.id,
    version: record.version,
    name: record.name,
    description: '',
    sha256: record.sha256,
    classes: record.classes,
    threshold: null,
    folder: record.folder,
    active: isActive,
    builtIn: isBuiltIn(record.folder),
    results,
    card: null,
    available: false,
    problem,
  };
}

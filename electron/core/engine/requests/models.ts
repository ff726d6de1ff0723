import path from 'node:path';
import type { EngineHandlers } from '../../../contract/api.js';
import { ContractError } from '../../../contract/messages.js';
import { loadModelFolder } from '../../model/manifest.js';
import type { EngineContext } from '../context.js';
import { knownModels, summaryOf, type KnownModel } from '../models.js';

/** The installed models: listed, imported from a folder, and made the one that classifies. */
export function modelRequests({ store, settings, classification, emit, status }: EngineContext) {
  const activeIdentity = () => classification.active?.identity ?? null;
  return {
    'models.list': async () =>
      (await knownModels(store)).map((m) => summaryOf(m, activeIdentity())),
    'models.import': async ({ folder }) => {
      const loaded = await loadModelFolder(path.resolve(folder));
      const { manifest } = loaded;
      store.models.register({
        id: manifest.id,
        version: manifest.version,
        sha256: manifest.onnx.sha256,
        name: manifest.name,
        classes: manifest.classes,
        folder: path.resolve(folder),
      });
      const model: KnownModel = { folder: path.resolve(folder), manifest, builtIn: false };
      return summaryOf(model, activeIdentity());
    },
    'models.activate': async ({ id, version }) => {
      const match = (await knownModels(store)).find(
        (m) => m.manifest.id === id && m.manifest.version === version,
      );
      if (!match) throw new ContractError('not-found', `No installed model is called ${id} ${version}.`);
      await classification.activate(match.folder);
      settings.update({ activeModel: { id, version } });
      const current = status();
      emit('app.status', current);
      return current;
    },
  } satisfies Partial<EngineHandlers>;
}

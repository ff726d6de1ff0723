import path from 'node:path';
import type { EngineHandlers } from '../../../contract/api.js';
import { ContractError } from '../../../contract/messages.js';
import { agreementOf } from '../../evaluate/agreement.js';
import { loadModelFolder } from '../../model/manifest.js';
import { ModelConflictError, ModelInUseError, modelKey } from '../../store/models.js';
import type { EngineContext } from '../context.js';
import { installedModels } from '../model-listing.js';
import { knownModels, summaryOf, type KnownModel } from '../models.js';

/** The installed models: listed, imported, removed, made the one that classifies, and compared. */
export function modelRequests({ store, settings, classification, emit, status }: EngineContext) {
  const activeIdentity = () => classification.active?.identity ?? null;
  return {
    'models.list': () => installedModels(store, activeIdentity()),
    'models.import': async ({ folder }) => {
      const loaded = await loadModelFolder(path.resolve(folder));
      const { manifest } = loaded;
      try {
        store.models.register({
          id: manifest.id,
          version: manifest.version,
          sha256: manifest.onnx.sha256,
          name: manifest.name,
          classes: manifest.classes,
          folder: path.resolve(folder),
        });
      } catch (error) {
        if (error instanceof ModelConflictError) throw new ContractError('conflict', error.message);
        throw error;
      }
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
    'models.remove': async (model) => {
      const active = classification.active?.identity;
      if (active && modelKey(active) === modelKey(model))
        throw new ContractError(
          'in-use',
          `${model.id} ${model.version} is classifying new captures: choose another model first.`,
        );
      const shipped = (await knownModels(store)).find(
        (m) => m.builtIn && modelKey({ ...m.manifest, sha256: m.manifest.onnx.sha256 }) === modelKey(model),
      );
      if (shipped)
        throw new ContractError(
          'built-in',
          `${shipped.manifest.name} ships with MetaScope and cannot be removed.`,
        );
      try {
        const removed = store.models.remove(model);
        if (!removed)
          throw new ContractError(
            'not-found',
            `No model ${model.id} ${model.version} with that file is listed.`,
          );
        return { removed };
      } catch (error) {
        if (error instanceof ModelInUseError) throw new ContractError('in-use', error.message);
        throw error;
      }
    },
    'models.compare': ({ a, b, folderId }) => {
      if (modelKey(a) === modelKey(b))
        throw new ContractError('bad-request', 'Choose two different models to compare.');
      return { a, b, ...agreementOf(store.comparison.pairs(a, b, folderId ?? null)) };
    },
  } satisfies Partial<EngineHandlers>;
}

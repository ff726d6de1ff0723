import type { EngineHandlers } from '../../../contract/api.js';
import { ContractError } from '../../../contract/messages.js';
import { Classifier } from '../../model/classifier.js';
import { modelKey, type ModelRef } from '../../store/models.js';
import { captureRow, storeFilter, type EngineContext } from '../context.js';
import { knownModels } from '../models.js';
import { Rerun } from '../rerun.js';

/** One re-run at a time: started, cancelled, and finished before the engine closes. */
export function rerunRequests(context: EngineContext) {
  const { store, settings, classification, emit } = context;
  let running: { rerun: Rerun; finished: Promise<unknown> } | null = null;

  const installed = async (model: ModelRef) => {
    const match = (await knownModels(store)).find(
      (m) => modelKey({ ...m.manifest, sha256: m.manifest.onnx.sha256 }) === modelKey(model),
    );
    if (!match)
      throw new ContractError(
        'not-found',
        `${model.id} ${model.version} is not installed any more (its folder is gone or holds another version), so it cannot classify.`,
      );
    return match;
  };

  // A capture keeps one result per model file: the same file under another version would only repeat it.
  const refuseSameFile = (model: ModelRef) => {
    const twin = store.models
      .list()
      .find(
        (m) =>
          m.sha256 === model.sha256 &&
          modelKey(m) !== modelKey(model) &&
          (store.models.resultCounts().get(modelKey(m)) ?? 0) > 0,
      );
    if (twin)
      throw new ContractError(
        'same-file',
        `${model.id} ${model.version} is the same model file as ${twin.id} ${twin.version} (the same SHA-256), and a capture keeps one result per model file. Compare models whose files differ.`,
      );
  };

  const handlers = {
    'models.rerun': async ({ model, filter }) => {
      if (running)
        throw new ContractError('busy', 'A re-run is already going: wait for it to finish or cancel it.');
      const folder = (await installed(model)).folder;
      refuseSameFile(model);
      const captures = store.history.capturesMatching(storeFilter(filter));
      if (captures.length === 0)
        throw new ContractError(
          'nothing-to-do',
          'No classified capture matches this choice, so there is nothing to re-run.',
        );
      const classifier = await Classifier.open(folder, { provider: settings.get().provider });
      store.models.register({
        ...model,
        name: classifier.manifest.name,
        classes: classifier.manifest.classes,
        folder,
      });
      const rerun = new Rerun({
        store,
        analysis: classification.analysisWith(classifier),
        model,
        captures,
        batchSize: settings.get().batchSize,
        report: (progress) => emit('rerun.progress', progress),
        saved: (sha256) => emit('capture.updated', captureRow(store, classification, sha256)),
      });
      const finished = rerun
        .run()
        .catch((error: Error) =>
          emit('notice', {
            level: 'error',
            message: `The re-run stopped: ${error.message}`,
            at: new Date().toISOString(),
          }),
        )
        .finally(() => {
          running = null;
          return classifier.close();
        });
      running = { rerun, finished };
      return rerun.progress();
    },
    'models.cancelRerun': () => {
      running?.rerun.cancel();
      return { cancelled: running !== null };
    },
  } satisfies Partial<EngineHandlers>;

  return {
    handlers,
    /** Stops a re-run between batches and waits for what it had started. */
    async close() {
      const current = running;
      current?.rerun.cancel();
      await current?.finished;
    },
  };
}

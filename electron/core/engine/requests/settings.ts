import type { EngineHandlers } from '../../../contract/api.js';
import type { EngineContext } from '../context.js';
import type { SettingsFile } from '../settings.js';

/** The app's state and the choices made in Settings: threshold, processor, batch size, reviewer. */
export function settingsRequests({ settings, classification, emit, status }: EngineContext) {
  return {
    'app.status': () => status(),
    'settings.get': () => publicSettings(settings),
    'settings.update': async (changes) => {
      const before = settings.get();
      settings.update(changes);
      const reload = changes.provider !== undefined && changes.provider !== before.provider;
      const rethreshold = changes.threshold !== undefined && changes.threshold !== before.threshold;
      if (reload || rethreshold) {
        try {
          await classification.reload();
        } catch (error) {
          // A processor that cannot run the model is not kept: saved, it would leave the next start with none.
          const { threshold, provider, batchSize } = before;
          settings.update({ threshold, provider, batchSize });
          throw error;
        }
      }
      if (changes.batchSize !== undefined && changes.batchSize !== before.batchSize)
        classification.setBatchSize(changes.batchSize);
      emit('app.status', status());
      return publicSettings(settings);
    },
  } satisfies Partial<EngineHandlers>;
}

function publicSettings(settings: SettingsFile) {
  const { threshold, provider, batchSize, reviewerName } = settings.get();
  return { threshold, provider, batchSize, reviewerName };
}

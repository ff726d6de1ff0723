import type { EngineHandlers } from '../../../contract/api.js';
import type { EngineContext } from '../context.js';
import type { FacilityAddress } from '../history-source.js';
import type { SettingsFile } from '../settings.js';

/** The app's state and the choices made in Settings: threshold, processor, batch size, reviewer, history. */
export function settingsRequests({ settings, history, classification, emit, status }: EngineContext) {
  return {
    'app.status': () => status(),
    'settings.get': () => publicSettings(settings),
    'settings.update': async (changes) => {
      const before = settings.get();
      // Compared with the facility connected (serve --facility, or one out of reach at start), not
      // the one saved. One that cannot be used is not kept: the error says why, the history stays.
      if (changes.facility !== undefined && !sameFacility(changes.facility, history.address)) {
        const wasSending = history.producer !== null;
        if (changes.facility) await history.connect(changes.facility);
        else await history.disconnect();
        // Captures go to the facility's workers, or to this computer's model, from now on.
        if (wasSending || history.producer) await classification.restartIntake();
      }
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
  const { threshold, provider, batchSize, reviewerName, facility } = settings.get();
  return { threshold, provider, batchSize, reviewerName, facility };
}

const sameFacility = (a: FacilityAddress | null, b: FacilityAddress | null) =>
  a?.address === b?.address &&
  a?.passwordFile === b?.passwordFile &&
  Boolean(a?.sendCaptures) === Boolean(b?.sendCaptures) &&
  (a?.microscope ?? null) === (b?.microscope ?? null);

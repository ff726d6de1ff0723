import type { SinkHooks } from '../intake/sink.js';
import type { Store } from '../store/store.js';
import type { FacilityDatabase } from './database.js';
import { FacilityOutbox } from './outbox.js';
import { sendCaptures, sendFailures, type Station } from './producer.js';

/**
 * A workstation's outbox to `database`: its captures go to the facility's queue, each analysed as
 * the folder it was seen in asks, and what failed here goes on the facility's record; every error
 * is said without the password. What `watch --facility` and the app (Settings) both send through.
 */
export function workstationOutbox(hooks: SinkHooks, store: Store, database: FacilityDatabase, station: Station): FacilityOutbox {
  const { connection } = database;
  const redacted = async (work: () => Promise<unknown>) => {
    try {
      await work();
    } catch (error) {
      throw new Error(connection.redact((error as Error).message), { cause: error });
    }
  };
  return new FacilityOutbox({
    ...hooks,
    store,
    label: connection.label,
    send: (captures) =>
      redacted(() => sendCaptures(database, station, captures, (capture) => store.folders.analysisOf(capture.paths[0] ?? ''))),
    sendFailures: (captures) => redacted(() => sendFailures(database, station, captures)),
  });
}

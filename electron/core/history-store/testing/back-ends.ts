import { sendCaptures } from '../../facility/producer.js';
import { insertResult, markCaptureFailed, registerModel as registerFacilityModel } from '../../facility/results.js';
import { initialisedFacility } from '../../facility/testing/facility.js';
import type { TestPostgres } from '../../facility/testing/postgres.js';
import type { ResultInput } from '../../store/captures.js';
import { openStore } from '../../store/store.js';
import { addFile, info, registerModel, tempDirs } from '../../store/testing/fixtures.js';
import type { HistoryStore } from '../history-store.js';
import { postgresHistory } from '../postgres.js';
import { sqliteHistory } from '../sqlite.js';

/** A capture as a test puts it in: where it was seen, and its result or why it failed. */
export interface SeedCapture {
  sha256: string;
  path: string;
  workstation?: string;
  microscope?: string;
  result?: ResultInput;
  failure?: string;
}

/** A history back end under test, filled through the same writes the app and the workers use. */
export interface BackEnd {
  history: HistoryStore;
  add(captures: SeedCapture[]): Promise<void>;
  close(): Promise<void>;
}

const name = (capture: SeedCapture) => capture.path.split('/').at(-1)!;

/** A workstation's SQLite store in a temporary folder: files recorded as the intake does, results saved as the engine does. */
export async function sqliteBackEnd(): Promise<BackEnd> {
  const dirs = tempDirs();
  const store = openStore(`${dirs.make()}/metascope.db`);
  registerModel(store);
  return {
    history: sqliteHistory(store),
    async add(captures) {
      for (const capture of captures) {
        addFile(store, capture.path, capture.sha256);
        if (capture.result) store.captures.saveOutcomes([capture.result], []);
        if (capture.failure) store.captures.markFailed(capture.sha256, capture.failure);
      }
    },
    async close() {
      store.close();
      dirs.cleanup();
    },
  };
}

/** A facility database on `server`: captures sent as producers send them, results written as workers write them. */
export async function postgresBackEnd(server: TestPostgres): Promise<BackEnd & { address: string }> {
  const database = await initialisedFacility(server, { applicationName: 'history test' });
  const registered = new Set<string>();
  return {
    address: database.address,
    history: postgresHistory(database.pool),
    async add(captures) {
      for (const capture of captures) {
        const station = { workstation: capture.workstation ?? 'bench-1', microscope: capture.microscope ?? '' };
        await sendCaptures(database, station, [
          {
            sha256: capture.sha256,
            name: name(capture),
            info,
            state: 'queued',
            failureReason: null,
            attempts: 0,
            firstSeenAt: Date.now(),
            updatedAt: Date.now(),
            paths: [capture.path],
          },
        ]);
        await database.withClient(async (client) => {
          const { result, failure } = capture;
          if (result) {
            const model = result.model;
            if (!registered.has(model.sha256)) {
              await registerFacilityModel(client, { ...model, name: `Model ${model.id}`, classes: ['healthy', 'infected'] });
              registered.add(model.sha256);
            }
            await insertResult(client, result, 'gpu-1');
          }
          if (failure) await markCaptureFailed(client, capture.sha256, failure);
        });
      }
    },
    close: () => database.close(),
  };
}

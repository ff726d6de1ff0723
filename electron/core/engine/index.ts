import path from 'node:path';
import type { EngineHandlers } from '../../contract/api.js';
import type { EventMessage } from '../../contract/messages.js';
import type { ImageRequest } from '../../contract/images.js';
import type { AppStatus } from '../../contract/types.js';
import { appVersion, defaultInbox } from '../paths.js';
import { openStore, type Store } from '../store/store.js';
import { lockForWriting } from '../store/writer-lock.js';
import { Classification } from './classification.js';
import { workstationOutbox } from '../facility/workstation-outbox.js';
import { sqliteHistory } from '../history-store/sqlite.js';
import { captureRow, rowsOf, type EngineContext } from './context.js';
import { EngineEvents } from './events.js';
import { HistorySource, type FacilityAddress } from './history-source.js';
import { SentCaptures } from './sent-captures.js';
import { addInboxOnce } from './first-start.js';
import { CaptureImages, type RenderedImage } from './images.js';
import { ProgressReporter } from './progress-reporter.js';
import { captureRequests } from './requests/captures.js';
import { folderRequests } from './requests/folders.js';
import { historyRequests } from './requests/history.js';
import { modelRequests } from './requests/models.js';
import { pixelRequests } from './requests/pixels.js';
import { rerunRequests } from './requests/rerun.js';
import { reviewRequests } from './requests/reviews.js';
import { settingsRequests } from './requests/settings.js';
import { folderOf } from './rows.js';
import { SettingsFile } from './settings.js';

export interface EngineOptions {
  database: string;
  /** Use this model folder instead of the saved choice or the built-in default. */
  modelFolder?: string;
  /** Use this cell finder instead of the built-in one. */
  detectorFolder?: string;
  inbox?: string;
  mode: 'desktop' | 'browser';
  /** Folders to watch in addition to those saved in the database. */
  watch?: string[];
  /** How long a file's size and mtime must stay unchanged before it is read. */
  settleMs?: number;
  /** The better-sqlite3 addon built for this runtime, where it is not Node's own (the desktop app). */
  sqliteAddon?: string;
  /** Show this facility's history instead of the one chosen in Settings (`serve --facility`). */
  facility?: FacilityAddress;
}

export interface Engine {
  handlers: EngineHandlers;
  onEvent(listener: (message: EventMessage) => void): () => void;
  renderImage(sha256: string, request: ImageRequest): Promise<RenderedImage>;
  /** Folders whose files may be shown: the watched folders and the thumbnail cache. */
  allowedRoots(): string[];
  close(): Promise<void>;
}

/** The engine behind every front end: store, intake, model, answering the contract. */
export async function openEngine(options: EngineOptions): Promise<Engine> {
  const database = path.resolve(options.database);
  const dataFolder = path.dirname(database);
  // Taking the lock creates the data folder, or says in a sentence why it cannot.
  const lock = lockForWriting(database, options.mode === 'desktop' ? 'the MetaScope app' : 'metascope serve');
  let store: Store;
  try {
    store = openStore(options.database, { sqliteAddon: options.sqliteAddon });
  } catch (error) {
    lock.release();
    throw error;
  }
  const settings = new SettingsFile(path.join(dataFolder, 'settings.json'));
  const inbox = path.resolve(options.inbox ?? defaultInbox());
  const events = new EngineEvents();
  const { emit } = events;

  const history = new HistorySource(sqliteHistory(store), (message) =>
    emit('notice', { level: 'warning', message, at: new Date().toISOString() }),
  );
  const facility = options.facility ?? settings.get().facility;
  // A facility out of reach at start leaves the workstation's own history shown, and says so.
  if (facility)
    await history
      .connect(facility)
      .catch((error: Error) =>
        events.noticeBeforeStart('warning', `${error.message} This workstation’s own history is shown instead.`),
      );

  const sent = new SentCaptures(history, (row) => emit('capture.updated', rowsOf(store)(row)));
  const progress = new ProgressReporter(
    () => classification.progress(),
    (p) => emit('progress', p),
  );
  const classification: Classification = new Classification({
    store,
    settings,
    modelFolder: options.modelFolder,
    detectorFolder: options.detectorFolder,
    settleMs: options.settleMs,
    // As a facility's producer, captures go to its workers' queue instead of this computer's model.
    sink: () => {
      const producer = history.producer;
      if (!producer) return undefined;
      return (hooks) => workstationOutbox(hooks, store, producer.database, producer.station);
    },
    listener: {
      captureChanged: (sha256) => {
        const row = captureRow(store, classification, sha256);
        emit('capture.updated', row);
        // Done here without a model's result: sent to the facility, whose workers classify it.
        if (row.state === 'done' && row.model === null && history.producer) sent.sent(sha256);
      },
      progress: progress.report,
      foldersChanged: () => emit('folders.changed', store.folders.list().map((f) => folderOf(f, inbox))),
      notice: (level, message, action) => emit('notice', { level, message, at: new Date().toISOString(), action }),
    },
  });
  const status = (): AppStatus => ({
    version: appVersion(),
    mode: options.mode,
    dataFolder,
    database,
    inbox,
    ...classification.status(),
    history: history.choice,
  });

  await addInboxOnce(inbox, store, settings, events);
  for (const folder of options.watch ?? []) store.folders.add(path.resolve(folder), { recursive: false });
  await classification.start();

  const context: EngineContext = { store, history, settings, classification, emit, inbox, status };
  const reruns = rerunRequests(context);
  const handlers: EngineHandlers = {
    ...settingsRequests(context),
    ...folderRequests(context),
    ...captureRequests(context),
    ...pixelRequests(context),
    ...historyRequests(context),
    ...reviewRequests(context),
    ...modelRequests(context),
    ...reruns.handlers,
  };
  const images = new CaptureImages(store, classification, path.join(dataFolder, 'thumbnails'));

  return {
    handlers,
    onEvent: (listener) => events.listen(listener),
    renderImage: (sha256, request) => images.render(sha256, request),
    allowedRoots: () => [...store.folders.list().map((f) => f.path), images.thumbnails],
    async close() {
      progress.close();
      sent.close();
      await reruns.close();
      await classification.close();
      await history.disconnect();
      store.close();
      lock.release();
      events.clear();
    },
  };
}

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EngineHandlers } from '../../contract/api.js';
import { ContractError, eventEnvelope, type EventMessage } from '../../contract/messages.js';
import type { ImageRequest } from '../../contract/images.js';
import type { AppStatus, HistoryFilter as ContractFilter, Progress } from '../../contract/types.js';
import { readCaptureInfo } from '../capture/decode.js';
import { renderDisplay } from '../capture/display.js';
import { Analysis } from '../cells/analysis.js';
import type { Detector } from '../cells/detector.js';
import { openDetector } from '../cells/open-detector.js';
import { Intake } from '../intake/service.js';
import { Classifier } from '../model/classifier.js';
import { loadModelFolder } from '../model/manifest.js';
import { providerLabels } from '../model/providers.js';
import { appVersion, defaultInbox, defaultModelFolder } from '../paths.js';
import type { FailureFilter } from '../store/failures.js';
import type { HistoryFilter } from '../store/history-query.js';
import { openStore, type Store } from '../store/store.js';
import { lockForWriting } from '../store/writer-lock.js';
import { resultsCsv } from '../export/results-csv.js';
import { reviewedCells } from '../export/reviewed-cells.js';
import { readStoredCapture } from './capture-content.js';
import { fromBytes, fromPath, importIntoInbox } from './inbox.js';
import { isBuiltIn, knownModels, summaryOf, type KnownModel } from './models.js';
import { plateOf } from '../cells/plate.js';
import { renderCellWindow } from './cell-window.js';
import {
  cellOf,
  folderOf,
  resultDetailOf,
  reviewOf,
  rowOfCapture,
  rowOfFailure,
  rowOfResult,
} from './rows.js';
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
}

export interface Engine {
  handlers: EngineHandlers;
  onEvent(listener: (message: EventMessage) => void): () => void;
  renderImage(
    sha256: string,
    request: ImageRequest,
  ): Promise<{ body: Buffer; mime: string; window: { low: number; high: number } }>;
  /** Folders whose files may be shown: the watched folders and the thumbnail cache. */
  allowedRoots(): string[];
  close(): Promise<void>;
}

const progressIntervalMs = 250;

/** The engine behind every front end: store, intake, model, answering the contract. */
export async function openEngine(options: EngineOptions): Promise<Engine> {
  const dataFolder = path.dirname(path.resolve(options.database));
  // Taking the lock creates the data folder, or says in a sentence why it cannot.
  const lock = lockForWriting(
    path.resolve(options.database),
    options.mode === 'desktop' ? 'the MetaScope app' : 'metascope serve',
  );
  let store: Store;
  try {
    store = openStore(options.database, { sqliteAddon: options.sqliteAddon });
  } catch (error) {
    lock.release();
    throw error;
  }
  const settings = new SettingsFile(path.join(dataFolder, 'settings.json'));
  const inbox = path.resolve(options.inbox ?? defaultInbox());
  const thumbnails = path.join(dataFolder, 'thumbnails');
  const listeners = new Set<(message: EventMessage) => void>();
  const emit: Emitter = (name, payload) => {
    const message = eventEnvelope(name, payload as never);
    listeners.forEach((listener) => listener(message));
  };

  let classifier: Classifier | null = null;
  let detector: Detector | null = null;
  let detectorProblem: string | null = null;
  let modelProblem: string | null = null;
  let intake: Intake | null = null;
  let lastProgressAt = 0;
  let trailingProgress: NodeJS.Timeout | null = null;
  let closed = false;
  // At most a few updates a second, and always the last one, so Live never stops one short.
  const sendProgress = (): void => {
    // Stopping the intake reports progress too: no update may be left to fire on a closed store.
    if (closed) return;
    const wait = lastProgressAt + progressIntervalMs - Date.now();
    if (wait > 0) {
      trailingProgress ??= setTimeout(() => {
        trailingProgress = null;
        sendProgress();
      }, wait);
      return;
    }
    lastProgressAt = Date.now();
    emit('progress', progress());
  };

  const idleProgress: Progress = {
    queued: 0,
    inFlight: 0,
    done: 0,
    failed: 0,
    rate: 0,
    etaSeconds: null,
    paused: false,
  };
  const progress = (): Progress => {
    const p = intake?.progress() ?? idleProgress;
    return { ...p, queued: p.queued + store.captures.queued() };
  };

  /** Folder ids by path, read once for a whole page of rows. */
  const folderIds = (): ((folderPath: string | null) => number | null) => {
    const byPath = new Map(store.folders.list().map((f) => [f.path, f.id]));
    return (folderPath) => (folderPath === null ? null : (byPath.get(folderPath) ?? null));
  };

  const captureRow = (sha256: string) => {
    const latest = store.history.forCapture(sha256)[0];
    if (latest) return rowOfResult(latest, folderIds());
    const capture = store.captures.get(sha256);
    if (!capture)
      throw new ContractError('not-found', 'This capture is not in the database (it may have been removed).');
    return rowOfCapture(capture, store.reviews.latest(sha256));
  };

  /** A result's cells as the contract shows them, each with its latest review. */
  const cellsOfResult = (resultId: number) => {
    const reviews = store.reviews.latestOfCells(resultId);
    return store.cells.ofResult(resultId).map((cell) => cellOf(cell, reviews.get(cell.id)));
  };

  // Built from the loaded classifier: listing every model would re-hash each ONNX file on every call.
  const status = async (): Promise<AppStatus> => {
    const active: KnownModel | null = classifier
      ? {
          folder: path.resolve(classifier.folder),
          manifest: classifier.manifest,
          builtIn: isBuiltIn(classifier.folder),
        }
      : null;
    return {
      version: appVersion(),
      mode: options.mode,
      dataFolder,
      database: path.resolve(options.database),
      inbox,
      model: active ? summaryOf(active, classifier!.identity) : null,
      modelProblem,
      provider: classifier?.provider ?? null,
      providerLabel: classifier ? providerLabels[classifier.provider] : null,
      skippedProviders: classifier?.skipped ?? [],
      progress: progress(),
    };
  };

  const openClassifier = async (folder: string): Promise<void> => {
    const saved = settings.get();
    const next = await Classifier.open(folder, {
      provider: saved.provider,
      threshold: saved.threshold ?? undefined,
    });
    const { manifest } = next;
    store.models.register({ ...next.identity, classes: manifest.classes, folder: path.resolve(folder) });
    const previous = classifier;
    classifier = next;
    modelProblem = null;
    // The old model is closed once it has finished the captures it had started, never under them.
    const finished = intake
      ? intake.setAnalysis(new Analysis(next, detector, detectorProblem))
      : Promise.resolve();
    if (previous) void finished.then(() => previous.close());
  };

  const chooseModelFolder = async (): Promise<string> => {
    if (options.modelFolder) return options.modelFolder;
    const saved = settings.get().activeModel;
    if (saved) {
      const match = (await knownModels(store)).find(
        (m) => m.manifest.id === saved.id && m.manifest.version === saved.version,
      );
      if (match) return match.folder;
    }
    return defaultModelFolder();
  };

  const startIntake = async (): Promise<void> => {
    if (!classifier || intake) return;
    intake = new Intake(
      {
        store,
        analysis: new Analysis(classifier, detector, detectorProblem),
        appVersion: appVersion(),
        settleMs: options.settleMs,
        batchSize: settings.get().batchSize,
      },
      {
        captureChanged: (sha256) => emit('capture.updated', captureRow(sha256)),
        progress: () => sendProgress(),
        foldersChanged: () =>
          emit(
            'folders.changed',
            store.folders.list().map((f) => folderOf(f, inbox)),
          ),
        notice: (level, message) => emit('notice', { level, message, at: new Date().toISOString() }),
      },
    );
    await intake.start();
  };

  // First start: the inbox exists and is watched, so dropping captures into it just works. A home
  // folder that cannot hold it (read-only) costs the inbox, not the start; the next start tries again.
  const startNotices: EventMessage[] = [];
  if (!settings.get().inboxAdded) {
    try {
      await mkdir(inbox, { recursive: true });
      store.folders.add(inbox, { recursive: false });
      settings.update({ inboxAdded: true });
    } catch {
      // Node says ENOENT for a folder it cannot create on read-only media: the code would mislead.
      startNotices.push(
        eventEnvelope('notice', {
          level: 'warning',
          message: `The inbox ${inbox} cannot be created, so MetaScope runs without it: its folder may be read-only. Add a folder to watch, or set METASCOPE_INBOX to a folder you may write to.`,
          at: new Date().toISOString(),
        }),
      );
    }
  }
  for (const folder of options.watch ?? []) store.folders.add(path.resolve(folder), { recursive: false });

  // Without a cell finder single cells are still classified; whole fields fail with the reason.
  ({ detector, problem: detectorProblem } = await openDetector(
    options.detectorFolder,
    { provider: settings.get().provider },
    { required: false },
  ));
  try {
    await openClassifier(await chooseModelFolder());
  } catch (error) {
    modelProblem = (error as Error).message;
  }
  await startIntake();

  const requireIntake = (): Intake => {
    if (!intake)
      throw new ContractError(
        'no-model',
        modelProblem ?? 'No model is loaded, so nothing can be classified yet.',
      );
    return intake;
  };

  const handlers: EngineHandlers = {
    'app.status': () => status(),
    'folders.list': () => store.folders.list().map((f) => folderOf(f, inbox)),
    'folders.add': ({ path: folderPath, recursive }) => {
      const added = intake
        ? intake.addFolder(path.resolve(folderPath), recursive)
        : store.folders.add(path.resolve(folderPath), { recursive });
      return folderOf(added, inbox);
    },
    'folders.update': ({ id, ...changes }) => {
      const updated = intake ? intake.updateFolder(id, changes) : store.folders.update(id, changes);
      if (!updated) throw new ContractError('not-found', 'That folder is no longer watched.');
      return folderOf(updated, inbox);
    },
    'folders.remove': ({ id }) => ({
      removed: intake ? intake.removeFolder(id) : (store.folders.remove(id), true),
    }),
    'pipeline.pause': () => {
      requireIntake().pause();
      return progress();
    },
    'pipeline.resume': () => {
      requireIntake().resume();
      return progress();
    },
    'captures.recent': ({ limit }) =>
      store.captures.recent(limit).map((capture) => captureRow(capture.sha256)),
    'captures.get': async ({ sha256 }) => {
      const capture = store.captures.get(sha256);
      if (!capture) throw new ContractError('not-found', 'This capture is not in the database.');
      const names = new Map(store.models.list().map((m) => [m.sha256, m.name]));
      const results = store.history.forCapture(sha256);
      return {
        capture: captureRow(sha256),
        format: capture.info.format,
        channels: capture.info.channels,
        results: results.map((row) => resultDetailOf(row, names.get(row.model.sha256) ?? null)),
        reviews: store.reviews.history(sha256).map(reviewOf),
        cells: results[0] ? cellsOfResult(results[0].resultId) : [],
      };
    },
    'captures.import': ({ files }) =>
      importIntoInbox(
        inbox,
        files.map((f) => fromBytes(f.name, f.dataBase64)),
      ),
    'captures.importPaths': ({ paths }) => importIntoInbox(inbox, paths.map(fromPath)),
    'history.query': ({ filter, sort, offset, limit }) => {
      if (filter.status === 'failed') {
        const failed = store.failures.page(failureFilter(filter), sort.direction, { offset, limit });
        const folderIdOf = folderIds();
        return { rows: failed.rows.map((f) => rowOfFailure(f, folderIdOf)), total: failed.total };
      }
      if (sort.key === 'fraction' && filter.fractionClass === undefined) {
        throw new ContractError(
          'invalid-request',
          'Sorting by the share of a class needs that class (fractionClass) in the filter.',
        );
      }
      const page = store.history.page(storeFilter(filter), sort, { offset, limit });
      const folderIdOf = folderIds();
      return { rows: page.rows.map((row) => rowOfResult(row, folderIdOf)), total: page.total };
    },
    'history.stats': ({ filter }) => {
      // A failure is counted in no class and has no probability: nothing to chart.
      if (filter.status === 'failed') return { classCounts: [], histogram: [], classes: [], fractions: [] };
      // What the model could not judge is no class: left out of counts and charts unless asked for.
      const f = { ...storeFilter(filter), inScope: filter.inScope ?? true };
      const utcOffsetMinutes = -new Date().getTimezoneOffset();
      const counts = store.history.classCounts(f, 'day', utcOffsetMinutes);
      const bins = store.history.histogram(f, 20);
      // A local day starts at local midnight, which east of Greenwich is still the day before in UTC:
      // the label is the local date, read from that instant shifted back by the same offset.
      const localDate = (start: number) =>
        new Date(start + utcOffsetMinutes * 60_000).toISOString().slice(0, 10);
      const fractions = store.history.classFractions(f, 'day', utcOffsetMinutes);
      return {
        classCounts: counts.map((c) => ({ day: localDate(c.start), class: c.className, count: c.count })),
        histogram: bins.map((count, i) => ({ from: i / bins.length, to: (i + 1) / bins.length, count })),
        classes: [...new Set(counts.map((c) => c.className))].sort(),
        fractions: fractions.map((c) => ({
          day: localDate(c.start),
          class: c.className,
          fraction: c.fraction,
          fields: c.fields,
        })),
      };
    },
    'history.exportCsv': ({ filter, cells }) =>
      resultsCsv(
        filter.status === 'failed'
          ? store.failures.export(failureFilter(filter))
          : store.history.export(storeFilter(filter)),
        store.models.list(),
        cells ? reviewedCells(store) : undefined,
      ),
    'history.plate': ({ folderId, className }) => {
      if (!store.folders.get(folderId))
        throw new ContractError('not-found', 'That folder is no longer watched.');
      const modelId = classifier?.identity.id;
      const plate = plateOf(modelId ? store.history.placedResults(folderId, modelId) : [], className);
      return { ...plate, wells: plate.wells.map(({ name, ...well }) => ({ well: name, ...well })) };
    },
    'reviews.add': ({ sha256, cellId, label, note }) => {
      const reviewed = store.captures.get(sha256);
      if (!reviewed) throw new ContractError('not-found', 'This capture is not in the database.');
      if (reviewed.state === 'failed' && !store.history.forCapture(sha256)[0])
        throw new ContractError(
          'invalid-request',
          'This file could not be classified, so there is nothing to review: see why on its page.',
        );
      if (cellId !== undefined) {
        const latest = store.history.forCapture(sha256)[0];
        const cell = store.cells.get(cellId);
        if (!latest || !cell || cell.resultId !== latest.resultId) {
          throw new ContractError(
            'not-found',
            'That cell is not one of this capture’s cells (the capture may have been classified again).',
          );
        }
      }
      const review = reviewOf(store.reviews.add({ sha256, cellId, label, note }));
      emit('capture.updated', captureRow(sha256));
      return review;
    },
    'reviews.queue': ({ offset, limit }) => {
      const page = store.history.reviewQueue({}, { offset, limit });
      const folderIdOf = folderIds();
      return { rows: page.rows.map((row) => rowOfResult(row, folderIdOf)), total: page.total };
    },
    'models.list': async () => {
      const active = classifier?.identity ?? null;
      return (await knownModels(store)).map((m) => summaryOf(m, active));
    },
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
      return summaryOf(model, classifier?.identity ?? null);
    },
    'models.activate': async ({ id, version }) => {
      const match = (await knownModels(store)).find(
        (m) => m.manifest.id === id && m.manifest.version === version,
      );
      if (!match) throw new ContractError('not-found', `No installed model is called ${id} ${version}.`);
      await openClassifier(match.folder);
      settings.update({ activeModel: { id, version } });
      await startIntake();
      const current = await status();
      emit('app.status', current);
      return current;
    },
    'settings.get': () => publicSettings(settings),
    'settings.update': async (changes) => {
      const before = settings.get();
      settings.update(changes);
      const reload = changes.provider !== undefined && changes.provider !== before.provider;
      const rethreshold = changes.threshold !== undefined && changes.threshold !== before.threshold;
      if (classifier && (reload || rethreshold)) {
        try {
          await openClassifier(classifier.folder);
        } catch (error) {
          // A processor that cannot run the model is not kept: saved, it would leave the next start with none.
          const { threshold, provider, batchSize } = before;
          settings.update({ threshold, provider, batchSize });
          throw error;
        }
      }
      if (changes.batchSize !== undefined && changes.batchSize !== before.batchSize)
        intake?.setBatchSize(changes.batchSize);
      emit('app.status', await status());
      return publicSettings(settings);
    },
  };

  /** A cell of one of the capture's results, drawn as the classifier saw it. */
  const renderCell = async (sha256: string, cellId: number, request: ImageRequest) => {
    const capture = store.captures.get(sha256);
    const cell = store.cells.get(cellId);
    const result = cell && store.history.forCapture(sha256).find((r) => r.resultId === cell.resultId);
    if (!capture || !cell || !result)
      throw new ContractError('not-found', 'That cell is not one of this capture’s cells.');
    const bytes = await readStoredCapture(capture);
    const same =
      classifier && classifier.identity.sha256 === result.model.sha256 ? classifier.preprocessor : null;
    return renderCellWindow(bytes, cell, same, {
      size: request.size,
      page: request.page,
      format: request.format,
    });
  };

  return {
    handlers,
    onEvent(listener) {
      listeners.add(listener);
      // What went wrong while starting, before anyone listened.
      startNotices.forEach((notice) => listener(notice));
      return () => listeners.delete(listener);
    },
    async renderImage(sha256, request) {
      const capture = store.captures.get(sha256);
      if (!capture) throw new ContractError('not-found', 'This capture is not in the database.');
      if (request.cell !== undefined) return renderCell(sha256, request.cell, request);
      const automatic = request.low === undefined || request.high === undefined;
      const cached = path.join(
        thumbnails,
        `${sha256}-${request.size}-${request.page ?? 0}.${request.format}`,
      );
      if (automatic) {
        // The picture and the window it was drawn with are cached together, so sliders can start there.
        const [hit, window] = await Promise.all([
          readFile(cached).catch(() => null),
          readFile(`${cached}.json`, 'utf8').then(
            (text) => JSON.parse(text) as { low: number; high: number },
            () => null,
          ),
        ]);
        if (hit && window) return { body: hit, mime: `image/${request.format}`, window };
      }
      const bytes = await readStoredCapture(capture);
      const info = await readCaptureInfo(bytes);
      const display = await renderDisplay(bytes, info, {
        page: request.page,
        maxSize: request.size,
        window: automatic ? 'auto' : { low: request.low!, high: request.high! },
        format: request.format,
      });
      if (automatic && request.size <= 512) {
        await mkdir(thumbnails, { recursive: true });
        // A cache that cannot be written only costs a re-render next time.
        await writeFile(`${cached}.json`, JSON.stringify(display.window))
          .then(() => writeFile(cached, display.image))
          .catch(() => undefined);
      }
      return { body: display.image, mime: display.mime, window: display.window };
    },
    allowedRoots: () => [...store.folders.list().map((f) => f.path), thumbnails],
    async close() {
      closed = true;
      await intake?.stop();
      if (trailingProgress) clearTimeout(trailingProgress);
      await classifier?.close();
      await detector?.close();
      store.close();
      lock.release();
      listeners.clear();
    },
  };
}

type Emitter = <N extends Parameters<typeof eventEnvelope>[0]>(
  name: N,
  payload: Parameters<typeof eventEnvelope<N>>[1],
) => void;

function publicSettings(settings: SettingsFile) {
  const { threshold, provider, batchSize } = settings.get();
  return { threshold, provider, batchSize };
}

function storeFilter(filter: ContractFilter): HistoryFilter {
  return {
    ...filter,
    from: filter.from === undefined ? undefined : Date.parse(filter.from),
    to: filter.to === undefined ? undefined : Date.parse(filter.to),
  };
}

/** The filters that apply to a capture that could not be classified. */
function failureFilter(filter: ContractFilter): FailureFilter {
  const { from, to, folderId, search } = storeFilter(filter);
  return { from, to, folderId, search };
}

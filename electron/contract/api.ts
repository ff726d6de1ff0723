import { z } from 'zod';
import * as t from './types.js';

/**
 * Every call a front end can make to the engine, and every event the engine pushes. Channel
 * names exist only here; the preload, the engine process, the browser-mode server and the
 * renderer's client are all derived from these two tables.
 */
const none = z.object({}).strict();
const sha256Input = z.string().regex(/^[0-9a-f]{64}$/);
const call = <I extends z.ZodType, O extends z.ZodType>(input: I, output: O) => ({ input, output });

export const requests = {
  'app.status': call(none, t.appStatus),

  'folders.list': call(none, z.array(t.watchedFolder)),
  'folders.add': call(
    z.object({ path: z.string().min(1).max(4096), recursive: z.boolean().default(false) }),
    t.watchedFolder,
  ),
  'folders.update': call(
    z.object({
      id: z.number().int(),
      recursive: z.boolean().optional(),
      enabled: z.boolean().optional(),
      analysis: t.folderAnalysis.optional(),
    }),
    t.watchedFolder,
  ),
  'folders.remove': call(z.object({ id: z.number().int() }), z.object({ removed: z.boolean() })),
  /** The native folder dialog; null when cancelled or when there is none (browser mode shows a path field). */
  'folders.pick': call(
    z.object({ title: z.string().max(200).optional() }),
    z.object({ path: z.string().nullable() }),
  ),

  'pipeline.pause': call(none, t.progress),
  'pipeline.resume': call(none, t.progress),

  'captures.recent': call(
    z.object({ limit: z.number().int().min(1).max(500).default(50) }),
    z.array(t.captureRow),
  ),
  'captures.get': call(z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/) }), t.captureDetail),
  /** Files dropped onto the window (browser mode sends their bytes): written into the inbox. */
  'captures.import': call(
    z.object({
      files: z
        .array(z.object({ name: z.string().min(1).max(255), dataBase64: z.string().max(200_000_000) }))
        .min(1)
        .max(500),
    }),
    z.object({
      written: z.array(z.string()),
      refused: z.array(z.object({ name: z.string(), reason: z.string() })),
    }),
  ),
  /** Files dropped onto the desktop window: copied into the inbox from where they are. */
  'captures.importPaths': call(
    z.object({ paths: z.array(z.string().min(1).max(4096)).min(1).max(5000) }),
    z.object({
      written: z.array(z.string()),
      refused: z.array(z.object({ name: z.string(), reason: z.string() })),
    }),
  ),

  /** The raw values of one page (16-bit stays 16-bit), for the histogram under the contrast sliders. */
  'captures.histogram': call(
    z.object({
      sha256: sha256Input,
      page: z.number().int().min(0).default(0),
      bins: z.number().int().min(2).max(4096).default(256),
    }),
    t.intensityHistogram,
  ),
  /** The raw value under the cursor, in the capture's own pixels. */
  'captures.pixel': call(
    z.object({
      sha256: sha256Input,
      page: z.number().int().min(0).default(0),
      x: z.number().int(),
      y: z.number().int(),
    }),
    t.pixelValue,
  ),
  /** The pixel size the capture's file states; null when it states none (no scale bar then). */
  'captures.pixelSize': call(z.object({ sha256: sha256Input }), t.pixelSize.nullable()),

  'history.query': call(t.historyQuery, t.historyPage),
  /** Days are the viewer's: `timeZone` is theirs (the browser's), the engine's own when left out. */
  'history.stats': call(
    z.object({ filter: t.historyFilter.default({}), timeZone: t.timeZone.optional() }),
    t.historyStats,
  ),
  /** How often reviewers kept the model's class, per class and per folder. */
  'history.agreement': call(z.object({ filter: t.historyFilter.default({}) }), t.historyAgreement),
  /**
   * The filtered set as CSV, every column needed to reproduce a result, in `sort` order (as History
   * shows it), times in the viewer's `timeZone`. `cells`: one row per cell of each field instead.
   */
  'history.exportCsv': call(
    z.object({
      filter: t.historyFilter.default({}),
      cells: z.boolean().default(false),
      sort: t.historySort.default({ key: 'time', direction: 'asc' }),
      timeZone: t.timeZone.optional(),
    }),
    z.object({ csv: z.string(), rows: z.number().int() }),
  ),
  /** The workstations and microscopes a facility's history knows (none in a workstation's own). */
  'history.places': call(none, t.places),
  /** A folder's captures laid out on their plate by the well names in their file names. */
  'history.plate': call(
    z.object({ folderId: z.number().int(), className: z.string().min(1).max(200) }),
    t.plateMap,
  ),

  'reviews.add': call(
    z.object({
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      /** A cell of the capture's latest result; the whole capture when left out. */
      cellId: z.number().int().optional(),
      label: z.string().min(1).max(200),
      note: z.string().max(5000).default(''),
      /** The name the person gave once; stored with the review and exported. */
      reviewer: z.string().trim().min(1).max(200).optional(),
    }),
    t.review,
  ),
  /** Undo: takes a review back, so the capture's label is again the one before it. */
  'reviews.withdraw': call(
    z.object({ id: z.number().int(), reviewer: z.string().trim().min(1).max(200).optional() }),
    t.review,
  ),
  'reviews.queue': call(
    z.object({
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(500).default(50),
      /** Only the captures of one watched folder. */
      folderId: z.number().int().optional(),
      /** Only the captures the model put in this class. */
      modelClass: z.string().min(1).max(200).optional(),
    }),
    t.historyPage,
  ),

  'models.list': call(none, z.array(t.installedModel)),
  'models.import': call(z.object({ folder: z.string().min(1).max(4096) }), t.modelSummary),
  'models.activate': call(z.object({ id: z.string(), version: z.string() }), t.appStatus),
  /** Takes a model off the list (its files stay); refused while results name it, for a built-in or the active one. */
  'models.remove': call(t.modelRef, z.object({ removed: z.boolean() })),
  /**
   * Classifies again, with another installed model, the captures that have a result matching the
   * filter (e.g. a folder). Results are added beside the others; progress comes as 'rerun.progress'.
   */
  'models.rerun': call(z.object({ model: t.modelRef, filter: t.historyFilter.default({}) }), t.rerunProgress),
  /** Stops the re-run after the captures at the model; what was saved stays. */
  'models.cancelRerun': call(none, z.object({ cancelled: z.boolean() })),
  /** Where two models differ on the captures both classified (in a folder, when given). */
  'models.compare': call(
    z.object({ a: t.modelRef, b: t.modelRef, folderId: z.number().int().optional() }),
    t.comparison,
  ),

  'settings.get': call(none, t.settings),
  'settings.update': call(t.settings.partial(), t.settings),
} as const;

export const events = {
  'capture.updated': t.captureRow,
  progress: t.progress,
  'folders.changed': z.array(t.watchedFolder),
  'app.status': t.appStatus,
  notice: t.engineNotice,
  'rerun.progress': t.rerunProgress,
} as const;

export type RequestName = keyof typeof requests;
export type EventName = keyof typeof events;
export type RequestInput<N extends RequestName> = z.input<(typeof requests)[N]['input']>;
export type RequestArgs<N extends RequestName> = z.output<(typeof requests)[N]['input']>;
export type RequestOutput<N extends RequestName> = z.output<(typeof requests)[N]['output']>;
export type EventPayload<N extends EventName> = z.output<(typeof events)[N]>;

/** What a front end holds: one async method per request, one subscription per event. */
export type EngineApi = {
  call<N extends RequestName>(name: N, input: RequestInput<N>): Promise<RequestOutput<N>>;
  on<N extends EventName>(name: N, listener: (payload: EventPayload<N>) => void): () => void;
};

/** Requests that need the desktop shell (a native dialog): the front door answers them, never the engine. */
export const shellRequestNames = ['folders.pick'] as const satisfies readonly RequestName[];
export type ShellRequestName = (typeof shellRequestNames)[number];
export type EngineRequestName = Exclude<RequestName, ShellRequestName>;

export type RequestHandlers<K extends RequestName> = {
  [N in K]: (input: RequestArgs<N>) => Promise<RequestOutput<N>> | RequestOutput<N>;
};
/** What the engine implements: one handler per request, given validated input. */
export type EngineHandlers = RequestHandlers<EngineRequestName>;
/** What each front door (Electron main, browser-mode server) implements for the shell requests. */
export type ShellHandlers = RequestHandlers<ShellRequestName>;

export const requestNames = Object.keys(requests) as RequestName[];
export const eventNames = Object.keys(events) as EventName[];

import { z } from 'zod';

/** The shapes that travel between a front end and the engine. Validated on arrival, both ways. */

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const isoTime = z.string();

export const providerName = z.enum(['cpu', 'cuda', 'dml', 'coreml', 'webgpu']);
export const providerPreference = z.enum(['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu']);

export const modelRef = z.object({ id: z.string(), version: z.string(), sha256: z.string() });
export type ModelRef = z.infer<typeof modelRef>;

export const review = z.object({
  id: z.number().int(),
  label: z.string(),
  note: z.string(),
  /** Who decided, as they named themselves; null for reviews from before names were asked. */
  reviewer: z.string().nullable(),
  createdAt: isoTime,
  /** When it was undone; an undone review no longer counts. */
  withdrawnAt: isoTime.nullable(),
});

export const captureState = z.enum(['discovered', 'queued', 'processing', 'done', 'failed']);

/** One cell: the capture was classified whole. Find cells: each cell was found, then classified. */
export const analysisMode = z.enum(['one-cell', 'find-cells']);
/** A folder's setting: a mode, or auto (a capture about the size of the classifier's window is one cell). */
export const folderAnalysis = z.enum(['auto', 'one-cell', 'find-cells']);

/** Whether the model could judge an input at all: out of scope results are never counted as a class. */
export const scopeVerdict = z.object({
  inScope: z.boolean(),
  /** Distance in the model's feature space to its training images; null where only input checks ran. */
  score: z.number().nullable(),
  threshold: z.number().nullable(),
  /** Which check ran: the feature distance (with input checks), input checks alone, or none. */
  method: z.enum(['feature-distance', 'input-checks', 'none']),
  /** Why it is out of scope, in plain words. */
  reason: z.string().nullable(),
});

/** A whole field in a few numbers. */
export const fieldSummary = z.object({
  /** Cells given a class (in the model's scope). */
  cells: z.number().int(),
  /** Cells found but out of the model's scope: counted apart, never as a class. */
  outOfScope: z.number().int(),
  counts: z.record(z.string(), z.number().int()),
  fractions: z.record(z.string(), z.number()),
  meanProbability: z.number().nullable(),
});

/** One cell of a field's latest result, in the capture's pixels. */
export const cellRow = z.object({
  id: z.number().int(),
  index: z.number().int(),
  x: z.number(),
  y: z.number(),
  box: z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() }),
  outline: z.array(z.tuple([z.number(), z.number()])),
  area: z.number(),
  class: z.string(),
  probability: z.number(),
  probabilities: z.record(z.string(), z.number()),
  /** The classifier's window crossed the field's edge and was filled by mirroring. */
  edge: z.boolean(),
  review: review.nullable(),
  scope: scopeVerdict,
});

/** One capture with its latest result: a card on Live, a row in History. */
export const captureRow = z.object({
  sha256,
  fileName: z.string(),
  paths: z.array(z.string()),
  folderId: z.number().int().nullable(),
  state: captureState,
  failureReason: z.string().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  bitDepth: z.number().int().nullable(),
  pages: z.number().int().nullable(),
  /** What the model said. */
  class: z.string().nullable(),
  /** What the lab counts: the standing review's label, else the model's class. */
  finalLabel: z.string().nullable(),
  probability: z.number().nullable(),
  probabilities: z.record(z.string(), z.number()).nullable(),
  provider: z.string().nullable(),
  model: modelRef.nullable(),
  durationMs: z.number().nullable(),
  classifiedAt: isoTime.nullable(),
  review: review.nullable(),
  analysis: analysisMode.nullable(),
  summary: fieldSummary.nullable(),
  /** Null until classified. */
  scope: scopeVerdict.nullable(),
  /** In a facility's history: the workstations and microscopes the capture was seen at. */
  workstations: z.array(z.string()).optional(),
  microscopes: z.array(z.string()).optional(),
  /** In a facility's history: whether this workstation holds the capture's file, so can draw its picture. */
  here: z.boolean().optional(),
  /** In scope, but less sure than the threshold asks: shown as uncertain, counted apart. */
  uncertain: z.boolean(),
});

export const resultDetail = z.object({
  model: modelRef.extend({ name: z.string().nullable() }),
  class: z.string(),
  probability: z.number(),
  probabilities: z.record(z.string(), z.number()),
  provider: z.string(),
  preprocessing: z.unknown(),
  appVersion: z.string(),
  durationMs: z.number(),
  classifiedAt: isoTime,
  analysis: analysisMode,
  detector: modelRef.nullable(),
  summary: fieldSummary.nullable(),
  scope: scopeVerdict,
  uncertain: z.boolean(),
});

export const captureDetail = z.object({
  capture: captureRow,
  format: z.string().nullable(),
  channels: z.number().int().nullable(),
  results: z.array(resultDetail),
  reviews: z.array(review),
  /** The cells of the latest result (none for a capture classified whole). */
  cells: z.array(cellRow),
});

/** A page's raw values binned over the span they use: bin i holds min + i·binWidth … + binWidth − 1. */
export const intensityHistogram = z.object({
  counts: z.array(z.number().int()),
  min: z.number().int(),
  max: z.number().int(),
  binWidth: z.number().int(),
  bitDepth: z.number().int(),
});

/** The raw samples of one pixel (one for grey, three for RGB), at its place in the capture. */
export const pixelValue = z.object({
  x: z.number().int(),
  y: z.number().int(),
  values: z.array(z.number()),
});

/** The size of a capture's pixels as its file states it. */
export const pixelSize = z.object({
  umPerPixel: z.number().positive(),
  source: z.string(),
});

export const folderState = z.enum(['available', 'unavailable']);
export const watchedFolder = z.object({
  id: z.number().int(),
  path: z.string(),
  recursive: z.boolean(),
  enabled: z.boolean(),
  state: folderState,
  reason: z.string().nullable(),
  lastScanAt: isoTime.nullable(),
  isInbox: z.boolean(),
  analysis: folderAnalysis,
});

export const progress = z.object({
  queued: z.number(),
  inFlight: z.number(),
  done: z.number(),
  failed: z.number(),
  rate: z.number(),
  etaSeconds: z.number().nullable(),
  paused: z.boolean(),
});

export const modelSummary = z.object({
  id: z.string(),
  version: z.string(),
  name: z.string(),
  description: z.string(),
  sha256,
  classes: z.array(z.string()),
  threshold: z.number(),
  folder: z.string(),
  active: z.boolean(),
  builtIn: z.boolean(),
});

/** A run of text in a model card: no HTML ever comes from a model folder. */
export const cardSpan = z.object({ text: z.string(), strong: z.boolean(), code: z.boolean() });
export const cardBlock = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('heading'), level: z.number().int(), text: z.string() }),
  z.object({ kind: z.literal('paragraph'), spans: z.array(cardSpan) }),
  z.object({ kind: z.literal('list'), items: z.array(z.array(cardSpan)) }),
  z.object({
    kind: z.literal('table'),
    header: z.array(z.array(cardSpan)),
    rows: z.array(z.array(z.array(cardSpan))),
  }),
  z.object({ kind: z.literal('code'), text: z.string() }),
]);
/** MODEL_CARD.md as blocks, and the numbers of metrics.json with their 95% intervals. */
export const modelCard = z.object({
  blocks: z.array(cardBlock),
  measured: z.array(
    z.object({
      name: z.string(),
      value: z.number(),
      low: z.number().nullable(),
      high: z.number().nullable(),
    }),
  ),
});

/**
 * A model as the Models screen lists it: installed, or no longer installed but still named by
 * results (its folder gone, or now holding another version), which keep their provenance.
 */
export const installedModel = modelSummary.extend({
  /** Null for a model no longer installed: only its folder's manifest said it. */
  threshold: z.number().nullable(),
  /** Results this exact file (id, version, SHA-256) made. */
  results: z.number().int(),
  card: modelCard.nullable(),
  /** Whether its folder still holds this file: only then can it classify. */
  available: z.boolean(),
  /** Why it cannot classify any more, in plain words; null when available. */
  problem: z.string().nullable(),
});

/** A re-run of a model on captures classified already: its results are added beside the others. */
export const rerunProgress = z.object({
  model: modelRef,
  state: z.enum(['running', 'finished', 'cancelled']),
  total: z.number().int(),
  done: z.number().int(),
  failed: z.number().int(),
  /** Why the last capture that could not be re-run failed, in plain words. */
  lastProblem: z.string().nullable(),
});

/** Two models on the same captures: the agreement table and where they differ, most first. */
export const comparison = z.object({
  a: modelRef,
  b: modelRef,
  labelsA: z.array(z.string()),
  labelsB: z.array(z.string()),
  counts: z.array(z.array(z.number().int())),
  total: z.number().int(),
  agreed: z.number().int(),
  fraction: z.number().nullable(),
  interval: z.tuple([z.number(), z.number()]).nullable(),
  disagreements: z.array(
    z.object({
      sha256,
      fileName: z.string(),
      classA: z.string(),
      classB: z.string(),
      probabilityA: z.number(),
      probabilityB: z.number(),
      difference: z.number(),
    }),
  ),
});

export const settings = z.object({
  threshold: z.number().gt(0).lt(1).nullable(),
  provider: providerPreference,
  batchSize: z.number().int().min(1).max(64),
  /** Who reviews at this workstation, asked once; sent with each review and each undo. */
  reviewerName: z.string().trim().min(1).max(200).nullable(),
  /**
   * A facility's shared history (PostgreSQL) to show instead of this workstation's own: its address
   * without a password, which comes from the environment or a file only its owner can read.
   */
  facility: z
    .object({
      address: z.string().trim().min(1).max(2000),
      passwordFile: z.string().min(1).max(4096).nullable(),
      /** Send this workstation's captures to the facility's workers instead of classifying them here. */
      sendCaptures: z.boolean().default(false),
      /** The microscope this workstation's folders receive captures from, shown in the facility history. */
      microscope: z.string().trim().max(200).nullable().default(null),
    })
    .nullable(),
});

/** Where the captures of a facility's history were seen. */
export const places = z.object({ workstations: z.array(z.string()), microscopes: z.array(z.string()) });

export const appStatus = z.object({
  version: z.string(),
  mode: z.enum(['desktop', 'browser']),
  dataFolder: z.string(),
  database: z.string(),
  inbox: z.string(),
  model: modelSummary.nullable(),
  /** Why no model is loaded, in plain words. */
  modelProblem: z.string().nullable(),
  provider: providerName.nullable(),
  providerLabel: z.string().nullable(),
  skippedProviders: z.array(z.object({ provider: providerName, reason: z.string() })),
  progress,
  /** The history shown: this workstation's own, or a facility's (every workstation's), by its address. */
  history: z.object({
    scope: z.enum(['workstation', 'facility']),
    facility: z.string().nullable(),
    /** Captures go to the facility's workers (and their results to its history) instead of this computer's model. */
    sendsCaptures: z.boolean(),
  }),
});

/** 'fraction' sorts fields by the share of their cells in the filter's `fractionClass`. */
export const sortKey = z.enum(['time', 'probability', 'fileName', 'class', 'fraction']);
export const historyFilter = z.object({
  /** The final label (a person's standing review, else the model's class). */
  className: z.string().optional(),
  /** What the model said, whatever a person decided since. */
  modelClass: z.string().optional(),
  folderId: z.number().int().optional(),
  /** In a facility's history: captures seen at this workstation, or of this microscope. */
  workstation: z.string().max(200).optional(),
  microscope: z.string().max(200).optional(),
  modelId: z.string().optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
  minProbability: z.number().min(0).max(1).optional(),
  maxProbability: z.number().min(0).max(1).optional(),
  reviewed: z.boolean().optional(),
  search: z.string().max(500).optional(),
  analysis: analysisMode.optional(),
  /** In or out of the model's scope. Counts and charts leave out-of-scope results out unless this is false. */
  inScope: z.boolean().optional(),
  /** With minFraction / maxFraction: fields whose share of cells in this class is in range. */
  fractionClass: z.string().optional(),
  minFraction: z.number().min(0).max(1).optional(),
  maxFraction: z.number().min(0).max(1).optional(),
  /**
   * 'failed': the captures that could not be classified, each with its reason, by the time it failed,
   * instead of results. Only the time, folder and file-name filters apply to them: a failure has no
   * class, probability, model or review.
   */
  status: z.enum(['ok', 'failed']).optional(),
});

export const historySort = z.object({ key: sortKey, direction: z.enum(['asc', 'desc']) });

export const historyQuery = z.object({
  filter: historyFilter.default({}),
  sort: historySort.default({ key: 'time', direction: 'desc' }),
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(1000).default(100),
});

export const historyPage = z.object({ rows: z.array(captureRow), total: z.number().int() });

/** An IANA time zone name this machine knows, e.g. 'Europe/Berlin': days are counted in it. */
export const timeZone = z
  .string()
  .min(1)
  .max(100)
  .refine(
    (name) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: name });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'is not a time zone this computer knows (expected a name like Europe/Berlin)' },
  );

/** A share of a count with its 95 % Wilson interval. */
const share = { fraction: z.number(), low: z.number(), high: z.number() };

export const historyStats = z.object({
  /** Classified captures per class per day (ISO date). */
  classCounts: z.array(z.object({ day: z.string(), class: z.string(), count: z.number().int() })),
  /** Probability of the predicted class in equal bins from 0 to 1. */
  histogram: z.array(z.object({ from: z.number(), to: z.number(), count: z.number().int() })),
  classes: z.array(z.string()),
  /** Per day, the mean share of cells in each class over the fields classified that day. */
  fractions: z.array(
    z.object({ day: z.string(), class: z.string(), fraction: z.number(), fields: z.number().int() }),
  ),
  /** Per watched folder, the share of its results with each final label. */
  folderShares: z.array(
    z.object({ folderId: z.number().int(), class: z.string(), count: z.number().int(), total: z.number().int(), ...share }),
  ),
});

/** Of the results a person reviewed, the share where they kept the model's class. */
const agreementRow = { reviewed: z.number().int(), agreed: z.number().int(), ...share };
export const historyAgreement = z.object({
  /** Per class the model gave. */
  byClass: z.array(z.object({ class: z.string(), ...agreementRow })),
  byFolder: z.array(z.object({ folderId: z.number().int(), ...agreementRow })),
});

/** One well of a plate: its captures and cells, and the share of cells in the chosen class. */
export const plateWell = z.object({
  well: z.string(),
  row: z.number().int(),
  column: z.number().int(),
  captures: z.number().int(),
  cells: z.number().int(),
  fraction: z.number().nullable(),
});

export const plateMap = z.object({
  rows: z.number().int(),
  columns: z.number().int(),
  className: z.string(),
  wells: z.array(plateWell),
  /** Classified captures of the folder whose file names name no well. */
  unplaced: z.number().int(),
});

/** What a notice offers to do about what it says, as one button. */
export const noticeAction = z.discriminatedUnion('kind', [
  /** Watch the folder's subfolders too (files arrived in one it does not watch). */
  z.object({ kind: z.literal('make-recursive'), folderId: z.number().int() }),
]);

export const engineNotice = z.object({
  level: z.enum(['info', 'warning', 'error']),
  message: z.string(),
  at: isoTime,
  /** A notice with an action stays until it is acted on or dismissed. */
  action: noticeAction.optional(),
});

export type CaptureRow = z.infer<typeof captureRow>;
export type CellRow = z.infer<typeof cellRow>;
export type FieldSummary = z.infer<typeof fieldSummary>;
export type ScopeVerdict = z.infer<typeof scopeVerdict>;
export type PlateMap = z.infer<typeof plateMap>;
export type CaptureDetail = z.infer<typeof captureDetail>;
export type IntensityHistogram = z.infer<typeof intensityHistogram>;
export type PixelValue = z.infer<typeof pixelValue>;
export type PixelSize = z.infer<typeof pixelSize>;
export type ResultDetail = z.infer<typeof resultDetail>;
export type Review = z.infer<typeof review>;
export type WatchedFolder = z.infer<typeof watchedFolder>;
export type Progress = z.infer<typeof progress>;
export type ModelSummary = z.infer<typeof modelSummary>;
export type InstalledModel = z.infer<typeof installedModel>;
export type ModelCard = z.infer<typeof modelCard>;
export type CardSpan = z.infer<typeof cardSpan>;
export type RerunProgress = z.infer<typeof rerunProgress>;
export type Comparison = z.infer<typeof comparison>;
export type Settings = z.infer<typeof settings>;
export type AppStatus = z.infer<typeof appStatus>;
export type HistoryFilter = z.infer<typeof historyFilter>;
export type HistoryQuery = z.input<typeof historyQuery>;
export type HistoryPage = z.infer<typeof historyPage>;
export type HistoryStats = z.infer<typeof historyStats>;
export type HistoryAgreement = z.infer<typeof historyAgreement>;
export type EngineNotice = z.infer<typeof engineNotice>;
export type NoticeAction = z.infer<typeof noticeAction>;

import path from 'node:path';
import type Database from 'better-sqlite3';
import { createCellWriter } from './cells.js';
import type { ModelRef } from './models.js';

/** A file path's state is 'discovered' until it settles; from then on its capture's state counts. */
export type CaptureState = 'queued' | 'processing' | 'done' | 'failed';
export type IntakeState = 'discovered' | CaptureState;

/** What decoding the file told about it; null where it could not tell. */
export interface CaptureInfo {
  size: number;
  width: number | null;
  height: number | null;
  bitDepth: number | null;
  channels: number | null;
  pages: number | null;
  format: string | null;
}

export interface Capture {
  sha256: string;
  /** File name it was first seen under. */
  name: string;
  info: CaptureInfo;
  state: CaptureState;
  /** Why it failed, in plain words. */
  failureReason: string | null;
  attempts: number;
  firstSeenAt: number;
  updatedAt: number;
  /** Every known path with this content, first seen first. */
  paths: string[];
}

/** A capture that could not be classified; `reason` is shown to the user as is. */
export interface CaptureFailure {
  sha256: string;
  reason: string;
}

/** One cell of a field, as found and classified; coordinates in the capture's pixels. */
export interface CellInput {
  x: number;
  y: number;
  box: { x: number; y: number; width: number; height: number };
  area: number;
  outline: Array<[number, number]>;
  /** The detector's confidence in the cell. */
  score: number;
  className: string;
  probability: number;
  probabilities: Record<string, number>;
  /** The window cut for the classifier and how: its provenance. */
  crop: Record<string, unknown>;
  /** Whether the model could judge the cell, with the score and the reason. */
  scope: ScopeInput;
}

/** Whether the model could judge an input at all (see model/scope.ts). */
export interface ScopeInput {
  inScope: boolean;
  score: number | null;
  threshold: number | null;
  method: 'feature-distance' | 'input-checks' | 'none';
  reason: string | null;
}

/** A field's summary as stored and shown. */
export interface SummaryInput {
  /** Cells that were given a class (in the model's scope). */
  cells: number;
  /** Cells found but out of the model's scope: counted apart, never as a class. */
  outOfScope: number;
  counts: Record<string, number>;
  fractions: Record<string, number>;
  meanProbability: number | null;
}

export type AnalysisMode = 'one-cell' | 'find-cells';

/** The analysis fields of a result for a capture classified whole. */
export const wholeCapture = {
  analysis: 'one-cell',
  detector: null,
  cells: null,
  summary: null,
  scope: { inScope: true, score: null, threshold: null, method: 'none', reason: null },
  uncertain: false,
} as const satisfies Pick<ResultInput, 'analysis' | 'detector' | 'cells' | 'summary' | 'scope' | 'uncertain'>;

/** One classification, with everything needed to reproduce it. */
export interface ResultInput {
  /** Whether the capture was classified whole or cell by cell. */
  analysis: AnalysisMode;
  /** The detector that found the cells; null for a capture classified whole. */
  detector: ModelRef | null;
  /** Fields only: each cell, and the summary of all of them. */
  cells: CellInput[] | null;
  summary: SummaryInput | null;
  /** Out of scope: the model cannot judge this capture, and it counts as no class. */
  scope: ScopeInput;
  /** In scope, but the model is less sure than the threshold asks: counted apart. */
  uncertain: boolean;
  sha256: string;
  model: ModelRef;
  /** Class name → probability, as the model's output activation gave them. */
  probabilities: Record<string, number>;
  /** The class decided, and its probability. */
  className: string;
  probability: number;
  /** The execution provider that actually ran. */
  provider: string;
  preprocessing: Record<string, unknown>;
  appVersion: string;
  durationMs: number;
  classifiedAt: number;
}

export interface CaptureRow {
  id: number;
  sha256: string;
  name: string;
  size: number;
  width: number | null;
  height: number | null;
  bit_depth: number | null;
  channels: number | null;
  pages: number | null;
  format: string | null;
  state: CaptureState;
  failure_reason: string | null;
  attempts: number;
  first_seen_at: number;
  updated_at: number;
}

type InfoColumns = 'size' | 'width' | 'height' | 'bit_depth' | 'channels' | 'pages' | 'format';

export const toInfo = (r: Pick<CaptureRow, InfoColumns>): CaptureInfo => ({
  size: r.size,
  width: r.width,
  height: r.height,
  bitDepth: r.bit_depth,
  channels: r.channels,
  pages: r.pages,
  format: r.format,
});

/** The row id other tables use for the capture with this content; throws for unknown content. */
export function captureIds(db: Database.Database): (sha256: string) => number {
  const bySha = db.prepare<[string], number>('SELECT id FROM captures WHERE sha256 = ?').pluck();
  return (sha256) => {
    const id = bySha.get(sha256);
    if (id === undefined) throw new Error(`No capture has the SHA-256 ${sha256}.`);
    return id;
  };
}

export type Captures = ReturnType<typeof createCaptures>;

export function createCaptures(db: Database.Database) {
  const idOf = captureIds(db);
  const insert = db.prepare(
    `INSERT INTO captures (sha256, name, size, width, height, bit_depth, channels, pages, format,
                           state, first_seen_at, updated_at)
     VALUES (@sha256, @name, @size, @width, @height, @bitDepth, @channels, @pages, @format, 'queued', @now, @now)
     ON CONFLICT (sha256) DO NOTHING`,
  );
  const link = db.prepare('UPDATE capture_files SET capture_id = ? WHERE path = ?');
  const bySha = db.prepare<[string], CaptureRow>('SELECT * FROM captures WHERE sha256 = ?');
  const inState = db.prepare<[CaptureState, number, number], CaptureRow>(
    'SELECT * FROM captures WHERE state = ? ORDER BY first_seen_at, id LIMIT ? OFFSET ?',
  );
  const recent = db.prepare<[number], CaptureRow>(
    'SELECT * FROM captures ORDER BY updated_at DESC, id DESC LIMIT ?',
  );
  const pathsOf = db
    .prepare<[number], string>('SELECT path FROM capture_files WHERE capture_id = ? ORDER BY id')
    .pluck();
  // Oldest first, so a backlog drains in arrival order.
  const claim = db.prepare<[{ now: number; limit: number }], CaptureRow>(
    `UPDATE captures SET state = 'processing', attempts = attempts + 1, updated_at = @now
     WHERE id IN (SELECT id FROM captures WHERE state = 'queued' ORDER BY first_seen_at, id LIMIT @limit)
     RETURNING *`,
  );
  const requeue = db.prepare(
    "UPDATE captures SET state = 'queued', updated_at = ? WHERE state = 'processing'",
  );
  const retry = db.prepare(
    "UPDATE captures SET state = 'queued', failure_reason = NULL, updated_at = ? WHERE sha256 = ? AND state = 'failed'",
  );
  const setState = db.prepare(
    'UPDATE captures SET state = @state, failure_reason = @reason, updated_at = @now WHERE sha256 = @sha256',
  );
  // A re-run with the same model (id, version and file) replaces its result. A result of the same
  // file under another version is left as it is, never re-attributed: it keeps naming what made it.
  // Reviews live in their own table and stay; triggers (migration 0005) give the result its final
  // label and `reviewed` from them.
  const saveResult = db
    .prepare<[Record<string, unknown>], number>(
      `INSERT INTO results (capture_id, model_id, model_version, model_sha256, probabilities, class_name,
                          probability, provider, preprocessing, app_version, duration_ms, classified_at,
                          analysis, detector, cell_count, summary, in_scope, scope, uncertain)
     VALUES (@captureId, @modelId, @modelVersion, @modelSha256, @probabilities, @className,
             @probability, @provider, @preprocessing, @appVersion, @durationMs, @classifiedAt,
             @analysis, @detector, @cellCount, @summary, @inScope, @scope, @uncertain)
     ON CONFLICT (capture_id, model_sha256) DO UPDATE SET
       probabilities = excluded.probabilities, class_name = excluded.class_name,
       probability = excluded.probability, provider = excluded.provider,
       preprocessing = excluded.preprocessing, app_version = excluded.app_version,
       duration_ms = excluded.duration_ms, classified_at = excluded.classified_at,
       analysis = excluded.analysis, detector = excluded.detector,
       cell_count = excluded.cell_count, summary = excluded.summary,
       in_scope = excluded.in_scope, scope = excluded.scope, uncertain = excluded.uncertain
     WHERE results.model_id = excluded.model_id AND results.model_version = excluded.model_version
     RETURNING id`,
    )
    .pluck();
  const cells = createCellWriter(db);
  // captures_by_state reaches the queued ones directly: a count that stays cheap at 100k results.
  const queuedCount = db.prepare<[], number>("SELECT count(*) FROM captures WHERE state = 'queued'").pluck();
  const stateCounts = db.prepare<[], { state: IntakeState; n: number }>(
    `SELECT state, count(*) AS n FROM captures GROUP BY state
     UNION ALL SELECT 'discovered', count(*) FROM capture_files WHERE capture_id IS NULL`,
  );

  const toCapture = (r: CaptureRow): Capture => ({
    sha256: r.sha256,
    name: r.name,
    info: toInfo(r),
    state: r.state,
    failureReason: r.failure_reason,
    attempts: r.attempts,
    firstSeenAt: r.first_seen_at,
    updatedAt: r.updated_at,
    paths: pathsOf.all(r.id),
  });
  const setStateOf = (sha256: string, state: CaptureState, reason: string | null) =>
    setState.run({ sha256, state, reason, now: Date.now() }).changes > 0;

  const attach = db.transaction((filePath: string, sha256: string, info: CaptureInfo) => {
    const created =
      insert.run({ ...info, sha256, name: path.basename(filePath), now: Date.now() }).changes > 0;
    if (link.run(idOf(sha256), filePath).changes === 0) {
      throw new Error(`attachFile: ${filePath} was never recorded with files.recordSeen.`);
    }
    return { created };
  });
  const saveOne = (result: ResultInput) => {
    const resultId = saveResult.get({
      captureId: idOf(result.sha256),
      modelId: result.model.id,
      modelVersion: result.model.version,
      modelSha256: result.model.sha256,
      probabilities: JSON.stringify(result.probabilities),
      className: result.className,
      probability: result.probability,
      provider: result.provider,
      preprocessing: JSON.stringify(result.preprocessing),
      appVersion: result.appVersion,
      durationMs: result.durationMs,
      classifiedAt: result.classifiedAt,
      analysis: result.analysis,
      detector: result.detector && JSON.stringify(result.detector),
      cellCount: result.summary?.cells ?? null,
      summary: result.summary && JSON.stringify(result.summary),
      inScope: Number(result.scope.inScope),
      scope: JSON.stringify(result.scope),
      uncertain: Number(result.uncertain),
    });
    if (resultId !== undefined) cells.replace(resultId, result.cells ?? [], result.summary);
  };
  const markDone = (result: ResultInput) => {
    saveOne(result);
    setStateOf(result.sha256, 'done', null);
  };
  const added = db.transaction((results: ResultInput[]) => results.forEach(saveOne));
  const outcomes = db.transaction((results: ResultInput[], failures: CaptureFailure[]) => {
    results.forEach(markDone);
    for (const { sha256, reason } of failures) setStateOf(sha256, 'failed', reason);
  });

  return {
    /**
     * Ties a settled file (already recorded with `files.recordSeen`) to its content. New content
     * becomes a 'queued' capture; known content only gains this path. Returns whether it was new.
     */
    attachFile: (filePath: string, sha256: string, info: CaptureInfo): { created: boolean } =>
      attach.immediate(filePath, sha256, info),
    get(sha256: string): Capture | undefined {
      const row = bySha.get(sha256);
      return row && toCapture(row);
    },
    /** Captures in one state, oldest first (e.g. the failures to show with their reasons). */
    inState: (state: CaptureState, page: { limit: number; offset: number }): Capture[] =>
      inState.all(state, page.limit, page.offset).map(toCapture),
    /** The captures whose state changed last, newest first: what the Live screen shows. */
    recent: (limit: number): Capture[] => recent.all(limit).map(toCapture),
    /** Moves up to `limit` queued captures to 'processing' in one step, oldest first. */
    claimNext: (limit: number): Capture[] =>
      claim
        .all({ now: Date.now(), limit })
        .sort((a, b) => a.first_seen_at - b.first_seen_at || a.id - b.id)
        .map(toCapture),
    /**
     * Work cut short (by a crash, a quit, or a save that failed) goes back to the queue. Only while
     * nothing is being classified: at start, at stop, or on resuming after a failed save. Returns how many.
     */
    requeueProcessing: (): number => requeue.run(Date.now()).changes,
    /**
     * Saves a batch's results (each capture then done) and failures in one transaction: all of it
     * or none, and then the captures stay 'processing'.
     */
    saveOutcomes: (results: ResultInput[], failures: CaptureFailure[]): void =>
      outcomes.immediate(results, failures),
    /**
     * Results of another model for captures classified already (a re-run), in one transaction: the
     * captures' state and place in the intake are left as they are.
     */
    addResults: (results: ResultInput[]): void => added.immediate(results),
    /**
     * Captures handed on to a facility (which classifies them and keeps their results) are done
     * here: this store only remembers that they left, so a restart does not send them again.
     */
    markSent: db.transaction((sha256s: string[]): void => {
      for (const sha256 of sha256s) setStateOf(sha256, 'done', null);
    }),
    /** `reason` is shown to the user as is: a plain sentence. */
    markFailed: (sha256: string, reason: string): boolean => setStateOf(sha256, 'failed', reason),
    /** A failed capture goes back to the queue (e.g. its file turned up again). Returns whether it had failed. */
    retry: (sha256: string): boolean => retry.run(Date.now(), sha256).changes > 0,
    /** How many captures wait in the queue (what progress shows, several times a second). */
    queued: (): number => queuedCount.get()!,
    /** How many file paths are settling and how many captures are in each state. */
    counts(): Record<IntakeState, number> {
      const counts = { discovered: 0, queued: 0, processing: 0, done: 0, failed: 0 };
      for (const { state, n } of stateCounts.all()) counts[state] += n;
      return counts;
    },
  };
}

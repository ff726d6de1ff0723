import type Database from 'better-sqlite3';
import {
  toInfo,
  wholeCapture,
  type CaptureInfo,
  type CaptureRow,
  type ResultInput,
  type SummaryInput,
} from './captures.js';
import { filterSql, pageSql, type HistoryFilter, type HistorySort } from './history-query.js';
import { periodStarts } from '../time/zone.js';
import { toReview, type Review, type ReviewRow } from './reviews.js';
import { statementCache } from './statements.js';

/** One result with its capture, its paths and its latest review: a history line or an export row. */
export interface HistoryRow extends ResultInput {
  resultId: number;
  /** File name the capture was first seen under. */
  fileName: string;
  /** Every known path with this content, first seen first. */
  paths: string[];
  /** Watched folder of the first path that is in one. */
  folderPath: string | null;
  /** Where it was seen, in a facility's history (a workstation's own store has no other place). */
  places?: { workstations: string[]; microscopes: string[] };
  info: CaptureInfo;
  /** The standing review of the whole capture, if any. */
  review: Review | null;
  /** The standing review's label, else the model's class: what the lab counts. */
  finalLabel: string;
}

export interface HistoryPage {
  rows: HistoryRow[];
  /** Rows matching the filter, all pages together. */
  total: number;
}

export interface PageRequest {
  limit: number;
  offset: number;
}

/** The mean share of cells in a class over the fields of one day or hour. */
export interface ClassFraction {
  start: number;
  className: string;
  fraction: number;
  fields: number;
}

/** What a plate map needs of each result in a folder. */
export interface PlacedResult {
  fileName: string;
  className: string;
  summary: SummaryInput | null;
}

export interface ClassCount {
  /** Start of the day or hour, ms since 1970. */
  start: number;
  className: string;
  count: number;
}

/** A result with its capture as both stores read it: JSON columns as their text, flags as 0 or 1. */
export interface DetailRow extends Pick<
  CaptureRow,
  'size' | 'width' | 'height' | 'bit_depth' | 'channels' | 'pages' | 'format'
> {
  id: number;
  sha256: string;
  model_id: string;
  model_version: string;
  model_sha256: string;
  probabilities: string;
  class_name: string;
  final_label: string;
  probability: number;
  provider: string;
  preprocessing: string;
  app_version: string;
  duration_ms: number;
  classified_at: number;
  analysis: 'one-cell' | 'find-cells';
  detector: string | null;
  summary: string | null;
  scope: string | null;
  uncertain: 0 | 1;
  name: string;
  paths: string;
  folder_path: string | null;
  review: string | null;
}

// Details are read only for the rows of a page, after the filter and sort have picked their ids.
const detailSql = `
SELECT r.*, c.sha256, c.name, c.size, c.width, c.height, c.bit_depth, c.channels, c.pages, c.format,
  (SELECT json_group_array(f.path ORDER BY f.id) FROM capture_files f WHERE f.capture_id = c.id) AS paths,
  (SELECT w.path FROM capture_files f JOIN watched_folders w ON w.id = f.folder_id
    WHERE f.capture_id = c.id ORDER BY f.id LIMIT 1) AS folder_path,
  (SELECT json_object('id', v.id, 'sha256', c.sha256, 'label', v.label, 'note', v.note,
                      'reviewer', v.reviewer, 'created_at', v.created_at)
    FROM standing_reviews v WHERE v.capture_id = c.id AND v.cell_id IS NULL ORDER BY v.id DESC LIMIT 1) AS review
FROM results r JOIN captures c ON c.id = r.capture_id
WHERE r.id IN (SELECT value FROM json_each(?))`;

export const toRow = (r: DetailRow): HistoryRow => ({
  resultId: r.id,
  sha256: r.sha256,
  fileName: r.name,
  paths: JSON.parse(r.paths) as string[],
  folderPath: r.folder_path,
  info: toInfo(r),
  model: { id: r.model_id, version: r.model_version, sha256: r.model_sha256 },
  probabilities: JSON.parse(r.probabilities) as Record<string, number>,
  className: r.class_name,
  finalLabel: r.final_label,
  probability: r.probability,
  provider: r.provider,
  preprocessing: JSON.parse(r.preprocessing) as Record<string, unknown>,
  appVersion: r.app_version,
  durationMs: r.duration_ms,
  classifiedAt: r.classified_at,
  analysis: r.analysis,
  detector: r.detector === null ? null : (JSON.parse(r.detector) as HistoryRow['detector']),
  // A page of rows carries each field's summary; its cells are read for one capture at a time.
  cells: null,
  summary: r.summary === null ? null : (JSON.parse(r.summary) as HistoryRow['summary']),
  // Results from before the scope check were given a class without it.
  scope: r.scope === null ? wholeCapture.scope : (JSON.parse(r.scope) as HistoryRow['scope']),
  uncertain: r.uncertain === 1,
  review: r.review === null ? null : toReview(JSON.parse(r.review) as ReviewRow),
});

// Local days are not all 24 hours long: their starts are worked out in the zone (a few hundred for
// a year of results) and each period is a range scan of the time index, the periods' list leading.
const periodsSql = `WITH periods (start, next) AS MATERIALIZED (
  SELECT value, coalesce(lead(value) OVER (ORDER BY key), 9e15) FROM json_each(@starts))`;

export type History = ReturnType<typeof createHistory>;

export function createHistory(db: Database.Database) {
  const prepare = statementCache(db);
  const details = prepare(detailSql);
  const span = db.prepare<[], { first: number | null; last: number | null }>(
    'SELECT min(classified_at) AS first, max(classified_at) AS last FROM results',
  );
  const starts = (bucket: 'day' | 'hour', timeZone: string): string => {
    const { first, last } = span.get()!;
    return JSON.stringify(first === null || last === null ? [] : periodStarts(first, last, timeZone, bucket));
  };
  const ofCapture = db
    .prepare<[string], number>(
      'SELECT r.id FROM results r JOIN captures c ON c.id = r.capture_id WHERE c.sha256 = ? ORDER BY r.classified_at DESC, r.id DESC',
    )
    .pluck();

  const rowsFor = (ids: number[]): HistoryRow[] => {
    const byId = new Map((details.all(JSON.stringify(ids)) as DetailRow[]).map((r) => [r.id, toRow(r)]));
    return ids.map((id) => byId.get(id)!);
  };

  const page = (filter: HistoryFilter, sort: HistorySort, request: PageRequest): HistoryPage => {
    const sql = pageSql(filter, sort);
    const ids = prepare(sql.ids)
      .pluck()
      .all({ ...sql.params, ...request }) as number[];
    const total = prepare(sql.count).pluck().get(sql.params) as number;
    return { rows: rowsFor(ids), total };
  };

  return {
    /** One page of results matching `filter`, in `sort` order, with the total across pages. */
    page,
    /** Every result of one capture (one per model file that classified it), newest first. */
    forCapture: (sha256: string): HistoryRow[] => rowsFor(ofCapture.all(sha256)),
    /** The distinct captures that have a result matching `filter`, oldest first: what a re-run works through. */
    capturesMatching(filter: HistoryFilter): string[] {
      const { where, params } = filterSql(filter);
      return prepare(
        `SELECT c.sha256 FROM captures c WHERE c.id IN (SELECT r.capture_id FROM results r WHERE ${where})
         ORDER BY c.first_seen_at, c.id`,
      )
        .pluck()
        .all(params) as string[];
    },
    /** Unreviewed results: out of the model's scope first, then least confident (lowest probability of the decided class). */
    reviewQueue: (filter: HistoryFilter, request: PageRequest): HistoryPage =>
      page({ ...filter, reviewed: false }, { key: 'review', direction: 'asc' }, request),
    /** How many results of each final label per local day or hour of `timeZone`. */
    classCounts(filter: HistoryFilter, bucket: 'day' | 'hour', timeZone: string): ClassCount[] {
      const { where, params } = filterSql(filter);
      return prepare(
        `${periodsSql} SELECT p.start, r.final_label AS className, count(*) AS count
         FROM periods p CROSS JOIN results r ON r.classified_at >= p.start AND r.classified_at < p.next
         WHERE ${where} GROUP BY p.start, className ORDER BY p.start, className`,
      ).all({ ...params, starts: starts(bucket, timeZone) }) as ClassCount[];
    },
    /** The mean share of cells per class per local day or hour of `timeZone`, over the fields that match. */
    classFractions(filter: HistoryFilter, bucket: 'day' | 'hour', timeZone: string): ClassFraction[] {
      const { where, params } = filterSql(filter);
      return prepare(
        `${periodsSql} SELECT p.start, f.class_name AS className, avg(f.fraction) AS fraction, count(*) AS fields
         FROM periods p CROSS JOIN results r ON r.classified_at >= p.start AND r.classified_at < p.next
         JOIN result_fractions f ON f.result_id = r.id
         WHERE ${where} GROUP BY p.start, className ORDER BY p.start, className`,
      ).all({ ...params, starts: starts(bucket, timeZone) }) as ClassFraction[];
    },
    /** The file name, class and summary of every result of one model in a folder: what a plate map is drawn from. */
    placedResults(folderId: number, modelId: string): PlacedResult[] {
      const { where, params } = filterSql({ folderId, modelId });
      return (
        prepare(
          `SELECT c.name AS fileName, r.final_label AS className, r.summary AS summary
           FROM results r JOIN captures c ON c.id = r.capture_id WHERE ${where}`,
        ).all(params) as { fileName: string; className: string; summary: string | null }[]
      ).map((r) => ({ ...r, summary: r.summary === null ? null : (JSON.parse(r.summary) as SummaryInput) }));
    },
    /** Result counts in `bins` equal probability bins from 0 to 1 (1 itself falls in the last). */
    histogram(filter: HistoryFilter, bins = 20): number[] {
      const { where, params } = filterSql(filter);
      const counts = new Array<number>(bins).fill(0);
      const rows = prepare(
        `SELECT min(max(CAST(r.probability * @bins AS INTEGER), 0), @bins - 1) AS bin, count(*) AS n
         FROM results r WHERE ${where} GROUP BY bin`,
      ).all({ ...params, bins }) as { bin: number; n: number }[];
      for (const { bin, n } of rows) counts[bin] = n;
      return counts;
    },
    /**
     * Every matching row in `sort` order (oldest classification first by default). The ids are read
     * at once and the rows in chunks, so no statement stays open between rows: the engine may keep
     * writing while an export is consumed, and the export shows the set as it was when it began.
     */
    *export(
      filter: HistoryFilter,
      sort: HistorySort = { key: 'time', direction: 'asc' },
      chunkSize = 500,
    ): Generator<HistoryRow> {
      const sql = pageSql(filter, sort);
      const ids = prepare(sql.ids)
        .pluck()
        .all({ ...sql.params, limit: -1, offset: 0 }) as number[];
      for (let at = 0; at < ids.length; at += chunkSize) yield* rowsFor(ids.slice(at, at + chunkSize));
    },
  };
}

import type { HistoryFilter, HistorySort } from '../store/history-query.js';
import type { ClassCount, ClassFraction, HistoryPage, HistoryRow, PageRequest } from '../store/history.js';
import type { ReviewedCell as CsvCell } from '../export/results-csv.js';
import type { StoredCell } from '../store/cells.js';
import type { Review, ReviewInput } from '../store/reviews.js';

/** Where captures were seen: the workstations and microscopes a facility history knows. */
export interface Places {
  workstations: string[];
  microscopes: string[];
}

/** A history filter, plus where the capture was seen (a facility history's own filters). */
export interface SharedFilter extends HistoryFilter {
  workstation?: string;
  microscope?: string;
}

/** A cell of a field, and the latest review of it a person did not take back. */
export interface ReviewedCell {
  cell: StoredCell;
  review: Review | undefined;
}

/** The rows of a CSV, and the cells of each field with their reviews where they were asked for. */
export interface ExportRows {
  rows: Iterable<HistoryRow>;
  cellsOf?: (resultId: number) => CsvCell[];
}

/** A capture's state as far as reviewing goes: unknown, not classified (yet, or ever), or with results. */
export type ReviewableState = 'unknown' | 'pending' | 'failed' | 'done';

/**
 * The history every front door reads and reviews: one interface, two back ends. A workstation's own
 * SQLite store (`sqliteHistory`) and a facility's PostgreSQL (`postgresHistory`) answer alike, which
 * one shared test suite checks; the engine talks to whichever it was opened with.
 */
export interface HistoryStore {
  /** 'workstation': this computer's own results; 'facility': every workstation's. */
  readonly scope: 'workstation' | 'facility';
  /** One page of results matching `filter`, in `sort` order, with the total across pages. */
  page(filter: SharedFilter, sort: HistorySort, request: PageRequest): Promise<HistoryPage>;
  /** Unreviewed results: out of the model's scope first, then the least confident. */
  reviewQueue(filter: SharedFilter, request: PageRequest): Promise<HistoryPage>;
  /** Every result of one capture, newest first. */
  forCapture(sha256: string): Promise<HistoryRow[]>;
  /** Every result of these captures (newest first within each): what a page of captures is shown with. */
  forCaptures(sha256s: string[]): Promise<HistoryRow[]>;
  /** Whether a capture is known and has results to review. */
  reviewableState(sha256: string): Promise<ReviewableState>;
  /** The cells of a field's result in their order, each with its standing review, if any. */
  cellsOf(resultId: number): Promise<ReviewedCell[]>;
  /** The result a cell of a field belongs to, if the cell exists. */
  resultOfCell(cellId: number): Promise<number | undefined>;
  /**
   * Every matching result in `sort` order, and with `cells` each field's cells: what a CSV is
   * written from. A workstation's rows are read as they are written (a chunk at a time).
   */
  exportRows(filter: SharedFilter, sort: HistorySort, cells?: boolean): Promise<ExportRows>;
  /** How many results of each final label per local day or hour of `timeZone`. */
  classCounts(filter: SharedFilter, bucket: 'day' | 'hour', timeZone: string): Promise<ClassCount[]>;
  /** The mean share of cells per class per local day or hour, over the fields that match. */
  classFractions(filter: SharedFilter, bucket: 'day' | 'hour', timeZone: string): Promise<ClassFraction[]>;
  /** Result counts in `bins` equal probability bins from 0 to 1. */
  histogram(filter: SharedFilter, bins: number): Promise<number[]>;
  /** Reviewed results per class the model gave: how often a person kept it. */
  agreementByClass(filter: SharedFilter): Promise<{ className: string; reviewed: number; agreed: number }[]>;
  /** The class names of every model results name: the CSV's probability columns. */
  modelClasses(): Promise<{ classes: string[] }[]>;
  addReview(review: ReviewInput): Promise<Review>;
  /** Takes a review back; undefined when there is no such review or it was already taken back. */
  withdrawReview(id: number, reviewer: string | null): Promise<Review | undefined>;
  /** Every review of a capture as a whole, oldest first, withdrawn ones too. */
  reviewsOf(sha256: string): Promise<Review[]>;
  /** The workstations and microscopes results were seen at (none for a workstation's own store). */
  places(): Promise<Places>;
}

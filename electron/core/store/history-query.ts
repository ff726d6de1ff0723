/** What the history screen narrows results to; every field is optional and they combine with AND. */
export interface HistoryFilter {
  /** Classification time, ms since 1970: `from` inclusive, `to` exclusive. */
  from?: number;
  to?: number;
  /** The final label: the standing review, else the model's class. */
  className?: string;
  /** The class the model gave, whatever a person said since. */
  modelClass?: string;
  folderId?: number;
  modelId?: string;
  /** Probability of the decided class, both ends inclusive. */
  minProbability?: number;
  maxProbability?: number;
  reviewed?: boolean;
  /** Part of any path of the capture, any case. */
  search?: string;
  /** Captures classified whole, or fields analysed cell by cell. */
  analysis?: 'one-cell' | 'find-cells';
  /** In or out of the model's scope. */
  inScope?: boolean;
  /** Fields whose share of cells in this class lies in minFraction..maxFraction (inclusive). */
  fractionClass?: string;
  minFraction?: number;
  maxFraction?: number;
}

/** 'fraction' orders fields by their share of cells in the filter's `fractionClass`; other results come last. */
export type HistorySortKey = 'time' | 'probability' | 'fileName' | 'class' | 'fraction' | 'review';

export interface HistorySort {
  key: HistorySortKey;
  direction: 'asc' | 'desc';
}

type Param = string | number;

// The filters an index of each sort order can narrow by while still yielding that order (see
// migrations/0002-history-indexes). Any other filter is written with a unary `+`, which keeps
// SQLite from using it to pick an index: a page then walks its sort order and stops after one
// page instead of sorting every match, whatever the planner guesses about how many match.
// A search through the trigram index is left free in every order: it usually matches a few
// captures, best read first. One too short for that index likely matches many.
const ordered: Record<HistorySortKey, (keyof HistoryFilter)[]> = {
  time: ['from', 'to', 'className', 'modelId'],
  probability: ['minProbability', 'maxProbability', 'reviewed'],
  class: ['className'],
  fileName: [],
  fraction: [],
  review: ['reviewed'],
};

/**
 * The WHERE clause on `results r` (`1` when nothing filters) and its named parameters, for rows
 * read in `sort` order, or in any order when `sort` is left out. Paths are reached through a
 * subquery on the capture, so no filter multiplies rows.
 */
export function filterSql(
  f: HistoryFilter,
  sort?: HistorySortKey,
): { where: string; params: Record<string, Param> } {
  const clauses = ['1'];
  const params: Record<string, Param> = {};
  const trigrams = f.search !== undefined && [...f.search].length >= 3;
  const add = (key: keyof HistoryFilter, column: string, condition: string, value?: Param) => {
    const free = sort === undefined || (key === 'search' && trigrams) || ordered[sort].includes(key);
    clauses.push(`${free ? '' : '+'}${column} ${condition}`);
    if (value !== undefined) params[key] = value;
  };
  if (f.from !== undefined) add('from', 'r.classified_at', '>= @from', f.from);
  if (f.to !== undefined) add('to', 'r.classified_at', '< @to', f.to);
  if (f.className !== undefined) add('className', 'r.final_label', '= @className', f.className);
  if (f.modelClass !== undefined) add('modelClass', 'r.class_name', '= @modelClass', f.modelClass);
  if (f.modelId !== undefined) add('modelId', 'r.model_id', '= @modelId', f.modelId);
  if (f.minProbability !== undefined)
    add('minProbability', 'r.probability', '>= @minProbability', f.minProbability);
  if (f.maxProbability !== undefined)
    add('maxProbability', 'r.probability', '<= @maxProbability', f.maxProbability);
  if (f.reviewed !== undefined) add('reviewed', 'r.reviewed', `= ${Number(f.reviewed)}`);
  if (f.analysis !== undefined) add('analysis', 'r.analysis', '= @analysis', f.analysis);
  if (f.inScope !== undefined) add('inScope', 'r.in_scope', `= ${Number(f.inScope)}`);
  if (f.fractionClass !== undefined && (f.minFraction !== undefined || f.maxFraction !== undefined)) {
    params.fractionClass = f.fractionClass;
    add(
      'minFraction',
      'r.id',
      `IN (SELECT result_id FROM result_fractions WHERE class_name = @fractionClass AND fraction BETWEEN @minFraction AND @maxFraction)`,
      f.minFraction ?? 0,
    );
    params.maxFraction = f.maxFraction ?? 1;
  }
  if (f.folderId !== undefined) {
    add(
      'folderId',
      'r.capture_id',
      'IN (SELECT capture_id FROM capture_files WHERE folder_id = @folderId)',
      f.folderId,
    );
  }
  if (f.search && trigrams) {
    // A quoted phrase of the trigram index matches exactly that substring, in any case.
    const phrase = `"${f.search.replaceAll('"', '""')}"`;
    // Where the capture is now, and where it was before a move (former_paths, 0006).
    const matches =
      'SELECT f.capture_id FROM capture_paths JOIN capture_files f ON f.id = capture_paths.rowid WHERE capture_paths MATCH @search';
    const formerly =
      'SELECT p.capture_id FROM former_path_search JOIN former_paths p ON p.id = former_path_search.rowid WHERE former_path_search MATCH @search';
    add('search', 'r.capture_id', `IN (${matches} UNION ALL ${formerly})`, phrase);
  } else if (f.search) {
    // Too short for trigrams: read every path. The user's own % and _ are matched literally.
    const pattern = `%${f.search.replace(/[\\%_]/g, '\\$&')}%`;
    add(
      'search',
      'r.capture_id',
      "IN (SELECT capture_id FROM capture_files WHERE path LIKE @search ESCAPE '\\' UNION ALL SELECT capture_id FROM former_paths WHERE path LIKE @search ESCAPE '\\')",
      pattern,
    );
  }
  return { where: clauses.join(' AND '), params };
}

// Ties are broken by the result id so pages never overlap. A class sort lists newest-or-oldest
// within a label, which the (final_label, classified_at) index serves directly.
const sortColumns: Record<HistorySortKey, string[]> = {
  time: ['r.classified_at', 'r.id'],
  probability: ['r.probability', 'r.id'],
  class: ['r.final_label', 'r.classified_at', 'r.id'],
  fileName: ['c.name', 'r.id'],
  fraction: ['share.fraction', 'r.id'],
  // The review queue: what the model could not judge first, then the least confident.
  review: ['r.in_scope', 'r.probability', 'r.id'],
};

/** The queries behind a history page: the ids of one page (`@limit`, `@offset`) and the total. */
export function pageSql(filter: HistoryFilter, sort: HistorySort) {
  const { where, params } = filterSql(filter, sort.key);
  let join = sort.key === 'fileName' ? 'JOIN captures c ON c.id = r.capture_id' : '';
  if (sort.key === 'fraction') {
    join = 'LEFT JOIN result_fractions share ON share.result_id = r.id AND share.class_name = @sortClass';
    params.sortClass = filter.fractionClass ?? '';
  }
  const direction = sort.direction === 'asc' ? 'ASC' : 'DESC';
  // Results without a share of that class (captures classified whole) come after every field.
  const last = sort.key === 'fraction' ? 'share.fraction IS NULL, ' : '';
  const order = last + sortColumns[sort.key].map((column) => `${column} ${direction}`).join(', ');
  return {
    ids: `SELECT r.id FROM results r ${join} WHERE ${where} ORDER BY ${order} LIMIT @limit OFFSET @offset`,
    // A count has no order to keep: every filter may pick the index.
    count: `SELECT count(*) FROM results r WHERE ${filterSql(filter).where}`,
    params,
  };
}

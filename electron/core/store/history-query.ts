/** What the history screen narrows results to; every field is optional and they combine with AND. */
export interface HistoryFilter {
  /** Classification time, ms since 1970: `from` inclusive, `to` exclusive. */
  from?: number;
  to?: number;
  className?: string;
  folderId?: number;
  modelId?: string;
  /** Probability of the decided class, both ends inclusive. */
  minProbability?: number;
  maxProbability?: number;
  reviewed?: boolean;
  /** Part of any path of the capture, any case. */
  search?: string;
}

export type HistorySortKey = 'time' | 'probability' | 'fileName' | 'class';

export interface HistorySort {
  key: HistorySortKey;
  direction: 'asc' | 'desc';
}

type Param = string | number;

/**
 * The WHERE clause on `results r` (`1` when nothing filters) and its named parameters. Paths are
 * reached through a subquery on the capture, so no filter multiplies rows. The unary `+` keeps
 * SQLite from driving the query from such a list: a big folder or a loose search would then be
 * sorted in full, while walking the sort order and checking the list stops after one page.
 */
export function filterSql(f: HistoryFilter): { where: string; params: Record<string, Param> } {
  const clauses = ['1'];
  const params: Record<string, Param> = {};
  const add = (clause: string, name?: keyof HistoryFilter, value?: Param) => {
    clauses.push(clause);
    if (name !== undefined && value !== undefined) params[name] = value;
  };
  if (f.from !== undefined) add('r.classified_at >= @from', 'from', f.from);
  if (f.to !== undefined) add('r.classified_at < @to', 'to', f.to);
  if (f.className !== undefined) add('r.class_name = @className', 'className', f.className);
  if (f.modelId !== undefined) add('r.model_id = @modelId', 'modelId', f.modelId);
  if (f.minProbability !== undefined) add('r.probability >= @minProbability', 'minProbability', f.minProbability);
  if (f.maxProbability !== undefined) add('r.probability <= @maxProbability', 'maxProbability', f.maxProbability);
  if (f.folderId !== undefined) {
    add('+r.capture_id IN (SELECT capture_id FROM capture_files WHERE folder_id = @folderId)', 'folderId', f.folderId);
  }
  if (f.reviewed !== undefined) add(`r.reviewed = ${Number(f.reviewed)}`);
  if (f.search) {
    // LIKE ignores case (for ASCII letters); the user's own % and _ are matched literally.
    const pattern = `%${f.search.replace(/[\\%_]/g, '\\$&')}%`;
    add("+r.capture_id IN (SELECT capture_id FROM capture_files WHERE path LIKE @search ESCAPE '\\')", 'search', pattern);
  }
  return { where: clauses.join(' AND '), params };
}

// Ties are broken by the result id so pages never overlap. A class sort lists newest-or-oldest
// within a class, which the (class_name, classified_at) index serves directly.
const sortColumns: Record<HistorySortKey, string[]> = {
  time: ['r.classified_at', 'r.id'],
  probability: ['r.probability', 'r.id'],
  class: ['r.class_name', 'r.classified_at', 'r.id'],
  fileName: ['c.name', 'r.id'],
};

/** The queries behind a history page: the ids of one page (`@limit`, `@offset`) and the total. */
export function pageSql(filter: HistoryFilter, sort: HistorySort) {
  const { where, params } = filterSql(filter);
  const join = sort.key === 'fileName' ? 'JOIN captures c ON c.id = r.capture_id' : '';
  const direction = sort.direction === 'asc' ? 'ASC' : 'DESC';
  const order = sortColumns[sort.key].map((column) => `${column} ${direction}`).join(', ');
  return {
    ids: `SELECT r.id FROM results r ${join} WHERE ${where} ORDER BY ${order} LIMIT @limit OFFSET @offset`,
    count: `SELECT count(*) FROM results r WHERE ${where}`,
    params,
  };
}

import { ContractError } from '../../contract/messages.js';
import type { HistorySort, HistorySortKey } from '../store/history-query.js';
import type { SharedFilter } from './history-store.js';

/** SQL with its positional parameters ($1, $2, …), built up clause by clause. */
export class Params {
  readonly values: unknown[] = [];
  /** The placeholder of `value`, added to the list. */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * The WHERE clause on `results r` for `filter`, in PostgreSQL. The same filters as the SQLite
 * history's (store/history-query.ts) plus where a capture was seen; folders are each workstation's
 * own, so a facility history is narrowed by workstation or microscope instead.
 */
export function facilityWhere(f: SharedFilter, p: Params): string {
  if (f.folderId !== undefined)
    throw new ContractError(
      'invalid-request',
      'Folders are each workstation’s own: narrow the facility history by workstation or microscope instead.',
    );
  const clauses = ['true'];
  const where = (sql: string) => clauses.push(sql);
  if (f.from !== undefined) where(`r.classified_at >= ${p.add(f.from)}`);
  if (f.to !== undefined) where(`r.classified_at < ${p.add(f.to)}`);
  if (f.className !== undefined) where(`r.final_label = ${p.add(f.className)}`);
  if (f.modelClass !== undefined) where(`r.class_name = ${p.add(f.modelClass)}`);
  if (f.modelId !== undefined) where(`r.model_id = ${p.add(f.modelId)}`);
  if (f.minProbability !== undefined) where(`r.probability >= ${p.add(f.minProbability)}`);
  if (f.maxProbability !== undefined) where(`r.probability <= ${p.add(f.maxProbability)}`);
  if (f.reviewed !== undefined) where(`r.reviewed = ${p.add(f.reviewed)}`);
  if (f.analysis !== undefined) where(`r.analysis = ${p.add(f.analysis)}`);
  if (f.inScope !== undefined) where(`r.in_scope = ${p.add(f.inScope)}`);
  if (f.fractionClass !== undefined && (f.minFraction !== undefined || f.maxFraction !== undefined)) {
    where(
      `r.id IN (SELECT result_id FROM result_fractions WHERE class_name = ${p.add(f.fractionClass)}
        AND fraction BETWEEN ${p.add(f.minFraction ?? 0)} AND ${p.add(f.maxFraction ?? 1)})`,
    );
  }
  // Each result carries where its capture was seen (migration 0002).
  const places = [
    ...(f.workstation === undefined ? [] : [`workstation:${f.workstation}`]),
    ...(f.microscope === undefined ? [] : [`microscope:${f.microscope}`]),
  ];
  if (places.length > 0) where(`r.places @> ${p.add(places)}::text[]`);
  // Any path it was seen under, any case; the user's own % and _ are matched literally.
  if (f.search) {
    const pattern = p.add(`%${f.search.replace(/[\\%_]/g, '\\$&')}%`);
    where(`r.capture_id IN (SELECT s.capture_id FROM capture_sightings s WHERE s.path ILIKE ${pattern})`);
  }
  return clauses.join(' AND ');
}

// Ties are broken by the result id so pages never overlap (as in the SQLite history).
const sortColumns: Record<HistorySortKey, string[]> = {
  time: ['r.classified_at', 'r.id'],
  probability: ['r.probability', 'r.id'],
  class: ['r.final_label', 'r.classified_at', 'r.id'],
  // As SQLite's NOCASE: in the C collation, lower() folds only ASCII letters.
  fileName: ['lower(c.name)', 'r.id'],
  fraction: ['share.fraction', 'r.id'],
  review: ['r.in_scope', 'r.probability', 'r.id'],
};

/** The ids of one page of results (limit and offset last) and the query counting them all. */
export function facilityPageSql(filter: SharedFilter, sort: HistorySort, limit: number | null, offset: number) {
  const p = new Params();
  let join = sort.key === 'fileName' ? 'JOIN captures c ON c.id = r.capture_id' : '';
  if (sort.key === 'fraction')
    join = `LEFT JOIN result_fractions share ON share.result_id = r.id AND share.class_name = ${p.add(filter.fractionClass ?? '')}`;
  const where = facilityWhere(filter, p);
  const direction = sort.direction === 'asc' ? 'ASC' : 'DESC';
  // Results without a share of that class (captures classified whole) come after every field.
  const last = sort.key === 'fraction' ? 'share.fraction IS NULL, ' : '';
  const order = last + sortColumns[sort.key].map((column) => `${column} ${direction}`).join(', ');
  const ids = `SELECT r.id FROM results r ${join} WHERE ${where} ORDER BY ${order} LIMIT ${p.add(limit)} OFFSET ${p.add(offset)}`;
  const counted = new Params();
  return {
    ids: { text: ids, values: p.values },
    count: { text: `SELECT count(*) AS n FROM results r WHERE ${facilityWhere(filter, counted)}`, values: counted.values },
  };
}

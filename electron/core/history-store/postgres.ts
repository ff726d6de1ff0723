import pg from 'pg';
import { ContractError } from '../../contract/messages.js';
import { toCell, type CellRow } from '../store/cells.js';
import { toRow, type DetailRow, type HistoryRow } from '../store/history.js';
import { toReview, type ReviewRow } from '../store/reviews.js';
import { periodStarts } from '../time/zone.js';
import type { ReviewedCell } from '../export/results-csv.js';
import type { HistoryStore, Places, ReviewableState, SharedFilter } from './history-store.js';
import { facilityPageSql, facilityWhere, Params } from './postgres-query.js';

// Ids, sizes and times are bigint (int8) columns; within 2^53 they are plain numbers.
const int8 = 20;
const numbers = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === int8 ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

// Details are read only for the rows of a page, after the filter and sort have picked their ids,
// in the shape SQLite keeps them (JSON as text, flags as 0 or 1), so both back ends
// share one mapping of a history row (store/history.ts), plus where the capture was seen.
const detailSql = `
SELECT r.id, r.model_id, r.model_version, r.model_sha256, r.probabilities::text AS probabilities, r.class_name,
  r.final_label, r.probability, r.provider, r.preprocessing::text AS preprocessing, r.app_version, r.duration_ms,
  r.classified_at, r.analysis, r.detector::text AS detector, r.summary::text AS summary, r.scope::text AS scope,
  r.uncertain::int AS uncertain, NULL AS folder_path,
  c.sha256, c.name, c.size, c.width, c.height, c.bit_depth, c.channels, c.pages, c.format,
  to_json(ARRAY(SELECT s.path FROM capture_sightings s WHERE s.capture_id = c.id ORDER BY s.id))::text AS paths,
  ARRAY(SELECT DISTINCT s.workstation FROM capture_sightings s WHERE s.capture_id = c.id ORDER BY 1) AS workstations,
  ARRAY(SELECT DISTINCT s.microscope FROM capture_sightings s WHERE s.capture_id = c.id AND s.microscope <> '' ORDER BY 1) AS microscopes,
  (SELECT json_build_object('id', v.id, 'sha256', c.sha256, 'label', v.label, 'note', v.note,
                            'reviewer', v.reviewer, 'created_at', v.created_at)::text
    FROM standing_reviews v WHERE v.capture_id = c.id AND v.cell_id IS NULL ORDER BY v.id DESC LIMIT 1) AS review
FROM results r JOIN captures c ON c.id = r.capture_id
WHERE r.id = ANY($1::bigint[])`;

const reviewSql = `SELECT v.id, c.sha256, v.label, v.note, v.reviewer, v.created_at, v.capture_id, v.cell_id,
    (SELECT w.created_at FROM reviews w WHERE w.withdraws = v.id) AS withdrawn_at
  FROM reviews v JOIN captures c ON c.id = v.capture_id`;

/**
 * A facility's history, over its PostgreSQL (schema from `facility init`): every workstation's
 * results, each with where it was seen. Reviews name their reviewer: many people review one history.
 */
export function postgresHistory(pool: pg.Pool): HistoryStore {
  const query = async <R>(text: string, values: unknown[] = []): Promise<R[]> =>
    (await pool.query({ text, values, types: numbers })).rows as R[];

  const rowsFor = async (ids: number[]): Promise<HistoryRow[]> => {
    if (ids.length === 0) return [];
    const byId = new Map(
      (await query<DetailRow & Places>(detailSql, [ids])).map((r) => [
        r.id,
        { ...toRow(r), places: { workstations: r.workstations, microscopes: r.microscopes } },
      ]),
    );
    return ids.map((id) => byId.get(id)!);
  };
  const ids = async (
    filter: SharedFilter,
    sort: Parameters<HistoryStore['page']>[1],
    limit: number | null,
    offset: number,
  ) => {
    const sql = facilityPageSql(filter, sort, limit, offset);
    return { sql, ids: (await query<{ id: number }>(sql.ids.text, sql.ids.values)).map((r) => r.id) };
  };
  const cellsOf = async (resultId: number) => {
    const [cells, reviews] = await Promise.all([
      // JSON as text, as SQLite keeps it: one mapping of a stored cell for both back ends.
      query<CellRow>(
        `SELECT id, cell_index, x, y, box_x, box_y, box_width, box_height, area, outline::text AS outline, score,
           class_name, probability, probabilities::text AS probabilities, crop::text AS crop, scope::text AS scope
         FROM cells WHERE result_id = $1 ORDER BY cell_index`,
        [resultId],
      ),
      query<ReviewRow & { cell_id: number }>(
        `${reviewSql} JOIN cells l ON l.id = v.cell_id WHERE l.result_id = $1 AND v.id IN (SELECT id FROM standing_reviews)
         ORDER BY v.id`,
        [resultId],
      ),
    ]);
    // Ids only grow: the last standing review of a cell is its latest.
    const latest = new Map(reviews.map((r) => [r.cell_id, toReview(r)]));
    return cells.map((r) => ({ cell: toCell(r), review: latest.get(r.id) }));
  };
  const forCaptures = async (sha256s: string[]) => {
    const found = await query<{ id: number }>(
      `SELECT r.id FROM results r JOIN captures c ON c.id = r.capture_id WHERE c.sha256 = ANY($1::text[])
       ORDER BY c.sha256, r.classified_at DESC, r.id DESC`,
      [sha256s],
    );
    return rowsFor(found.map((r) => r.id));
  };
  /**
   * How many results match. The planner prices a check of where a capture was seen (an array
   * containment) as cheap as a comparison and reads the whole table, about 3x slower than through
   * that column's index: with a place in the filter, the count is told to use the index.
   */
  const count = async (filter: SharedFilter, sql: { text: string; values: unknown[] }): Promise<number> => {
    if (filter.workstation === undefined && filter.microscope === undefined)
      return (await query<{ n: number }>(sql.text, sql.values))[0]!.n;
    const client = await pool.connect();
    try {
      await client.query('BEGIN READ ONLY');
      await client.query('SET LOCAL enable_seqscan = off');
      const found = await client.query({ ...sql, types: numbers });
      await client.query('COMMIT');
      return (found.rows[0] as { n: number }).n;
    } finally {
      client.release();
    }
  };
  const page: HistoryStore['page'] = async (filter, sort, request) => {
    const { sql, ids: found } = await ids(filter, sort, request.limit, request.offset);
    const [rows, total] = await Promise.all([rowsFor(found), count(filter, sql.count)]);
    return { rows, total };
  };
  /**
   * Local days or hours are worked out in the zone (as the SQLite history does) and each is a range
   * of the results' times: faster here than finding each result's period (width_bucket) and grouping.
   */
  const perPeriod = async <R>(
    filter: SharedFilter,
    bucket: 'day' | 'hour',
    timeZone: string,
    select: (where: string) => string,
  ) => {
    const [span] = await query<{ first: number | null; last: number | null }>(
      'SELECT min(classified_at) AS first, max(classified_at) AS last FROM results',
    );
    if (span!.first === null || span!.last === null) return [];
    const p = new Params();
    const starts = p.add(periodStarts(span!.first, span!.last, timeZone, bucket));
    const periods = `WITH periods AS (SELECT start, coalesce(lead(start) OVER (ORDER BY start), 9e15::bigint) AS next
      FROM unnest(${starts}::bigint[]) AS start)`;
    return query<R>(`${periods} ${select(facilityWhere(filter, p))}`, p.values);
  };
  const reviewById = async (id: number) =>
    (
      await query<ReviewRow & { capture_id: number; cell_id: number | null }>(
        `${reviewSql} WHERE v.id = $1 AND v.withdraws IS NULL`,
        [id],
      )
    )[0];

  return {
    scope: 'facility',
    page,
    reviewQueue: (filter, request) =>
      page({ ...filter, reviewed: false }, { key: 'review', direction: 'asc' }, request),
    forCapture: (sha256) => forCaptures([sha256]),
    forCaptures,
    async reviewableState(sha256): Promise<ReviewableState> {
      const [capture] = await query<{ state: string; results: number }>(
        'SELECT c.state, (SELECT count(*)::int FROM results r WHERE r.capture_id = c.id) AS results FROM captures c WHERE c.sha256 = $1',
        [sha256],
      );
      if (!capture) return 'unknown';
      if (capture.results > 0) return 'done';
      return capture.state === 'failed' ? 'failed' : 'pending';
    },
    cellsOf,
    async resultOfCell(cellId) {
      const [cell] = await query<{ result_id: number }>('SELECT result_id FROM cells WHERE id = $1', [
        cellId,
      ]);
      return cell?.result_id;
    },
    async exportRows(filter, sort, cells = false) {
      const { ids: found } = await ids(filter, sort, null, 0);
      const rows: HistoryRow[] = [];
      // In chunks, so no one statement carries a whole history's details.
      for (let at = 0; at < found.length; at += 500) rows.push(...(await rowsFor(found.slice(at, at + 500))));
      if (!cells) return { rows };
      // Read before the CSV is written, which is written at once.
      const byResult = new Map<number, ReviewedCell[]>();
      for (const row of rows.filter((r) => r.analysis === 'find-cells'))
        byResult.set(
          row.resultId,
          (await cellsOf(row.resultId)).map(({ cell, review }) => ({ ...cell, review })),
        );
      return { rows, cellsOf: (resultId: number) => byResult.get(resultId) ?? [] };
    },
    classCounts: (filter, bucket, timeZone) =>
      perPeriod(
        filter,
        bucket,
        timeZone,
        (where) =>
          `SELECT p.start, r.final_label AS "className", count(*)::int AS count
         FROM periods p JOIN results r ON r.classified_at >= p.start AND r.classified_at < p.next
         WHERE ${where} GROUP BY p.start, r.final_label ORDER BY p.start, r.final_label`,
      ),
    classFractions: (filter, bucket, timeZone) =>
      perPeriod(
        filter,
        bucket,
        timeZone,
        (where) =>
          `SELECT p.start, f.class_name COLLATE "C" AS "className", avg(f.fraction) AS fraction, count(*)::int AS fields
         FROM periods p JOIN results r ON r.classified_at >= p.start AND r.classified_at < p.next
         JOIN result_fractions f ON f.result_id = r.id
         WHERE ${where} GROUP BY p.start, 2 ORDER BY p.start, 2`,
      ),
    async histogram(filter, bins) {
      const p = new Params();
      const n = p.add(bins);
      const found = await query<{ bin: number; n: number }>(
        `SELECT least(greatest(floor(r.probability * ${n})::int, 0), ${n} - 1) AS bin, count(*)::int AS n
         FROM results r WHERE ${facilityWhere(filter, p)} GROUP BY 1`,
        p.values,
      );
      const counts = new Array<number>(bins).fill(0);
      for (const { bin, n: count } of found) counts[bin] = count;
      return counts;
    },
    async agreementByClass(filter) {
      const p = new Params();
      return query(
        `SELECT r.class_name AS "className", count(*)::int AS reviewed, count(*) FILTER (WHERE r.final_label = r.class_name)::int AS agreed
         FROM results r WHERE ${facilityWhere({ ...filter, reviewed: true }, p)} GROUP BY r.class_name ORDER BY r.class_name`,
        p.values,
      );
    },
    modelClasses: () => query<{ classes: string[] }>('SELECT classes FROM models ORDER BY added_at'),
    async addReview({ sha256, cellId, label, note, reviewer }) {
      if (!reviewer?.trim())
        throw new ContractError(
          'invalid-request',
          'In a facility every review names its reviewer: give your name in Settings, then review again.',
        );
      const [added] = await query<{ id: number }>(
        `INSERT INTO reviews (capture_id, cell_id, label, note, reviewer, created_at)
         SELECT c.id, $2, $3, $4, $5, $6 FROM captures c WHERE c.sha256 = $1 RETURNING id`,
        [sha256, cellId ?? null, label, note ?? '', reviewer.trim(), Date.now()],
      );
      if (!added) throw new ContractError('not-found', 'This capture is not in the facility database.');
      return toReview((await reviewById(added.id))!);
    },
    async withdrawReview(id, reviewer) {
      const row = await reviewById(id);
      if (!row || row.withdrawn_at != null) return undefined;
      try {
        await query(
          `INSERT INTO reviews (capture_id, cell_id, label, note, reviewer, created_at, withdraws)
           VALUES ($1, $2, '', '', $3, $4, $5)`,
          [row.capture_id, row.cell_id, reviewer?.trim() || row.reviewer, Date.now(), id],
        );
      } catch (error) {
        // Someone else took it back a moment ago: it is withdrawn either way.
        if ((error as { code?: string }).code === '23505') return undefined;
        throw error;
      }
      return toReview((await reviewById(id))!);
    },
    async reviewsOf(sha256) {
      const rows = await query<ReviewRow>(
        `${reviewSql} WHERE c.sha256 = $1 AND v.cell_id IS NULL AND v.withdraws IS NULL ORDER BY v.id`,
        [sha256],
      );
      return rows.map(toReview);
    },
    async places() {
      const [found] = await query<{ workstations: string[]; microscopes: string[] }>(
        `SELECT ARRAY(SELECT DISTINCT workstation FROM capture_sightings ORDER BY 1) AS workstations,
                ARRAY(SELECT DISTINCT microscope FROM capture_sightings WHERE microscope <> '' ORDER BY 1) AS microscopes`,
      );
      return found!;
    },
  };
}

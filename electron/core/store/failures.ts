import type Database from 'better-sqlite3';
import { toInfo, type Capture, type CaptureRow } from './captures.js';
import type { HistoryFilter } from './history-query.js';
import type { PageRequest } from './history.js';
import { statementCache } from './statements.js';

/** A capture that could not be classified, with its reason and the watched folder of its first path. */
export interface FailedCapture extends Capture {
  state: 'failed';
  failureReason: string;
  folderPath: string | null;
}

/** The filters a failure can match: when it failed, where it is, what its paths contain. */
export type FailureFilter = Pick<HistoryFilter, 'from' | 'to' | 'folderId' | 'search'>;

interface FailureRow extends CaptureRow {
  paths: string;
  folder_path: string | null;
}

// Failures are few next to results: their filters read the captures directly, no index needed.
function whereOf(f: FailureFilter): { where: string; params: Record<string, string | number> } {
  const clauses = ["c.state = 'failed'"];
  const params: Record<string, string | number> = {};
  if (f.from !== undefined) {
    clauses.push('c.updated_at >= @from');
    params.from = f.from;
  }
  if (f.to !== undefined) {
    clauses.push('c.updated_at < @to');
    params.to = f.to;
  }
  if (f.folderId !== undefined) {
    clauses.push('c.id IN (SELECT capture_id FROM capture_files WHERE folder_id = @folderId)');
    params.folderId = f.folderId;
  }
  if (f.search) {
    // The user's own % and _ are matched literally.
    clauses.push("c.id IN (SELECT capture_id FROM capture_files WHERE path LIKE @search ESCAPE '\\')");
    params.search = `%${f.search.replace(/[\\%_]/g, '\\$&')}%`;
  }
  return { where: clauses.join(' AND '), params };
}

const columns = `c.*,
  (SELECT json_group_array(f.path ORDER BY f.id) FROM capture_files f WHERE f.capture_id = c.id) AS paths,
  (SELECT w.path FROM capture_files f JOIN watched_folders w ON w.id = f.folder_id
    WHERE f.capture_id = c.id ORDER BY f.id LIMIT 1) AS folder_path`;

const toFailure = (r: FailureRow): FailedCapture => ({
  sha256: r.sha256,
  name: r.name,
  info: toInfo(r),
  state: 'failed',
  failureReason: r.failure_reason ?? 'MetaScope could not classify this capture.',
  attempts: r.attempts,
  firstSeenAt: r.first_seen_at,
  updatedAt: r.updated_at,
  paths: JSON.parse(r.paths) as string[],
  folderPath: r.folder_path,
});

export type Failures = ReturnType<typeof createFailures>;

/** The captures that could not be classified: listed with their reasons, in the order they failed. */
export function createFailures(db: Database.Database) {
  const prepare = statementCache(db);
  return {
    /** One page of failures matching `filter`, by the time they failed, with the total across pages. */
    page(
      filter: FailureFilter,
      direction: 'asc' | 'desc',
      request: PageRequest,
    ): { rows: FailedCapture[]; total: number } {
      const { where, params } = whereOf(filter);
      const order = direction === 'asc' ? 'ASC' : 'DESC';
      const rows = prepare(
        `SELECT ${columns} FROM captures c WHERE ${where} ORDER BY c.updated_at ${order}, c.id ${order} LIMIT @limit OFFSET @offset`,
      ).all({ ...params, ...request }) as FailureRow[];
      const total = prepare(`SELECT count(*) FROM captures c WHERE ${where}`).pluck().get(params) as number;
      return { rows: rows.map(toFailure), total };
    },
    /** Every matching failure, the oldest first, read in chunks as `history.export` reads results. */
    *export(filter: FailureFilter, chunkSize = 500): Generator<FailedCapture> {
      const { where, params } = whereOf(filter);
      const next = prepare(
        `SELECT ${columns} FROM captures c WHERE ${where} AND (c.updated_at, c.id) > (@time, @id)
         ORDER BY c.updated_at, c.id LIMIT @limit`,
      );
      let after = { time: Number.MIN_SAFE_INTEGER, id: 0 };
      for (;;) {
        const rows = next.all({ ...params, ...after, limit: chunkSize }) as FailureRow[];
        if (rows.length === 0) return;
        yield* rows.map(toFailure);
        const last = rows.at(-1)!;
        after = { time: last.updated_at, id: last.id };
      }
    },
  };
}

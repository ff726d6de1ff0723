import type pg from 'pg';
import type { Places } from '../history-store/history-store.js';
import { toInfo, type Capture } from '../store/captures.js';

/** A capture of the facility that could not be classified (its reason in `failureReason`), with where it was seen. */
export type FacilityFailure = Capture & Places;

/**
 * The facility's captures that could not be classified (results are read through the history,
 * history-store/postgres.ts), oldest first; a filter by workstation or microscope keeps those seen there.
 */
export async function facilityFailures(
  pool: pg.Pool,
  filter: { workstation?: string; microscope?: string; since?: number },
): Promise<FacilityFailure[]> {
  const rows = await pool.query(
    `SELECT c.sha256, c.name, c.size::float8 AS size, c.width, c.height, c.bit_depth, c.channels, c.pages, c.format,
       c.failure_reason, c.first_seen_at::float8 AS first_seen_at, c.updated_at::float8 AS failed_at,
       ARRAY(SELECT s.path FROM capture_sightings s WHERE s.capture_id = c.id ORDER BY s.id) AS paths,
       ARRAY(SELECT DISTINCT s.workstation FROM capture_sightings s WHERE s.capture_id = c.id ORDER BY 1) AS workstations,
       ARRAY(SELECT DISTINCT s.microscope FROM capture_sightings s WHERE s.capture_id = c.id AND s.microscope <> '' ORDER BY 1) AS microscopes
     FROM captures c
     WHERE c.state = 'failed'
       AND ($1::text IS NULL OR EXISTS (SELECT 1 FROM capture_sightings s WHERE s.capture_id = c.id AND s.workstation = $1))
       AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM capture_sightings s WHERE s.capture_id = c.id AND s.microscope = $2))
       AND ($3::bigint IS NULL OR c.updated_at >= $3)
     ORDER BY c.updated_at, c.id`,
    [filter.workstation ?? null, filter.microscope ?? null, filter.since ?? null],
  );
  return rows.rows.map((r) => ({
    sha256: r.sha256,
    name: r.name,
    info: toInfo(r),
    state: 'failed',
    failureReason: r.failure_reason,
    attempts: 0,
    firstSeenAt: r.first_seen_at,
    updatedAt: r.failed_at,
    paths: r.paths,
    workstations: r.workstations,
    microscopes: r.microscopes,
  }));
}

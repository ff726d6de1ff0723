import type pg from 'pg';

/** One capture of the facility history: its result, or why it is invalid, and where it was seen. */
export interface FacilityHistoryRow {
  sha256: string;
  name: string;
  state: 'queued' | 'done' | 'failed';
  className: string | null;
  probability: number | null;
  inScope: boolean | null;
  model: string | null;
  provider: string | null;
  worker: string | null;
  classifiedAt: number | null;
  failureReason: string | null;
  /** Every workstation and microscope it was seen at, sorted. */
  workstations: string[];
  microscopes: string[];
}

export interface FacilityHistoryFilter {
  workstation?: string;
  microscope?: string;
  className?: string;
  /** ms since 1970: results classified (or captures failed) at or after. */
  since?: number;
  status: 'ok' | 'failed' | 'all';
}

/**
 * The facility history, the same from every workstation: one row per capture and result, in the
 * order captures were first seen. A filter by workstation or microscope keeps the captures seen
 * there (a capture seen at two keeps both in its lists).
 */
export async function facilityHistory(
  pool: pg.Pool,
  filter: FacilityHistoryFilter,
): Promise<FacilityHistoryRow[]> {
  const rows = await pool.query(
    `SELECT c.sha256, c.name, c.state, r.class_name, r.probability, r.in_scope,
            r.model_id || ' ' || r.model_version AS model, r.provider, r.worker, r.classified_at::float8 AS classified_at,
            c.failure_reason,
            (SELECT array_agg(DISTINCT s.workstation ORDER BY s.workstation) FROM capture_sightings s WHERE s.capture_id = c.id) AS workstations,
            (SELECT array_agg(DISTINCT s.microscope ORDER BY s.microscope) FROM capture_sightings s WHERE s.capture_id = c.id) AS microscopes
     FROM captures c
     LEFT JOIN results r ON r.capture_id = c.id
     WHERE ($1::text IS NULL OR EXISTS (SELECT 1 FROM capture_sightings s WHERE s.capture_id = c.id AND s.workstation = $1))
       AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM capture_sightings s WHERE s.capture_id = c.id AND s.microscope = $2))
       AND ($3::text IS NULL OR r.class_name = $3)
       AND ($4::bigint IS NULL OR COALESCE(r.classified_at, c.updated_at) >= $4)
       AND (($5 = 'ok' AND r.id IS NOT NULL) OR ($5 = 'failed' AND c.state = 'failed') OR ($5 = 'all' AND (r.id IS NOT NULL OR c.state = 'failed')))
     ORDER BY c.first_seen_at, c.id, r.id`,
    [
      filter.workstation ?? null,
      filter.microscope ?? null,
      filter.className ?? null,
      filter.since ?? null,
      filter.status,
    ],
  );
  return rows.rows.map((r) => ({
    sha256: r.sha256,
    name: r.name,
    state: r.state,
    className: r.class_name,
    probability: r.probability,
    inScope: r.in_scope,
    model: r.model,
    provider: r.provider,
    worker: r.worker,
    classifiedAt: r.classified_at,
    failureReason: r.failure_reason,
    workstations: r.workstations ?? [],
    microscopes: (r.microscopes ?? []).filter((m: string) => m !== ''),
  }));
}

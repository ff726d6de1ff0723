import type pg from 'pg';
import { syntheticStart } from '../../store/testing/synthetic-history.js';

/**
 * Fills an empty facility database (after `facility init`) with `size` results for performance
 * checks, spread as the SQLite one is (store/testing/synthetic-history.ts): 30 days, 2 models,
 * 3 classes, every 10th capture also seen in an archive and every 20th reviewed; plus 4
 * workstations and 2 microscopes.
 */
export async function fillSyntheticFacility(client: pg.ClientBase, size: number): Promise<void> {
  const t0 = syntheticStart;
  await client.query('BEGIN');
  await client.query(`
INSERT INTO captures (sha256, name, size, width, height, bit_depth, channels, pages, format, state, first_seen_at, updated_at)
SELECT lpad(to_hex(i), 64, '0'),
       (CASE WHEN i % 3 <> 0 THEN 'well' ELSE 'Slide' END) || '_' || lpad(((i::bigint * 7919) % ${size})::text, 6, '0') || '.tif',
       4194304, 2048, 2048, 16, 1, 1, 'tiff', 'done', ${t0} + i::bigint * 25920, ${t0} + i::bigint * 25920
FROM generate_series(1, ${size}) AS i;
INSERT INTO capture_sightings (capture_id, workstation, microscope, path, seen_at)
SELECT id, 'bench-' || (1 + id % 4), CASE WHEN id % 2 = 0 THEN 'Zeiss' ELSE 'Nikon' END,
       '/lab/' || chr(97 + (id % 4)::int) || '/' || name, first_seen_at FROM captures;
INSERT INTO capture_sightings (capture_id, workstation, microscope, path, seen_at)
SELECT id, 'bench-1', '', '/archive/copy of ' || name, first_seen_at FROM captures WHERE id % 10 = 0;
INSERT INTO models (id, version, sha256, name, classes, added_at) VALUES
  ('cells', '1.0.0', '${'a'.repeat(64)}', 'Cells', '["healthy","infected","unclear"]', 0),
  ('nuclei', '2.0.0', '${'b'.repeat(64)}', 'Nuclei', '["healthy","infected","unclear"]', 0);
INSERT INTO results (capture_id, model_id, model_version, model_sha256, probabilities, class_name, probability,
  provider, preprocessing, app_version, duration_ms, classified_at, analysis, in_scope, scope, uncertain, worker)
SELECT id, CASE WHEN id % 10 <> 0 THEN 'cells' ELSE 'nuclei' END, CASE WHEN id % 10 <> 0 THEN '1.0.0' ELSE '2.0.0' END,
       CASE WHEN id % 10 <> 0 THEN '${'a'.repeat(64)}' ELSE '${'b'.repeat(64)}' END,
       jsonb_build_object('healthy', p, 'infected', 1 - p),
       CASE WHEN id % 7 = 0 THEN 'unclear' WHEN id % 2 = 1 THEN 'healthy' ELSE 'infected' END,
       p, 'cuda', '{"resize":"stretch"}', '0.1.0', 40, first_seen_at + 1000, 'one-cell', true,
       '{"inScope":true,"score":null,"threshold":null,"method":"none","reason":null}', false, 'gpu-1'
FROM (SELECT *, 0.34 + ((id * 2654435761) % 1000003) / 1515156.0 AS p FROM captures) AS c;
INSERT INTO reviews (capture_id, label, reviewer, created_at)
SELECT id, 'healthy', 'Ada', updated_at + 5000 FROM captures WHERE id % 20 = 0;`);
  await client.query('COMMIT');
  // As autovacuum leaves a database that has settled: statistics, and the visibility map that lets
  // a count read an index alone.
  await client.query('VACUUM ANALYZE');
}

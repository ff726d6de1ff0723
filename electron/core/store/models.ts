import type Database from 'better-sqlite3';

/** The three fields that name exactly one model file; every result carries them. */
export interface ModelRef {
  id: string;
  version: string;
  sha256: string;
}

export interface ModelRecord extends ModelRef {
  name: string;
  classes: string[];
  folder: string;
  addedAt: number;
}

interface ModelRow {
  id: string;
  version: string;
  sha256: string;
  name: string;
  classes: string;
  folder: string;
  added_at: number;
}

const toModel = (r: ModelRow): ModelRecord => ({
  id: r.id,
  version: r.version,
  sha256: r.sha256,
  name: r.name,
  classes: JSON.parse(r.classes) as string[],
  folder: r.folder,
  addedAt: r.added_at,
});

/** One string per model file, for maps keyed by the exact model. */
export const modelKey = (m: ModelRef): string => `${m.id}@${m.version}@${m.sha256}`;

/** Another file already holds this id and version: results naming it would become ambiguous. */
export class ModelConflictError extends Error {
  constructor(model: ModelRef, installed: ModelRecord) {
    super(
      `A different model file is already installed as ${model.id} ${model.version} (SHA-256 ${installed.sha256.slice(0, 12)}…, from ${installed.folder}). Give the new file a new version number in its model.json, so that results keep naming the file that made them.`,
    );
    this.name = 'ModelConflictError';
  }
}

/** A model that results name cannot be removed: they would lose their provenance. */
export class ModelInUseError extends Error {
  constructor(model: ModelRef, results: number) {
    super(
      `${model.id} ${model.version} made ${results} result${results === 1 ? '' : 's'}; a model that results name stays listed so that they keep saying which file made them.`,
    );
    this.name = 'ModelInUseError';
  }
}

/**
 * The model a person names as `id` or `id@version` (as the CLI takes it). An id with several
 * versions must say which; the sentence lists them.
 */
export function modelNamed(models: readonly ModelRecord[], name: string): ModelRecord {
  const [id, version] = name.split('@') as [string, string | undefined];
  const matches = models.filter((m) => m.id === id && (version === undefined || m.version === version));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    const known = [...new Set(models.map((m) => `${m.id}@${m.version}`))].join(', ') || 'none';
    throw new Error(`No model in the database is called ${name}. Known models: ${known}.`);
  }
  throw new Error(
    `${name} names ${matches.length} models (${matches.map((m) => `${m.id}@${m.version}`).join(', ')}): name one as id@version.`,
  );
}

export type Models = ReturnType<typeof createModels>;

export function createModels(db: Database.Database) {
  // A moved folder is followed; the name and classes stay as first registered, because results
  // already show them as their provenance.
  const upsert = db.prepare<[Omit<ModelRow, 'added_at'> & { now: number }], ModelRow>(
    `INSERT INTO models (id, version, sha256, name, classes, folder, added_at)
     VALUES (@id, @version, @sha256, @name, @classes, @folder, @now)
     ON CONFLICT (id, version, sha256) DO UPDATE SET folder = excluded.folder
     RETURNING *`,
  );
  const other = db.prepare<[string, string, string], ModelRow>(
    'SELECT * FROM models WHERE id = ? AND version = ? AND sha256 != ? LIMIT 1',
  );
  const one = db.prepare<[string, string, string], ModelRow>(
    'SELECT * FROM models WHERE id = ? AND version = ? AND sha256 = ?',
  );
  const all = db.prepare<[], ModelRow>('SELECT * FROM models ORDER BY added_at, id, version');
  const counts = db.prepare<[], { id: string; version: string; sha256: string; n: number }>(
    `SELECT model_id AS id, model_version AS version, model_sha256 AS sha256, count(*) AS n
     FROM results GROUP BY model_id, model_version, model_sha256`,
  );
  const countOf = db
    .prepare<[string, string, string], number>(
      'SELECT count(*) FROM results WHERE model_id = ? AND model_version = ? AND model_sha256 = ?',
    )
    .pluck();
  const remove = db.prepare('DELETE FROM models WHERE id = ? AND version = ? AND sha256 = ?');

  const register = db.transaction((model: Omit<ModelRecord, 'addedAt'>): ModelRecord => {
    const installed = other.get(model.id, model.version, model.sha256);
    if (installed) throw new ModelConflictError(model, toModel(installed));
    return toModel(upsert.get({ ...model, classes: JSON.stringify(model.classes), now: Date.now() })!);
  });
  const removeUnused = db.transaction((model: ModelRef): boolean => {
    const results = countOf.get(model.id, model.version, model.sha256)!;
    if (results > 0) throw new ModelInUseError(model, results);
    return remove.run(model.id, model.version, model.sha256).changes > 0;
  });

  return {
    /**
     * Registers a loaded model; must precede the first result that names it. Refuses (ModelConflictError)
     * a file whose id and version another file already has.
     */
    register: (model: Omit<ModelRecord, 'addedAt'>): ModelRecord => register.immediate(model),
    get(model: ModelRef): ModelRecord | undefined {
      const row = one.get(model.id, model.version, model.sha256);
      return row && toModel(row);
    },
    list: (): ModelRecord[] => all.all().map(toModel),
    /** Results per model file, keyed by `modelKey`. */
    resultCounts: (): Map<string, number> => new Map(counts.all().map((c) => [modelKey(c), c.n])),
    /** Forgets a model no result names (its files are left alone); ModelInUseError otherwise. Returns whether it was listed. */
    remove: (model: ModelRef): boolean => removeUnused.immediate(model),
  };
}

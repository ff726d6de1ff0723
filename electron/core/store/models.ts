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

export type Models = ReturnType<typeof createModels>;

export function createModels(db: Database.Database) {
  // The same file may be loaded from a moved folder or with a reworded manifest: keep the latest.
  const upsert = db.prepare<[Omit<ModelRow, 'added_at'> & { now: number }], ModelRow>(
    `INSERT INTO models (id, version, sha256, name, classes, folder, added_at)
     VALUES (@id, @version, @sha256, @name, @classes, @folder, @now)
     ON CONFLICT (id, version, sha256) DO UPDATE SET
       name = excluded.name, classes = excluded.classes, folder = excluded.folder
     RETURNING *`,
  );
  const all = db.prepare<[], ModelRow>('SELECT * FROM models ORDER BY added_at, id, version');

  return {
    /** Registers a loaded model; must precede the first result that names it. */
    register(model: Omit<ModelRecord, 'addedAt'>): ModelRecord {
      return toModel(upsert.get({ ...model, classes: JSON.stringify(model.classes), now: Date.now() })!);
    },
    list: (): ModelRecord[] => all.all().map(toModel),
  };
}

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { providerPreference } from '../../contract/types.js';

/** What a person chose in Settings, kept as a small JSON file beside the database. */
const savedSettings = z.object({
  threshold: z.number().gt(0).lt(1).nullable().default(null),
  provider: providerPreference.default('auto'),
  batchSize: z.number().int().min(1).max(64).default(8),
  activeModel: z.object({ id: z.string(), version: z.string() }).nullable().default(null),
  /** The inbox is added once; if the lab removes it later, it stays removed. */
  inboxAdded: z.boolean().default(false),
  /** Who reviews here: asked the first time someone reviews, changeable in Settings. */
  reviewerName: z.string().trim().max(200).nullable().default(null),
  /** A facility's history to show instead of this workstation's own (its address holds no password). */
  facility: z
    .object({
      address: z.string(),
      passwordFile: z.string().nullable(),
      sendCaptures: z.boolean().default(false),
      microscope: z.string().nullable().default(null),
    })
    .nullable()
    .default(null),
});

export type SavedSettings = z.infer<typeof savedSettings>;

export class SettingsFile {
  private current: SavedSettings;

  constructor(private readonly file: string) {
    this.current = SettingsFile.read(file);
  }

  private static read(file: string): SavedSettings {
    try {
      return savedSettings.parse(JSON.parse(readFileSync(file, 'utf8')));
    } catch {
      // Missing or unreadable settings fall back to defaults; results live in the database, not here.
      return savedSettings.parse({});
    }
  }

  get(): SavedSettings {
    return this.current;
  }

  update(changes: Partial<SavedSettings>): SavedSettings {
    this.current = savedSettings.parse({ ...this.current, ...changes });
    mkdirSync(path.dirname(this.file), { recursive: true });
    // Write then rename, so a crash never leaves half a file.
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.current, null, 2));
    renameSync(temporary, this.file);
    return this.current;
  }
}

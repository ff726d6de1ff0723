import path from 'node:path';
import type { Writable } from 'node:stream';
import { agreementOf, type Agreement } from '../core/evaluate/agreement.js';
import { defaultDatabase } from '../core/paths.js';
import { modelNamed, type ModelRecord } from '../core/store/models.js';
import type { Store } from '../core/store/store.js';
import { openDatabaseFile } from './database.js';
import { UsageError } from './usage.js';

export interface CompareOptions {
  db?: string;
  /** Two models, each as id or id@version. */
  model: string[];
  /** A watched folder's path: only its captures. */
  folder?: string;
  format: 'table' | 'json';
}

/** `metascope compare`: how far two models agree on the captures both classified. */
export async function compareCommand(
  options: CompareOptions,
  out: Writable = process.stdout,
): Promise<number> {
  if (options.model.length !== 2)
    throw new UsageError(
      'Name exactly two models to compare: --model A --model B (each as id or id@version).',
    );
  const store = openDatabaseFile(path.resolve(options.db ?? defaultDatabase()), {
    mustExist: true,
    reading: true,
  });
  try {
    const [a, b] = options.model.map((name) => named(store, name)) as [ModelRecord, ModelRecord];
    const folderId = options.folder === undefined ? null : folderIdOf(store, options.folder);
    const agreement = agreementOf(store.comparison.pairs(a, b, folderId));
    if (options.format === 'json')
      out.write(`${JSON.stringify({ a: refOf(a), b: refOf(b), ...agreement })}\n`);
    else out.write(agreementTable(a, b, agreement));
    return 0;
  } finally {
    store.close();
  }
}

const refOf = (m: ModelRecord) => ({ id: m.id, version: m.version, sha256: m.sha256 });

function named(store: Store, name: string): ModelRecord {
  try {
    return modelNamed(store.models.list(), name);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function folderIdOf(store: Store, folder: string): number {
  const folders = store.folders.list();
  const match = folders.find((f) => path.resolve(f.path) === path.resolve(folder));
  if (!match)
    throw new UsageError(
      `${folder} is not a watched folder. Watched folders: ${folders.map((f) => f.path).join(', ') || 'none'}.`,
    );
  return match.id;
}

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The agreement table as a person reads it: A's labels down, B's across, then where they differ. */
export function agreementTable(a: ModelRecord, b: ModelRecord, agreement: Agreement): string {
  const lines = [`A: ${a.id} ${a.version} (${a.name})`, `B: ${b.id} ${b.version} (${b.name})`];
  if (agreement.total === 0) return `${lines.join('\n')}\nNo capture was classified by both models.\n`;
  const [low, high] = agreement.interval!;
  lines.push(
    `${agreement.total} captures classified by both; they agree on ${agreement.agreed}: ${percent(agreement.fraction!)} (95% interval ${percent(low)} to ${percent(high)}).`,
    '',
  );
  const width = Math.max(8, ...[...agreement.labelsA, ...agreement.labelsB].map((l) => l.length)) + 2;
  lines.push(['A \\ B'.padEnd(width), ...agreement.labelsB.map((l) => l.padStart(width))].join(''));
  agreement.labelsA.forEach((label, i) =>
    lines.push([label.padEnd(width), ...agreement.counts[i]!.map((n) => String(n).padStart(width))].join('')),
  );
  if (agreement.disagreements.length > 0) {
    lines.push('', 'Where they differ, most first (A class p, B class p, difference in p of A’s class):');
    for (const d of agreement.disagreements)
      lines.push(
        `  ${d.fileName}: ${d.classA} ${d.probabilityA.toFixed(3)}, ${d.classB} ${d.probabilityB.toFixed(3)}, ${d.difference.toFixed(3)}`,
      );
  }
  return `${lines.join('\n')}\n`;
}

import type Database from 'better-sqlite3';
import { filterSql, type HistoryFilter } from './history-query.js';
import { statementCache } from './statements.js';

/** How many results of a folder carry one final label, of all its results that match. */
export interface FolderShare {
  folderId: number;
  className: string;
  count: number;
  total: number;
}

/** Of the results a person reviewed, how many kept the model's class. */
export interface Agreement {
  reviewed: number;
  agreed: number;
}

// A capture counts in every watched folder it was seen in, as the folder filter finds it there.
const inFolder = 'JOIN capture_files f ON f.capture_id = r.capture_id AND f.folder_id IS NOT NULL';

export type Figures = ReturnType<typeof createFigures>;

/** The figures History charts answer lab questions with: shares per folder, model against reviewers. */
export function createFigures(db: Database.Database) {
  const prepare = statementCache(db);

  return {
    /** Per watched folder, the results of each final label and of every label together. */
    folderShares(filter: HistoryFilter): FolderShare[] {
      const { where, params } = filterSql(filter);
      return prepare(
        `SELECT folderId, className, count, sum(count) OVER (PARTITION BY folderId) AS total
         FROM (SELECT f.folder_id AS folderId, r.final_label AS className, count(DISTINCT r.id) AS count
               FROM results r ${inFolder} WHERE ${where} GROUP BY folderId, className)
         ORDER BY folderId, className`,
      ).all(params) as FolderShare[];
    },
    /** Reviewed results per class the model gave: how many the reviewer confirmed. */
    agreementByClass(filter: HistoryFilter): (Agreement & { className: string })[] {
      const { where, params } = filterSql({ ...filter, reviewed: true });
      return prepare(
        `SELECT r.class_name AS className, count(*) AS reviewed, sum(r.final_label = r.class_name) AS agreed
         FROM results r WHERE ${where} GROUP BY className ORDER BY className`,
      ).all(params) as (Agreement & { className: string })[];
    },
    /** Reviewed results per watched folder: how many the reviewer confirmed. */
    agreementByFolder(filter: HistoryFilter): (Agreement & { folderId: number })[] {
      const { where, params } = filterSql({ ...filter, reviewed: true });
      return prepare(
        `SELECT f.folder_id AS folderId, count(DISTINCT r.id) AS reviewed,
                count(DISTINCT iif(r.final_label = r.class_name, r.id, NULL)) AS agreed
         FROM results r ${inFolder} WHERE ${where} GROUP BY folderId ORDER BY folderId`,
      ).all(params) as (Agreement & { folderId: number })[];
    },
  };
}

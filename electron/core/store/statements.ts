import type Database from 'better-sqlite3';

/**
 * Prepares each distinct SQL text once and keeps it: history filters combine freely, so their
 * statements are prepared on first use rather than all up front.
 */
export function statementCache(db: Database.Database): (sql: string) => Database.Statement {
  const statements = new Map<string, Database.Statement>();
  return (sql) => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = db.prepare(sql)));
    return statement;
  };
}

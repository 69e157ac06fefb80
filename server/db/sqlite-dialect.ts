import type { Database, Statement } from "bun:sqlite";
import { type DatabaseConnection, SqliteDialect, SqliteDriver } from "kysely";

/**
 * Kysely's SqliteDialect expects better-sqlite3's statement shape (`reader`, array params).
 * This adapter gives bun:sqlite that shape, and serialises connection use so a transaction's
 * statements never interleave with another request's (one SQLite handle is shared).
 */
function adapt(db: Database) {
  const bind = (params: readonly unknown[]) =>
    params.map((p) => (typeof p === "boolean" ? (p ? 1 : 0) : p)) as any[];
  return {
    close: () => db.close(),
    prepare(sql: string) {
      const stmt: Statement = db.query(sql);
      return {
        reader: stmt.columnNames.length > 0,
        all: (params: readonly unknown[]) => stmt.all(...bind(params)),
        run: (params: readonly unknown[]) => stmt.run(...bind(params)),
        iterate: (params: readonly unknown[]) => stmt.iterate(...bind(params)),
      };
    },
  };
}

class SerialDriver extends SqliteDriver {
  #queue: Promise<void> = Promise.resolve();
  #release: (() => void) | null = null;

  override async acquireConnection(): Promise<DatabaseConnection> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const prev = this.#queue;
    this.#queue = prev.then(() => next);
    await prev;
    this.#release = release;
    return super.acquireConnection();
  }

  override async releaseConnection(): Promise<void> {
    // Kysely 0.28's driver keeps its own mutex (0.29 dropped it): it must be released too.
    await super.releaseConnection();
    const r = this.#release;
    this.#release = null;
    r?.();
  }
}

export class BunSqliteDialect extends SqliteDialect {
  readonly #db: Database;
  constructor(db: Database) {
    super({ database: adapt(db) as any });
    this.#db = db;
  }
  override createDriver() {
    return new SerialDriver({ database: adapt(this.#db) as any });
  }
}

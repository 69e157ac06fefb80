import { Database } from "bun:sqlite";
import { Kysely } from "kysely";
import type { CoreDatabase } from "./schema.ts";
import { BunSqliteDialect } from "./sqlite-dialect.ts";

export interface Store {
  sqlite: Database;
  db: Kysely<CoreDatabase>;
  close(): Promise<void>;
}

/** Opens (creating if needed) the SQLite store with the pragmas a small always-on server wants. */
export function openStore(path: string): Store {
  const sqlite = new Database(path, { create: true, strict: false });
  sqlite.exec("PRAGMA journal_mode = WAL");
  sqlite.exec("PRAGMA synchronous = NORMAL");
  sqlite.exec("PRAGMA foreign_keys = ON");
  sqlite.exec("PRAGMA busy_timeout = 5000");
  const db = new Kysely<CoreDatabase>({ dialect: new BunSqliteDialect(sqlite) });
  return {
    sqlite,
    db,
    close: async () => {
      await db.destroy();
    },
  };
}

import { type Kysely, type Migration, type MigrationResultSet, Migrator } from "kysely";
import { AppError } from "../errors.ts";

/**
 * A static migration list: Kysely's FileMigrationProvider reads a directory, which does not exist
 * inside a compiled binary. Each owner (the core, each plugin) has its own bookkeeping tables, so
 * plugins can be added or removed without touching anyone else's history.
 * `db` is untyped on purpose: migrations create the tables the types (CoreDatabase, a plugin's
 * table map) describe, so they work below them, as Kysely's own Migration does.
 */
export async function migrateOwner(
  db: Kysely<any>,
  owner: string,
  migrations: Record<string, Migration>,
): Promise<MigrationResultSet> {
  // Bookkeeping tables carry the owner's prefix, so a plugin's scoped db may run its own migrations.
  const safe = owner.replace(/[^a-z0-9_]/gi, "_");
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: `${safe}_migrations`,
    migrationLockTableName: `${safe}_migrations_lock`,
  });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === "Error");
    throw new AppError(
      "E_INTERNAL",
      `Migration ${failed?.migrationName ?? "?"} of ${owner} failed: ${String((result.error as Error).message ?? result.error)}`,
      {
        hint: "The store was left at the last good migration; restore <data>/odoodeck.db from a backup if needed",
        cause: result.error,
      },
    );
  }
  return result;
}

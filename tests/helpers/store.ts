import type { Kysely } from "kysely";
import type { CoreDb } from "../../server/db/schema.ts";

/**
 * The whole store, untyped: the core's Kysely knows only the core's tables (CoreDatabase), but a
 * test looks at rows a plugin wrote (backup_*, notifications_*, …) or at tables an old core
 * migration made. Say so at the call site instead of loosening the core's type.
 */
export function wholeStore(db: CoreDb): Kysely<any> {
  return db as Kysely<any>;
}

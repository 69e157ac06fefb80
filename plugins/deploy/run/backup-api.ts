/**
 * The backup plugin's "backup.api" service, as its contract declares it (a type-only import: plugins
 * never import each other's code). Absent when the backup plugin is not enabled.
 */
import type { BackupApi } from "../../backup/contract.ts";

export type { BackupApi };

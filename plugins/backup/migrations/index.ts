import * as m001 from "./001-backups.ts";
import * as m002 from "./002-restore-tests.ts";

export const migrations = { "001-backups": m001, "002-restore-tests": m002 };

import * as m001 from "./001-backups.ts";

export const migrations = { "001-backups": m001 };

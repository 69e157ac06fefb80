import * as m001 from "./001-backups.ts";
import * as m002 from "./002-restore-tests.ts";
import * as m003 from "./003-scratch-claims.ts";
import * as m004 from "./004-neutralize-reports.ts";
import * as m005 from "./005-backup-owner.ts";
import * as m006 from "./006-uploads.ts";
import * as m007 from "./007-restore-test-recovery.ts";

export const migrations = {
  "001-backups": m001,
  "002-restore-tests": m002,
  "003-scratch-claims": m003,
  "004-neutralize-reports": m004,
  "005-backup-owner": m005,
  "006-uploads": m006,
  "007-restore-test-recovery": m007,
};

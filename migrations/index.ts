import type { Migration } from "kysely";
import * as m0001 from "./0001-core.ts";
import * as m0002 from "./0002-jobs-operations.ts";
import * as m0003 from "./0003-servers-instances.ts";
import * as m0004 from "./0004-notifications.ts";
import * as m0005 from "./0005-owners.ts";
import * as m0006 from "./0006-login-failures.ts";
import * as m0007 from "./0007-token-scopes.ts";
import * as m0008 from "./0008-notifications-plugin.ts";

/** Core migrations, in order. Names are sorted by Kysely: keep the numeric prefix. */
export const coreMigrations: Record<string, Migration> = {
  "0001-core": m0001,
  "0002-jobs-operations": m0002,
  "0003-servers-instances": m0003,
  "0004-notifications": m0004,
  "0005-owners": m0005,
  "0006-login-failures": m0006,
  "0007-token-scopes": m0007,
  "0008-notifications-plugin": m0008,
};

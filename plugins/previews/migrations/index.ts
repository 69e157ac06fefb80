import * as m001 from "./001-init.ts";
import * as m002 from "./002-certificates.ts";

export const migrations = { "001-init": m001, "002-certificates": m002 };

import * as m001 from "./001-init.ts";

export const migrations = { "001-init": m001 };

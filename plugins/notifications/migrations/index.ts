import type { Migration } from "odoodeck/sdk";
import * as m0001 from "./0001-tables.ts";

export const migrations: Record<string, Migration> = { "0001-tables": m0001 };

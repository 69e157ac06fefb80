import { expect, test } from "bun:test";
import { backupBaseName, nativeName, parseBackupName, zipName } from "./format.ts";

test("backup names round-trip, including a second backup within the same second (-2)", () => {
  const at = new Date("2026-11-23T10:15:00.400Z");
  const first = nativeName(backupBaseName("acme prod", "acme_prod", at, "full"));
  const second = zipName(backupBaseName("acme prod", "acme_prod", at, "db", 2));
  expect(first).toBe("acme-prod_acme-prod_20261123T101500Z_full.odoodeck");
  expect(second).toBe("acme-prod_acme-prod_20261123T101500Z-2_db.zip");
  expect(parseBackupName(first)).toMatchObject({
    stamp: "20261123T101500Z",
    scope: "full",
    format: "native",
  });
  expect(parseBackupName(second)).toMatchObject({ stamp: "20261123T101500Z", scope: "db", format: "zip" });
  expect(parseBackupName(".partial-x")).toBeNull();
});

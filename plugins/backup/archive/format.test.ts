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

test("the Backups page shows a backup's name without its instance (the page already names it)", async () => {
  const { shortName } = await import("../views/backups-page.tsx");
  const inst = { name: "acme prod" } as Parameters<typeof shortName>[1];
  const b = { name: nativeName(backupBaseName("acme prod", "acme_prod", new Date(0), "full")) } as Parameters<
    typeof shortName
  >[0];
  expect(shortName(b, inst)).toBe("acme-prod_19700101T000000Z_full.odoodeck");
});

test("the restore page suggests a new database name that checkNewDbName accepts", async () => {
  const { suggestedDbName } = await import("../views/restore-page.tsx");
  const { checkNewDbName } = await import("../restore/restore-request.ts");
  const name = suggestedDbName("a_very_long_production_database_name", new Date("2026-12-06T19:52:00Z"));
  expect(name).toBe("a_very_long_prod_restored_20261206_195200");
  expect(checkNewDbName(name)).toBe(name);
});

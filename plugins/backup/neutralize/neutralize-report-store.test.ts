import { afterAll, beforeAll, expect, test } from "bun:test";
import { openPluginStore } from "../../../server/sdk/testing.ts";
import { migrations } from "../migrations/index.ts";
import { NeutralizeReportStore } from "./neutralize-report-store.ts";
import type { RestoreResult } from "../restore/restore-finish.ts";

let store: Awaited<ReturnType<typeof openPluginStore>>;
beforeAll(async () => {
  store = await openPluginStore("backup", migrations);
});
afterAll(() => store.close());

const result = (neutralized: boolean): RestoreResult => ({
  dbName: "acme",
  filestore: null,
  neutralized,
  moduleScripts: [],
  neutralizeReport: neutralized ? [{ kind: "as Odoo", text: "webhook server actions disabled" }] : [],
  check: null,
  swap: { rollbackDb: "acme__rollback_1", rollbackFilestore: null, downtimeSeconds: 0 },
  restoreSeconds: 1,
});

test("a later restore into the same database replaces its report; one not neutralized removes it", async () => {
  const reports = new NeutralizeReportStore(store.db);
  await reports.record(1, "op-1", result(true));
  await reports.record(1, "op-2", result(true));
  expect(await reports.list(1)).toMatchObject([{ dbName: "acme", target: "instance", operationId: "op-2" }]);
  // a production-style restore (not neutralized) replaced the database: the old report no longer describes it
  await reports.record(1, "op-3", result(false));
  expect(await reports.get(1, "acme")).toBeNull();
});

/** Classification on real repositories: each rule, as a user would see it named. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Connection } from "../../server/sdk/index.ts";
import { gitIn, makeRepo, manifest, type WorkRepo } from "../helpers/git-repo.ts";
import { localConnection } from "../helpers/local-connection.ts";
import { classifyChange } from "../../plugins/deploy/classify/classify.ts";

let dir: string;
let conn: Connection;
let repo: WorkRepo;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "odoodeck-classify-"));
  conn = await localConnection();
  repo = makeRepo(join(dir, "repo"), {
    "acme_sale/__manifest__.py": manifest("ACME Sale", "17.0.1.0", ["views/sale.xml"]),
    "acme_sale/__init__.py": "from . import models\n",
    "acme_sale/models/sale.py": "X = 1\n",
    "acme_sale/views/sale.xml": "<odoo/>\n",
    "acme_sale/static/src/app.js": "console.log(1);\n",
    "README.md": "# addons\n",
  });
  base = repo.head();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Each case starts from the same base commit on its own branch. */
async function change(files: Record<string, string | null>) {
  gitIn(repo.dir, "checkout", "-q", "--detach", base);
  const to = repo.commit("change", files);
  return classifyChange(conn, repo.dir, base, to);
}

describe("classification of a change, like Odoo.sh", () => {
  test("a new module is installed", async () => {
    const c = await change({
      "acme_crm/__manifest__.py": manifest("ACME CRM", "17.0.1.0"),
      "acme_crm/__init__.py": "",
    });
    expect(c.action).toBe("install");
    expect(c.install).toEqual(["acme_crm"]);
    expect(c.upgrade).toEqual([]);
    expect(c.modules[0].checksum.old).toBeNull();
  });

  test("a manifest version bump upgrades the module", async () => {
    const c = await change({
      "acme_sale/__manifest__.py": manifest("ACME Sale", "17.0.1.1", ["views/sale.xml"]),
    });
    expect(c.action).toBe("upgrade");
    expect(c.upgrade).toEqual(["acme_sale"]);
    expect(c.modules[0].reasons).toContain("version 17.0.1.0 → 17.0.1.1");
    expect(c.modules[0].checksum.old).not.toBe(c.modules[0].checksum.new);
  });

  test("a changed view upgrades the module", async () => {
    const c = await change({ "acme_sale/views/sale.xml": "<odoo><record id='x'/></odoo>\n" });
    expect(c.action).toBe("upgrade");
    expect(c.upgrade).toEqual(["acme_sale"]);
    expect(c.modules[0].reasons).toEqual(["data file views/sale.xml"]);
  });

  test("Python only needs a restart, nothing installed or upgraded", async () => {
    const c = await change({ "acme_sale/models/sale.py": "X = 2\n" });
    expect(c.action).toBe("restart");
    expect(c.restart).toBe(true);
    expect(c.install).toEqual([]);
    expect(c.upgrade).toEqual([]);
  });

  test("static assets only: nothing but a cache bust", async () => {
    const c = await change({
      "acme_sale/static/src/app.js": "console.log(2);\n",
      "README.md": "# addons!\n",
    });
    expect(c.action).toBe("none");
    expect(c.restart).toBe(false);
    expect(c.cacheBust).toBe(true);
    expect(c.otherFiles).toEqual(["README.md"]);
  });

  test("a removed module is named, not upgraded", async () => {
    const c = await change({
      "acme_sale/__manifest__.py": null,
      "acme_sale/__init__.py": null,
      "acme_sale/models/sale.py": null,
      "acme_sale/views/sale.xml": null,
      "acme_sale/static/src/app.js": null,
    });
    expect(c.modules.map((m) => [m.module, m.action])).toEqual([["acme_sale", "removed"]]);
    expect(c.upgrade).toEqual([]);
  });
});

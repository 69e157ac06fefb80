import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestApp, type TestApp } from "../helpers/app.ts";

let t: TestApp;
let dataDir: string;
const plug = (id: string, files: Record<string, string>) => {
  mkdirSync(join(dataDir, "plugins", id, "lib"), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dataDir, "plugins", id, name), text);
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "odoodeck-test-plugin-access-"));
  // What the hostile user did: read secret.key and the users table, while declaring only "network".
  plug("peek", {
    "index.js": `import { definePlugin } from "odoodeck/sdk";
import { readFileSync } from "node:fs";
import { stealUsers } from "./lib/db.js";
export default definePlugin({ id: "peek", name: "Peek", version: "1.0.0", sdk: "^1", capabilities: ["network"],
  register(ctx) { globalThis.__peeked = readFileSync(ctx.dataDir + "/secret.key").length; stealUsers(ctx.dataDir); } });`,
    "lib/db.js": `import { Database } from "bun:sqlite";
export function stealUsers(dir) { Bun.spawnSync(["true"]); return new Database(dir + "/odoodeck.db", { readonly: true }); }`,
  });
  plug("honest", {
    "index.js": `import { definePlugin } from "odoodeck/sdk";
import { readFile } from "node:fs/promises";
export default definePlugin({ id: "honest", name: "Honest", version: "1.0.0", sdk: "^1", capabilities: ["filesystem"],
  register() { void readFile; } });`,
  });
  plug("typo", {
    "index.js": `export default { id: "typo", name: "Typo", version: "1.0.0", sdk: "^1", capabilities: ["everything"], register() {} };`,
  });
  t = await startTestApp({ plugins: [], dataDir, loadExternal: true });
});
afterAll(async () => {
  await t?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The Plugins page's table row of one plugin. */
async function row(id: string): Promise<string> {
  const { html } = await t.admin.page("/plugins");
  const at = html.indexOf(`<code>${id}</code>`);
  expect(at).toBeGreaterThan(-1);
  return html.slice(html.lastIndexOf("<tr>", at), html.indexOf("</tr>", at));
}

describe("the Plugins page says plainly what third-party plugins can do", () => {
  test("a warning names every third-party plugin: they are not sandboxed", async () => {
    const { html } = await t.admin.page("/plugins");
    expect(html).toContain("Third-party plugins are not sandboxed (honest, peek, typo).");
    expect(html).toContain("secret.key");
    for (const id of ["peek", "honest", "typo"]) expect(await row(id)).toContain("not sandboxed");
  });

  test("a plugin that imports node:fs and bun:sqlite (in a helper file) shows them, and what it did not declare", async () => {
    expect((globalThis as any).__peeked).toBeGreaterThan(0); // it really could read the key
    const r = await row("peek");
    expect(r).toContain(">network<");
    expect(r).toContain("filesystem, not declared");
    expect(r).toContain("spawn, not declared");
    expect(r).toContain("found in its code: ");
    for (const use of ["node:fs", "bun:sqlite", "Bun.spawn"]) expect(r).toContain(`<code>${use}</code>`);
  });

  test("a plugin that declares what it uses has no warning beyond the sandbox one", async () => {
    const r = await row("honest");
    expect(r).toContain(">filesystem<");
    expect(r).toContain("<code>node:fs/promises</code>");
    expect(r).not.toContain("not declared");
  });

  test("an unknown capability disables the plugin with a reason that lists the known ones", async () => {
    const r = await row("typo");
    expect(r).toContain("disabled");
    expect(r).toContain(
      "capabilities must be some of network, filesystem, spawn, connections, odoo-database",
    );
  });

  test("only admins see the Plugins page", async () => {
    const v = await t.client("viewer");
    const res = await v.get("/plugins");
    expect(res.status).toBe(403);
  });
});

import { describe, expect, test } from "bun:test";
import { diffAddonsPaths, diffMaps } from "./diff.ts";

describe("diffMaps", () => {
  test("classifies changed, only-left and only-right; skips equal keys", () => {
    const d = diffMaps({ a: "1", b: "2", same: "x" }, { a: "1", b: "3", c: "4", same: "x" });
    expect(d.map((e) => [e.key, e.status])).toEqual([
      ["b", "changed"],
      ["c", "only-right"],
    ]);
    const l = diffMaps({ gone: "1" }, {});
    expect(l[0]).toMatchObject({ key: "gone", status: "only-left", left: "1", right: null });
  });

  test("secrets are compared but come out masked, by key or by value shape", () => {
    const d = diffMaps(
      { "acme.payment_provider_key": "pk_live_ABC123", "x.innocent": "sk_live_zzz", db_password: "a" },
      { db_password: "b", "x.innocent": "sk_live_yyy" },
    );
    expect(JSON.stringify(d)).not.toMatch(/pk_live|sk_live|"a"|"b"/);
    expect(d.find((e) => e.key === "db_password")).toMatchObject({
      status: "changed",
      secret: true,
      expected: true,
    });
    expect(d.find((e) => e.key === "x.innocent")).toMatchObject({ status: "changed", secret: true });
  });

  test("an equal secret is 'same', a different one 'changed'", () => {
    expect(diffMaps({ smtp_password: "s" }, { smtp_password: "s" })).toEqual([]);
    expect(diffMaps({ smtp_password: "s" }, { smtp_password: "t" })[0].status).toBe("changed");
  });

  test("database.uuid and web.base.url are expected to differ", () => {
    const d = diffMaps(
      { "database.uuid": "1", "web.base.url": "a", "acme.flag": "on" },
      { "database.uuid": "2", "web.base.url": "b", "acme.flag": "off" },
    );
    expect(Object.fromEntries(d.map((e) => [e.key, e.expected]))).toEqual({
      "acme.flag": false,
      "database.uuid": true,
      "web.base.url": true,
    });
  });
});

test("addons paths compare entry by entry, trailing slashes ignored", () => {
  const d = diffAddonsPaths(
    ["/opt/odoo/addons", "/opt/custom/", "/opt/oca/web"],
    ["/opt/odoo/addons", "/opt/custom"],
  );
  expect(d).toEqual([
    { path: "/opt/odoo/addons", status: "both", leftIndex: 0, rightIndex: 0 },
    { path: "/opt/custom", status: "both", leftIndex: 1, rightIndex: 1 },
    { path: "/opt/oca/web", status: "only-left", leftIndex: 2, rightIndex: null },
  ]);
});

test("a boolean under a password-like name is not a secret; conf credentials always are", () => {
  const d = diffMaps({ "auth_signup.reset_password": "True", admin_passwd: "True" }, {});
  expect(d.map((e) => [e.key, e.secret, e.left])).toEqual([
    ["admin_passwd", true, "••••••••"],
    ["auth_signup.reset_password", false, "True"],
  ]);
});

import { expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { SecretBox } from "./secrets.ts";

test("keyedHash: stable under one key, different per purpose and per key, never the value itself", () => {
  const key = randomBytes(32);
  const a = new SecretBox(key);
  const same = new SecretBox(Buffer.from(key));
  const other = new SecretBox(randomBytes(32));
  const h = a.keyedHash("config-diff.admin_passwd", "hunter2");
  expect(h).toMatch(/^[0-9a-f]{64}$/);
  expect(same.keyedHash("config-diff.admin_passwd", "hunter2")).toBe(h);
  expect(a.keyedHash("config-diff.db_password", "hunter2")).not.toBe(h);
  expect(other.keyedHash("config-diff.admin_passwd", "hunter2")).not.toBe(h);
  expect(a.keyedHash("config-diff.admin_passwd", "hunter3")).not.toBe(h);
});

test("a sealed secret opens only with its key", () => {
  const a = new SecretBox(randomBytes(32));
  const sealed = a.encrypt("s3cret");
  expect(sealed).not.toContain("s3cret");
  expect(a.decrypt(sealed)).toBe("s3cret");
  expect(() => new SecretBox(randomBytes(32)).decrypt(sealed)).toThrow("cannot be decrypted");
});

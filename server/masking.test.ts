import { expect, test } from "bun:test";
import { isSecret, MASK, maskText, shownValue } from "./masking.ts";

test("secrets in lines are masked, the rest of the line stays", () => {
  const cases: Array<[string, string]> = [
    ["connect db_password=s3cret host=db", `connect db_password=${MASK} host=db`],
    ["admin_passwd = $pbkdf2-sha512$600000$abc", `admin_passwd = ${MASK}`],
    ['{"login": "admin", "password": "hunter2"}', `{"login": "admin", "password": ${MASK}}`],
    ["Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc", `Authorization: Bearer ${MASK}`],
    ["acme.payment_provider_key = pk_live_ABC123", `acme.payment_provider_key = ${MASK}`],
    ["key pk_live_ABC123 in text", `key ${MASK} in text`],
    ["GET /web?api_key=abcd1234&x=1", `GET /web?api_key=${MASK}&x=1`],
    ["postgres://odoo:pw@db:5432/x", `postgres://odoo:${MASK}@db:5432/x`],
    ["auth_signup.reset_password = True", "auth_signup.reset_password = True"],
    ["db_maxconn=64 workers=4", "db_maxconn=64 workers=4"],
    [
      "Login failed for db:acme_prod login:admin from n/a",
      "Login failed for db:acme_prod login:admin from n/a",
    ],
  ];
  for (const [input, want] of cases) expect([input, maskText(input)]).toEqual([input, want]);
  // Masking twice changes nothing: records masked when parsed may go through it again.
  for (const [, want] of cases) expect(maskText(want)).toBe(want);
});

test("one rule set: a value is masked the same way as a conf value and inside a log line", () => {
  for (const [key, value] of [
    ["db_password", "pr0d-db-pass"],
    ["acme.payment_provider_key", "pk_live_ABC123"],
    ["smtp_password", "x"],
    ["some_token", "abc.def"],
  ]) {
    expect(isSecret(key, value)).toBe(true);
    expect(shownValue(key, value)).toBe(MASK);
    expect(maskText(`${key}=${value} next`)).toBe(`${key}=${MASK} next`);
  }
  // A credential shape is masked whole under any key, and in free text.
  expect(shownValue("innocent", "pk_live_ABC123")).toBe(MASK);
  expect(maskText("paid with pk_live_ABC123.")).toBe(`paid with ${MASK}.`);
});

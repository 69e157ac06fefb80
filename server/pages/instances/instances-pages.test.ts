import { expect, test } from "bun:test";
import { nameFromConfPath } from "./instances-pages.tsx";

test("a discovered instance gets a first name from its config path", () => {
  expect(nameFromConfPath("/etc/odoo/odoo-prod.conf")).toBe("prod");
  expect(nameFromConfPath("/etc/odoo-staging.conf")).toBe("staging");
  expect(nameFromConfPath("/etc/odoo/odoo.conf")).toBe("odoo");
  expect(nameFromConfPath("/home/erp/.odoorc")).toBe("erp");
  expect(nameFromConfPath("/srv/clients/acme.conf")).toBe("acme");
});

import { expect, test } from "bun:test";
import { checkName } from "./names.ts";

test("a preview cannot be named after a page of the plugin (its own page would be unreachable)", () => {
  expect(() => checkName("templates")).toThrow(/cannot be a preview name/);
  expect(checkName("templates", "template")).toBe("templates");
  expect(checkName("feature-sale")).toBe("feature-sale");
});

/** formFlash: an input mistake becomes the form's flash, anything else goes on to the error handler. */
import { expect, test } from "bun:test";
import { AppError, formFlash } from "./index.ts";

test("an input mistake becomes the flash, with its hint", () => {
  const e = new AppError("E_VALIDATION", "A server needs a name", { hint: "e.g. prod-1" });
  expect(formFlash(e)).toEqual({ kind: "error", message: "A server needs a name", hint: "e.g. prod-1" });
  expect(formFlash(new AppError("E_CONFLICT", "taken"))).toEqual({
    kind: "error",
    message: "taken",
    hint: undefined,
  });
});

test("other errors are rethrown unchanged, unless the page names their code", () => {
  const gone = new AppError("E_NOT_FOUND", "No job x");
  expect(() => formFlash(gone)).toThrow(gone);
  expect(formFlash(gone, ["E_VALIDATION", "E_NOT_FOUND"])).toMatchObject({ message: "No job x" });
  const bug = new TypeError("x is undefined");
  expect(() => formFlash(bug)).toThrow(bug);
});

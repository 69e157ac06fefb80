import { expect, test } from "bun:test";
import { csvToObjects, parseCsv } from "./csv.ts";

test("parseCsv handles quotes, doubled quotes, commas, CRLF and newlines inside fields", () => {
  expect(parseCsv('a,b\r\n"x, ""y""","line1\nline2"\n,\n')).toEqual([
    ["a", "b"],
    ['x, "y"', "line1\nline2"],
    ["", ""],
  ]);
  expect(parseCsv("")).toEqual([]);
  expect(() => parseCsv('"open')).toThrow("unterminated");
});

test("csvToObjects maps the null token to null and keeps empty strings", () => {
  expect(csvToObjects("v,w\nNUL,\n", "NUL")).toEqual([{ v: null, w: "" }]);
});

import { AppError } from "../errors.ts";
import type { OperationDefinition } from "../sdk/operation.ts";

type Issue = { message: string; path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> };

const pathOf = (i: Issue) =>
  (i.path ?? []).map((k) => String(typeof k === "object" && k !== null ? k.key : k)).join(".") || "(input)";

/**
 * Checks the input against the operation's schema. Unknown fields are refused rather than
 * ignored: a typo (`--scop db`) must not silently run with the default. The error names each
 * field, in the message (every surface shows it) and in `details.fields`.
 */
export async function validateInput(
  op: OperationDefinition,
  raw: Record<string, unknown>,
  fields: Record<string, unknown>,
  known: string[],
): Promise<any> {
  const unknown = Object.keys(raw).filter((k) => !known.includes(k));
  const issues: Array<{ path: string; message: string }> = unknown.map((k) => ({
    path: k,
    message: "unknown field",
  }));
  if (!issues.length) {
    const res = await op.input["~standard"].validate(fields);
    if (!res.issues) return res.value;
    issues.push(...res.issues.map((i) => ({ path: pathOf(i), message: i.message })));
  }
  throw new AppError(
    "E_VALIDATION",
    `Invalid input: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
    {
      hint: `Accepted fields: ${known.join(", ") || "none"}`,
      details: { fields: issues },
    },
  );
}

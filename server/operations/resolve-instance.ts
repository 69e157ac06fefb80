import type { Core } from "../core.ts";
import { AppError } from "../errors.ts";
import type { InstanceHandle, Principal } from "../sdk/types.ts";

/**
 * Finds the instance an operation names (id or name). One that the caller may not view gets the
 * very answer a missing one gets, so a scoped token cannot learn which instances exist.
 */
export async function resolveInstanceRef(core: Core, p: Principal, ref: unknown): Promise<InstanceHandle> {
  const text = typeof ref === "number" ? String(ref) : typeof ref === "string" ? ref.trim() : "";
  if (!text)
    throw new AppError("E_VALIDATION", "instance: give the instance's id or name", {
      hint: "odoodeck instance list shows them",
    });
  const rows = await core.registry.instanceRows();
  const row = /^\d+$/.test(text)
    ? rows.find((r) => r.id === Number(text))
    : rows.find((r) => r.name === text);
  if (!row || !(await core.can(p, "viewer", row.id)))
    throw new AppError("E_NOT_FOUND", `No instance ${/^\d+$/.test(text) ? "with id " : "named "}${text}`, {
      hint: "It may have been removed; see the Instances page",
    });
  return core.registry.get(row.id);
}

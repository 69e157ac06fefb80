/**
 * One rule for changing a mailbox's retention and chaos, on every surface (page, REST, CLI, MCP):
 * an operator of the mailbox's instance may; a mailbox of no instance is the admin's. A mailbox
 * the caller may not even see is E_NOT_FOUND, as a missing one; seen but not theirs, E_FORBIDDEN.
 * Plugin-wide settings and "release" stay admin-only.
 */
import { AppError, type Role } from "../../server/sdk/index.ts";
import type { Catcher } from "./catcher.ts";
import type { Mailbox } from "./store/mailboxes.ts";

/** Whether the caller holds `role` on the instance (or globally for null). */
export type Can = (role: Role, instanceId: number | null) => Promise<boolean>;

export const editRole = (box: Mailbox): Role => (box.instanceId == null ? "admin" : "operator");

export async function editableMailbox(catcher: Catcher, id: number, can: Can): Promise<Mailbox> {
  const box = catcher.mailboxes.get(id);
  if (!box || !(await can("viewer", box.instanceId)))
    throw new AppError("E_NOT_FOUND", `No mailbox ${id}`, { hint: "It goes when its database is dropped" });
  const role = editRole(box);
  if (!(await can(role, box.instanceId)))
    throw new AppError(
      "E_FORBIDDEN",
      `Changing this mailbox needs the ${role} role${box.instanceId == null ? "" : " on its instance"}`,
      { hint: "An admin can grant it" },
    );
  return box;
}

import type { Role } from "../sdk/types.ts";

const RANK: Record<Role | "none", number> = { none: 0, viewer: 1, operator: 2, admin: 3 };

/** True when `held` is at least `needed` (admin > operator > viewer > none). */
export function roleAtLeast(held: Role | "none" | null | undefined, needed: Role): boolean {
  return RANK[held ?? "none"] >= RANK[needed];
}

export function isRole(v: unknown): v is Role {
  return v === "admin" || v === "operator" || v === "viewer";
}

export const ROLES: Role[] = ["admin", "operator", "viewer"];

import type { Core } from "../core.ts";
import type { Principal } from "../sdk/types.ts";

/**
 * The items about instances this caller may see (viewer on the instance, by role or grant):
 * every list that names instances goes through here, so a user granted one instance never reads
 * another's name. Items about no instance (null) are kept.
 * @example const mine = await visibleTo(core, p, await core.registry.list(), (i) => i.id);
 */
export async function visibleTo<T>(
  core: Core,
  p: Principal | null,
  items: T[],
  instanceOf: (item: T) => number | null | undefined,
): Promise<T[]> {
  const seen = new Map<number, boolean>();
  const out: T[] = [];
  for (const item of items) {
    const id = instanceOf(item);
    if (id == null) {
      out.push(item);
      continue;
    }
    if (!seen.has(id)) seen.set(id, await core.can(p, "viewer", id));
    if (seen.get(id)) out.push(item);
  }
  return out;
}

import type { Core } from "../core.ts";
import { findInstance } from "../sdk/instance-route.ts";
import type { InstanceHandle, Principal } from "../sdk/types.ts";

/**
 * Finds the instance an operation names (id or name), with the same rule as page routes
 * (`instanceRoute`): one that the caller may not view is answered as missing.
 */
export function resolveInstanceRef(core: Core, p: Principal, ref: unknown): Promise<InstanceHandle> {
  return findInstance({ instances: core.registry, auth: core }, p, ref);
}

import { SDK_VERSION } from "../sdk/index.ts";

/**
 * The last version of each earlier SDK major that this one still provides in full. SDK 2 only
 * added to SDK 1 (operations, z, errors, masking…), so a plugin written for "^1" keeps loading;
 * a major that removes or changes something drops its predecessors from this list.
 */
export const SDK_SUPERSET_OF = ["1.0.0"];

/** Whether a plugin's `sdk` range is met by this SDK or by an earlier one it is a superset of. */
export function sdkSatisfies(range: string): boolean {
  return [SDK_VERSION, ...SDK_SUPERSET_OF].some((v) => Bun.semver.satisfies(v, range));
}

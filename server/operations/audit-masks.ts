import type { OperationDefinition } from "../sdk/operation.ts";

type Mask = (input: Record<string, unknown>) => Record<string, unknown>;

const masks = new WeakMap<OperationDefinition, Mask>();

/**
 * For a core operation whose secrets the audit's key-name rule cannot see (e.g. a plugin setting
 * of type "secret" under any name, nested in `values`): how to mask its input before the entry is
 * written. Runs on refused calls too, so it must accept any shape.
 */
export function withAuditMask<T extends OperationDefinition>(op: T, mask: Mask): T {
  masks.set(op, mask);
  return op;
}

/** The input as the audit may keep it: the operation's own mask first, if it has one. */
export function maskForAudit(
  op: OperationDefinition,
  input: Record<string, unknown>,
): Record<string, unknown> {
  const mask = masks.get(op);
  return mask ? mask(input) : input;
}

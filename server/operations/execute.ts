import { recordAudit } from "../auth/audit.ts";
import type { Core } from "../core.ts";
import { AppError, toAppError } from "../errors.ts";
import type { OperationContext, OperationDefinition, StartedOperation, Surface } from "../sdk/operation.ts";
import type { InstanceHandle, OperationSnapshot, Principal } from "../sdk/types.ts";
import { type DeclaredOperation, confirmHint, inputJsonSchema, ownInputSchema } from "./catalog.ts";
import { maskForAudit } from "./audit-masks.ts";
import { acquireLock, releaseLock } from "./locks.ts";
import { productionGuard } from "../sdk/production-guard.ts";
import { resolveInstanceRef } from "./resolve-instance.ts";
import { validateInput } from "./validate-input.ts";
import { waitForOperation } from "./wait.ts";

export interface ExecuteCall {
  principal: Principal | null;
  surface: Surface;
  input: unknown;
  signal?: AbortSignal;
  ip?: string | null;
}

export interface ExecuteResult {
  data: unknown;
  /** Long-running operations: the id, and the final snapshot once it ends. */
  operationId?: string;
  finished?: (onUpdate?: (s: OperationSnapshot) => void) => Promise<OperationSnapshot>;
}

const SECRET = /pass(word)?|secret|token|key/i;

/**
 * The input as the audit log keeps it: no confirmation word, no secrets. A secret is a field named
 * like one, or one its schema marks `writeOnly` (e.g. `z.string().meta({ writeOnly: true })`: a
 * webhook URL that carries its token is sent, never shown back).
 */
function auditedInput(op: OperationDefinition, input: Record<string, unknown>): Record<string, unknown> {
  const props = inputJsonSchema(op).properties;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input))
    if (k !== "confirm") out[k] = SECRET.test(k) || props[k]?.writeOnly === true ? "***" : v;
  return out;
}

function confirmWord(op: OperationDefinition, inst: InstanceHandle | null, input: unknown): string {
  if (typeof op.confirmWord === "function") return op.confirmWord(input);
  return op.confirmWord ?? inst?.name ?? op.id;
}

/** Whether a "mutating" call gets the production rule: always, never, or as the input decides. */
function guardsProduction(op: OperationDefinition, input: unknown): boolean {
  return typeof op.guardProduction === "function" ? op.guardProduction(input) : !!op.guardProduction;
}

/**
 * Destructive: the confirmation word always, and on production the one production rule (admin,
 * the word typed back) that page routes apply through the same `productionGuard`.
 */
async function confirmDestructive(
  core: Core,
  op: OperationDefinition,
  p: Principal,
  inst: InstanceHandle | null,
  input: unknown,
  confirm: unknown,
): Promise<void> {
  const word = confirmWord(op, inst, input);
  if (inst)
    await productionGuard({
      instance: inst,
      principal: p,
      confirm,
      auth: core,
      expected: word,
      action: `run ${op.title.toLowerCase()} on it`,
    });
  if (confirm !== word)
    throw new AppError("E_CONFIRMATION", `${op.title} destroys data: confirm with the word asked for`, {
      hint: `Send "confirm": ${confirmHint(op)}`,
    });
}

/**
 * The one way any surface runs an operation: shape, instance, role, input, confirmation, lock,
 * run, audit — in that order, so a caller gets the same answer from REST, the CLI and MCP.
 */
export async function executeOperation(
  core: Core,
  d: DeclaredOperation,
  call: ExecuteCall,
): Promise<ExecuteResult> {
  const { op } = d;
  const p = call.principal;
  if (!p)
    throw new AppError("E_UNAUTHENTICATED", undefined, {
      hint: "Send an API token as Authorization: Bearer <token>",
    });
  const raw = call.input ?? {};
  if (typeof raw !== "object" || Array.isArray(raw))
    throw new AppError("E_VALIDATION", "The input must be an object of named fields", {
      hint: `See the schema of ${op.id} (--help, OpenAPI or the MCP tool)`,
    });
  const { instance: ref, confirm, ...fields } = raw as Record<string, unknown>;
  const inst = op.scope === "instance" ? await resolveInstanceRef(core, p, ref) : null;
  const audit: Record<string, unknown> = {};
  let result: "ok" | "error" = "ok";
  let errorCode: string | undefined;
  try {
    // An operation on one instance's object checks its role on that instance, once the input says which.
    const roleOnObject = !inst && !!op.instanceOf;
    if (op.role !== "signed-in" && !roleOnObject) await core.requireRole(p, op.role, inst?.id ?? null);
    if (op.danger === "destructive" && p.allowDestructive === false)
      throw new AppError("E_FORBIDDEN", "This API token may not run destructive operations", {
        hint: "An admin can allow it on the token, or use another token",
      });
    const known = Object.keys(inputJsonSchema(op).properties);
    // An operation that declares `confirm` in its own input reads it itself (e.g. stopping
    // production asks for the name, from an operator too): it gets it with the other fields.
    const own = confirm !== undefined && "confirm" in (ownInputSchema(op).properties ?? {});
    const input = await validateInput(
      op,
      raw as Record<string, unknown>,
      own ? { ...fields, confirm } : fields,
      known,
    );
    if (roleOnObject) {
      const owner = await op.instanceOf!(input);
      if (owner === null || !(await core.can(p, "viewer", owner)))
        throw new AppError(
          "E_NOT_FOUND",
          `${op.title}: there is no such ${op.id.split(".")[0].replace(/s$/, "")}`,
          {
            hint: "Check the name; you see only those of the instances you may view",
          },
        );
      if (op.role !== "signed-in") await core.requireRole(p, op.role, owner);
    }
    if (op.danger === "destructive") await confirmDestructive(core, op, p, inst, input, confirm);
    else if (inst && guardsProduction(op, input))
      await productionGuard({
        instance: inst,
        principal: p,
        confirm,
        auth: core,
        action: `run ${op.title.toLowerCase()} on it`,
      });
    const ctx: OperationContext = {
      principal: p,
      actor: p.username,
      instance: inst,
      surface: call.surface,
      signal: call.signal ?? new AbortController().signal,
      can: (role, instanceId) => core.can(p, role, instanceId),
      audit: (details) => Object.assign(audit, details),
    };
    const out = await runLocked(core, op, inst, () => op.run(ctx, input));
    if (!op.longRunning) return { data: out };
    return longRunningResult(core, op, out as StartedOperation);
  } catch (e) {
    result = "error";
    errorCode = toAppError(e).code;
    throw e;
  } finally {
    if (op.danger !== "safe" || result === "error")
      await recordCall(core, d, call, p, inst, { ...audit, result, errorCode, input: raw });
  }
}

async function runLocked<T>(
  core: Core,
  op: OperationDefinition,
  inst: InstanceHandle | null,
  run: () => Promise<T>,
) {
  if (op.lock !== "instance" || op.longRunning || !inst) return run();
  await acquireLock(core.db, inst.id, op.title, null);
  try {
    return await run();
  } finally {
    await releaseLock(core.db, inst.id, null);
  }
}

function longRunningResult(core: Core, op: OperationDefinition, out: StartedOperation): ExecuteResult {
  if (!out || typeof out.operationId !== "string")
    throw new AppError("E_INTERNAL", `${op.id} is long-running but started no operation`);
  const { done, ...data } = out;
  done?.catch(() => {}); // followed through events; a failure is reported by the operation itself
  return {
    data,
    operationId: out.operationId,
    finished: (onUpdate) => waitForOperation(core, out.operationId, onUpdate),
  };
}

/**
 * One audit entry per call of a mutating operation (and per refused call of any): reads are not
 * logged, or an agent listing instances every minute would bury the entries that matter.
 */
async function recordCall(
  core: Core,
  d: DeclaredOperation,
  call: ExecuteCall,
  p: Principal,
  inst: InstanceHandle | null,
  info: Record<string, unknown> & { result: "ok" | "error"; input: unknown },
): Promise<void> {
  const { result, input, target, ...rest } = info;
  const details = {
    surface: call.surface,
    via: p.via,
    ...(p.tokenId ? { tokenId: p.tokenId } : {}),
    input: auditedInput(d.op, maskForAudit(d.op, input as Record<string, unknown>)),
    ...rest,
  };
  await recordAudit(
    core.db,
    { actor: p.username, actorId: p.userId > 0 ? p.userId : null, ip: call.ip ?? null },
    {
      action: d.op.id,
      target: typeof target === "string" ? target : inst ? `instance:${inst.name}` : undefined,
      instanceId: inst?.id ?? null,
      result,
      details,
    },
  );
  core.bus.emit("audit.recorded", {
    action: d.op.id,
    actor: p.username,
    instanceId: inst?.id ?? null,
    result,
  });
}

/**
 * Operations: declare an action once (input/output schema, role, scope, lock, danger, tags) and
 * the core serves it as a REST route with its OpenAPI entry, a CLI command, an MCP tool and an
 * audit entry. Every surface goes through one executor, so roles, locks, confirmation, errors and
 * audit are the same wherever a call comes from.
 */
import type { InstanceHandle, Principal, Role } from "./types.ts";

/** Where a call came from; recorded in the audit entry. */
export type Surface = "api" | "cli" | "mcp" | "page";

/** "safe" reads, "mutating" changes something, "destructive" loses data and needs a typed confirmation. */
export type Danger = "safe" | "mutating" | "destructive";

/**
 * The part of Standard Schema (https://standardschema.dev) the executor uses. zod 4, valibot and
 * arktype schemas all have it; zod schemas also give their JSON Schema without help.
 */
export interface StandardSchema<I = unknown> {
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => ValidationResult<I> | Promise<ValidationResult<I>>;
    readonly types?: { readonly input: unknown; readonly output: I };
  };
}

export type ValidationResult<I> =
  | { value: I; issues?: undefined }
  | { issues: ReadonlyArray<{ message: string; path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> }> };

/** What a long-running operation's `run` returns: the id of the operation it started. */
export interface StartedOperation {
  operationId: string;
  /** Settles when the operation ends (the runner's `done`); without it the core waits on events. */
  done?: Promise<unknown>;
}

export interface OperationContext {
  /** Who calls: a user (session), an API token, or the local admin (CLI, MCP over stdio). */
  readonly principal: Principal;
  /** Name recorded as the actor of started operations. */
  readonly actor: string;
  /** Scope "instance": the instance, already resolved and authorized for `role`. Null for "global". */
  readonly instance: InstanceHandle | null;
  readonly surface: Surface;
  /** Aborted when the caller goes away (HTTP client, CLI Ctrl-C, MCP cancellation). */
  readonly signal: AbortSignal;
  /** Whether the caller holds `role` (on the instance): filter lists with it. */
  can(role: Role, instanceId?: number | null): Promise<boolean>;
  /** Adds fields to the call's one audit entry (e.g. the backup's name). */
  audit(details: { target?: string; [key: string]: unknown }): void;
}

export interface OperationDefinition<I = any, O = any> {
  /** `<plugin id>.<name>`, e.g. "backup.create". The MCP tool is named with `_` for `.`. */
  id: string;
  title: string;
  description: string;
  /** Validated on every surface; E_VALIDATION names the field. Unknown fields are refused. */
  input: StandardSchema<I>;
  output?: StandardSchema<O>;
  /** JSON Schema of `input`, needed only when `input` is not a zod schema. */
  inputJsonSchema?: Record<string, unknown>;
  /**
   * Lowest role that may call it (on the instance, for scope "instance"). "signed-in": anyone
   * authenticated, for lists that `run` filters itself with `ctx.can` (a user whose only rights
   * are per-instance grants still lists the instances granted).
   */
  role: Role | "signed-in";
  /**
   * "instance": the input carries `instance` (id or name), resolved once; a caller who may not
   * see it gets the same E_NOT_FOUND as for a missing one.
   */
  scope: "global" | "instance";
  /**
   * "instance": the executor holds the instance's lock while `run` runs (E_BUSY otherwise). A
   * long-running operation takes the lock inside the operation it starts instead.
   */
  lock?: "instance";
  danger: Danger;
  /** `run` starts an operation and returns its id at once (see StartedOperation). */
  longRunning?: boolean;
  /** Presets for MCP clients (`?tools=backup,read`). "read" or "write" and the plugin id are added. */
  tags: string[];
  /**
   * The word a destructive call must carry in `confirm`: a fixed word, or one taken from the
   * input (e.g. the name of the database to drop). Default: the instance's name (scope
   * "instance"), else the operation id.
   */
  confirmWord?: string | ((input: I) => string);
  /**
   * A "mutating" operation that still deserves the production rule (admin, the instance's name
   * typed back in `confirm`) when its instance is production, e.g. a module upgrade. Destructive
   * operations always get it. The executor applies it, so every surface asks the same. A function
   * decides per call from the validated input, e.g. a restore guards only when it replaces the
   * instance's database (`(input) => !input.newDb`), not when it makes a new one beside it.
   */
  guardProduction?: boolean | ((input: I) => boolean);
  /** How help texts name that word when it comes from the input, e.g. "the copy's name". */
  confirmLabel?: string;
  /**
   * For a "global" operation that acts on one instance's object (a preview, a mailbox): the
   * instance it belongs to, or null when there is no such object. `role` is then required on
   * that instance rather than globally (an instance's operator may destroy its own previews), and
   * an object of an instance the caller cannot see answers E_NOT_FOUND exactly like a missing one.
   * The production rule is not applied through it.
   * @example instanceOf: async (input) => (await previews.store.get(input.name))?.instanceId ?? null
   */
  instanceOf?: (input: I) => Promise<number | null>;
  /** A REST-shaped route besides `POST /api/v1/ops/<id>`, e.g. `{ method: "GET", path: "/instances/{instance}" }`. */
  http?: { method: "GET" | "POST" | "PUT" | "DELETE"; path: string };
  run(ctx: OperationContext, input: I): Promise<O>;
}

/**
 * Declares an operation. Returns it unchanged; it exists for type inference. Register it in the
 * plugin's `register(ctx)` with `ctx.operations.declare(op)`.
 * @example
 * import { defineOperation, z } from "odoodeck/sdk";
 * export const greet = defineOperation({
 *   id: "hello.greet", title: "Greet", description: "Says hello",
 *   input: z.object({ name: z.string().min(1) }), role: "viewer", scope: "global",
 *   danger: "safe", tags: ["hello"],
 *   async run(ctx, input) { return { text: `Hello ${input.name}` }; },
 * });
 */
export function defineOperation<I, O>(def: OperationDefinition<I, O>): OperationDefinition<I, O> {
  return def;
}

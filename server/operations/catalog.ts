import { z } from "zod";
import { AppError } from "../errors.ts";
import type { OperationDefinition } from "../sdk/operation.ts";

/** A declared operation and who declared it ("core" for the core's own). */
export interface DeclaredOperation {
  op: OperationDefinition;
  owner: string;
}

const ID = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;

/** MCP tool names may not hold dots for some clients (the Anthropic API among them). */
export const toolName = (id: string) => id.replace(/[.-]/g, "_");

/**
 * Every declared operation: the one list the REST routes, OpenAPI, the CLI and MCP are generated
 * from, so none of them can drift from the others.
 */
export class OperationCatalog {
  readonly #ops = new Map<string, DeclaredOperation>();

  /** Refuses ids outside the owner's prefix (a plugin cannot shadow another's operation). */
  add(owner: string, op: OperationDefinition): void {
    if (!ID.test(op.id ?? ""))
      throw new AppError("E_PLUGIN", `Invalid operation id ${JSON.stringify(op.id)}`, {
        hint: 'Use "<plugin id>.<name>", lowercase, e.g. "backup.create"',
      });
    if (owner !== "core" && !op.id.startsWith(`${owner}.`))
      throw new AppError("E_PLUGIN", `Operation ${op.id} is outside the plugin's prefix "${owner}."`);
    if (this.#ops.has(op.id) || this.byTool(toolName(op.id)))
      throw new AppError("E_PLUGIN", `Operation ${op.id} is declared twice`);
    if (op.danger === "destructive" && (op.role === "viewer" || op.role === "signed-in"))
      throw new AppError(
        "E_PLUGIN",
        `Operation ${op.id} is destructive: it needs at least the operator role`,
      );
    this.#ops.set(op.id, { op, owner });
  }

  /** Drops a plugin's operations (its start() failed: its surfaces must not answer). */
  removeOwner(owner: string): void {
    for (const [id, d] of this.#ops) if (d.owner === owner) this.#ops.delete(id);
  }

  list(): DeclaredOperation[] {
    return [...this.#ops.values()].sort((a, b) => a.op.id.localeCompare(b.op.id));
  }

  get(id: string): DeclaredOperation | undefined {
    return this.#ops.get(id);
  }

  byTool(name: string): DeclaredOperation | undefined {
    return this.list().find((d) => toolName(d.op.id) === name);
  }
}

/** Tags a preset selects on: the declared ones, the owner, and "read" (safe) or "write". */
export function tagsOf(d: DeclaredOperation): string[] {
  return [...new Set([...d.op.tags, d.owner, d.op.danger === "safe" ? "read" : "write", d.op.danger])];
}

/** The word a destructive call must type: declared, else the instance's name, else the op id. */
export function confirmHint(op: OperationDefinition): string {
  if (typeof op.confirmWord === "string") return op.confirmWord;
  return op.confirmLabel ?? (op.scope === "instance" ? "the instance's name" : op.id);
}

/** How every surface describes a destructive call's typed word (`hint` as confirmHint gives it). */
export const confirmDescription = (hint: string) => `Destructive: type ${hint} to confirm`;

/** The JSON Schema of the operation's own input (without the executor's `instance`/`confirm`). */
export function ownInputSchema(op: OperationDefinition): Record<string, any> {
  return (
    op.inputJsonSchema ??
    (op.input["~standard"].vendor === "zod"
      ? (z.toJSONSchema(op.input as unknown as z.ZodType, { io: "input", unrepresentable: "any" }) as Record<
          string,
          any
        >)
      : { type: "object", properties: {} })
  );
}

/**
 * The full input JSON Schema every surface shows: the op's own fields plus `instance` (scope
 * "instance") and `confirm` (destructive). Unknown fields are refused (additionalProperties false).
 */
export function inputJsonSchema(op: OperationDefinition): {
  properties: Record<string, any>;
  [k: string]: any;
} {
  const { $schema: _drop, ...schema } = ownInputSchema(op);
  const properties: Record<string, any> = {};
  const required: string[] = [];
  if (op.scope === "instance") {
    properties.instance = {
      anyOf: [
        { type: "integer", minimum: 1 },
        { type: "string", minLength: 1 },
      ],
      description: "The instance: its id or its name",
    };
    required.push("instance");
  }
  Object.assign(properties, schema.properties ?? {});
  required.push(...((schema.required as string[]) ?? []));
  if (op.danger === "destructive") {
    properties.confirm = {
      type: "string",
      description: confirmDescription(confirmHint(op)),
    };
    required.push("confirm");
  } else if (op.guardProduction && op.scope === "instance") {
    properties.confirm = {
      type: "string",
      description:
        typeof op.guardProduction === "function"
          ? "When this call replaces a production instance's data: type the instance's name to confirm (admins only)"
          : "On a production instance: type the instance's name to confirm (admins only)",
    };
  }
  return {
    ...schema,
    type: "object",
    properties,
    ...(required.length ? { required } : {}),
    additionalProperties: false,
  };
}

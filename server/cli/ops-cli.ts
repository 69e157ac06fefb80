import type { Core } from "../core.ts";
import { AppError, toAppError } from "../errors.ts";
import {
  confirmHint,
  type DeclaredOperation,
  inputJsonSchema,
  tagsOf,
  toolName,
} from "../operations/catalog.ts";
import { executeOperation } from "../operations/execute.ts";
import { progressLine } from "../operations/wait.ts";
import type { Principal } from "../sdk/types.ts";
import { inputFromArgs } from "./op-args.ts";

export interface OpIO {
  out(s: string): void;
  err(s: string): void;
}

/** Whoever runs the CLI holds the data directory, hence the store and its key: the local admin. */
export function localPrincipal(prefix: "cli" | "mcp"): Principal {
  return { userId: 0, username: `${prefix}:${process.env.USER ?? "unknown"}`, role: "admin", via: "local" };
}

/**
 * Runs an operation for a core CLI command (`token add`, `server add`…) as the local admin: the
 * executor's checks and audit entry (surface "cli", actor cli:$USER), as the page and REST get.
 */
export async function runAsCli(core: Core, id: string, input: Record<string, unknown>): Promise<unknown> {
  const d = core.catalog.get(id);
  if (!d) throw new AppError("E_INTERNAL", `No operation ${id}`);
  return (await executeOperation(core, d, { principal: localPrincipal("cli"), surface: "cli", input })).data;
}

const typeText = (s: Record<string, any>): string =>
  s.enum
    ? s.enum.join("|")
    : s.anyOf
      ? s.anyOf.map(typeText).join("|")
      : s.type === "array"
        ? `${typeText(s.items ?? {})},…`
        : (s.type ?? "value");

/** `--help` of an operation, generated from its declaration and schema. */
export function opHelp(d: DeclaredOperation): string {
  const { op } = d;
  const schema = inputJsonSchema(op);
  const required = new Set<string>(schema.required ?? []);
  const first = op.scope === "instance" ? " <instance>" : "";
  const rows = Object.entries(schema.properties as Record<string, any>).map(([k, s]) => {
    const bits = [
      typeText(s),
      required.has(k) ? "required" : "",
      s.default !== undefined ? `default ${JSON.stringify(s.default)}` : "",
      s.description ?? "",
    ].filter(Boolean);
    return `  --${k.padEnd(18)} ${bits.join(" · ")}`;
  });
  return [
    `odoodeck op ${op.id}${first} [--field value …] [--json]`,
    `  (also: odoodeck ${op.id.replace(".", " ")}${first} …; MCP tool ${toolName(op.id)})`,
    "",
    `${op.title} — ${op.description}`,
    `Needs ${op.role}${op.scope === "instance" ? " on the instance" : ""} · ${op.danger}${op.longRunning ? " · long-running (prints progress, ends with the result)" : ""} · tags: ${tagsOf(d).join(", ")}`,
    op.danger === "destructive" ? `Destructive: add --confirm with ${confirmHint(op)}.` : "",
    "",
    "Fields:",
    ...(rows.length ? rows : ["  (none)"]),
    "  --json               print the JSON envelope {ok, data | error}",
  ]
    .filter((l, i, all) => l !== "" || all[i - 1] !== "")
    .join("\n");
}

/** `odoodeck op list`: every operation with its role and danger. */
export function opList(core: Core, io: OpIO, json: boolean): number {
  const ops = core.liveOperations();
  if (json) {
    io.out(
      JSON.stringify(
        {
          ok: true,
          data: ops.map((d) => ({
            id: d.op.id,
            title: d.op.title,
            role: d.op.role,
            danger: d.op.danger,
            tags: tagsOf(d),
          })),
        },
        null,
        2,
      ),
    );
    return 0;
  }
  for (const d of ops)
    io.out(`${d.op.id.padEnd(28)} ${d.op.role.padEnd(8)} ${d.op.danger.padEnd(11)} ${d.op.title}`);
  return 0;
}

/**
 * Runs one operation from the command line through the same executor as the API. A long-running
 * one prints progress lines on stderr and ends with its result; `--json` prints the envelope.
 */
export async function runOpCommand(
  core: Core,
  d: DeclaredOperation,
  args: string[],
  io: OpIO,
): Promise<number> {
  let json = args.includes("--json");
  try {
    const parsed = inputFromArgs(args, inputJsonSchema(d.op), d.op.scope === "instance" ? "instance" : null);
    json = parsed.json;
    if (parsed.help) {
      io.out(opHelp(d));
      return 0;
    }
    const abort = new AbortController();
    const onSigint = () => abort.abort();
    process.once("SIGINT", onSigint);
    try {
      const res = await executeOperation(core, d, {
        principal: localPrincipal("cli"),
        surface: "cli",
        input: parsed.input,
        signal: abort.signal,
      });
      let data = res.data;
      if (res.finished) {
        if (!json) io.err(`operation ${res.operationId} started`);
        let last = "";
        const snap = await res.finished((s) => {
          const line = progressLine(s);
          if (line && line !== last && !json) io.err((last = line));
        });
        if (snap.status !== "ok") {
          const e = snap.error ?? { code: "E_CANCELLED", message: `The operation ended ${snap.status}` };
          throw new AppError(e.code as any, e.message, { hint: e.hint });
        }
        data = { ...(res.data as object), operation: snap };
      }
      io.out(json ? JSON.stringify({ ok: true, data }, null, 2) : JSON.stringify(data, null, 2));
      return 0;
    } finally {
      process.off("SIGINT", onSigint);
    }
  } catch (e) {
    if (!json) throw e;
    io.out(JSON.stringify({ ok: false, error: toAppError(e).toJSON() }, null, 2));
    return 1;
  }
}

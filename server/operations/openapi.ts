import type { Hono } from "hono";
import { z } from "zod";
import type { Core } from "../core.ts";
import { allErrorCodes } from "../errors.ts";
import { APP_VERSION } from "../http/assets.ts";
import type { Env, Role } from "../sdk/types.ts";
import { confirmDescription, type DeclaredOperation, inputJsonSchema, tagsOf, toolName } from "./catalog.ts";

/** Summaries of hand-written routes that are not operations (yet). */
export interface RouteDoc {
  method: string;
  path: string;
  summary: string;
  role: Role;
  /**
   * Destructive: the word the caller types to confirm (as confirmHint words it, e.g. "the
   * instance's name"), sent in `?confirm=` or the `X-Confirm-Name` header.
   */
  confirm?: string;
}

/** The parameters of a hand-written route: its path's, and the typed word a destructive one needs. */
function routeParameters(path: string, doc: RouteDoc | undefined): Record<string, unknown>[] {
  const params: Record<string, unknown>[] = [...path.matchAll(/\{([a-zA-Z_]+)\}/g)].map((m) => ({
    name: m[1],
    in: "path",
    required: true,
    schema: { type: "string" },
  }));
  if (doc?.confirm)
    params.push(
      {
        name: "confirm",
        in: "query",
        schema: { type: "string" },
        description: confirmDescription(doc.confirm),
      },
      {
        name: "X-Confirm-Name",
        in: "header",
        schema: { type: "string" },
        description: `Instead of ?confirm=: ${doc.confirm}`,
      },
    );
  return params;
}

const envelope = (data: Record<string, unknown> = {}) => ({
  type: "object",
  properties: { ok: { type: "boolean" }, data, error: { $ref: "#/components/schemas/Error" } },
  required: ["ok"],
});
const jsonContent = (schema: unknown) => ({ "application/json": { schema } });
const errorResponse = { description: "Error", content: jsonContent(envelope()) };

function outputSchema(d: DeclaredOperation): Record<string, unknown> {
  const out = d.op.output;
  if (out?.["~standard"].vendor !== "zod") return {};
  const { $schema: _drop, ...schema } = z.toJSONSchema(out as unknown as z.ZodType, {
    io: "output",
    unrepresentable: "any",
  }) as Record<string, unknown>;
  return schema;
}

/** One OpenAPI operation object for a declared operation (at /ops/<id> or its REST path). */
function operationEntry(d: DeclaredOperation, method: string, viaPath: boolean): Record<string, unknown> {
  const { op } = d;
  const input = inputJsonSchema(op);
  const inPath = viaPath ? [...(op.http?.path.matchAll(/\{([a-zA-Z_]+)\}/g) ?? [])].map((m) => m[1]) : [];
  const parameters = inPath.map((name) => ({
    name,
    in: "path",
    required: true,
    schema: input.properties[name] ?? { type: "string" },
  }));
  const bodyless = method === "get" || method === "delete";
  if (bodyless)
    for (const [name, schema] of Object.entries(input.properties as Record<string, unknown>))
      if (!inPath.includes(name))
        parameters.push({
          name,
          in: "query",
          required: (input.required ?? []).includes(name),
          schema: schema as any,
        });
  const lines = [
    op.description,
    `Needs the ${op.role} role${op.scope === "instance" ? " on the instance" : ""}. Danger: ${op.danger}.`,
    op.longRunning ? "Long-running: answers 202 with operationId (add ?wait=true for the final state)." : "",
    `CLI: odoodeck op ${op.id} --help. MCP tool: ${toolName(op.id)}.`,
  ];
  return {
    operationId: viaPath ? toolName(op.id) : `ops_${toolName(op.id)}`,
    summary: op.title,
    description: lines.filter(Boolean).join("\n\n"),
    tags: tagsOf(d),
    ...(parameters.length ? { parameters } : {}),
    ...(bodyless ? {} : { requestBody: { required: false, content: jsonContent(input) } }),
    "x-odoodeck": {
      role: op.role,
      scope: op.scope,
      danger: op.danger,
      lock: op.lock ?? null,
      longRunning: !!op.longRunning,
    },
    responses: {
      [op.longRunning ? "202" : "200"]: {
        description: "OK",
        content: jsonContent(envelope(outputSchema(d))),
      },
      default: errorResponse,
    },
  };
}

/**
 * The OpenAPI document, generated: every declared operation with its schemas, then every other
 * route the app really serves under /api/v1 (core and plugins), summarised from `docs` when a
 * summary exists. Nothing can drop out, since the list is read from the router itself.
 */
export function openApiDocument(core: Core, app: Hono<Env>, docs: RouteDoc[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  // `/instances/{id}` and `/instances/{instance}` are one path to OpenAPI: keep the first spelling.
  const shape = (p: string) => p.replace(/\{[^}]+\}/g, "{}");
  const keyOf = (spelled: string) => Object.keys(paths).find((k) => shape(k) === shape(spelled)) ?? spelled;
  const put = (spelled: string, method: string, entry: Record<string, unknown>) => {
    const path = keyOf(spelled);
    paths[path] ??= {};
    paths[path][method] ??= entry;
  };
  for (const d of core.liveOperations()) {
    put(`/api/v1/ops/${d.op.id}`, "post", operationEntry(d, "post", false));
    if (d.op.http)
      put(
        `/api/v1${d.op.http.path}`,
        d.op.http.method.toLowerCase(),
        operationEntry(d, d.op.http.method.toLowerCase(), true),
      );
  }
  for (const r of app.routes) {
    if (!r.path.startsWith("/api/v1/") || r.path.includes("*") || r.method === "ALL") continue;
    const path = r.path.replace(/:([a-zA-Z_]+)/g, "{$1}");
    if (path === "/api/v1/ops/{id}") continue;
    const method = r.method.toLowerCase();
    const doc = docs.find((x) => `/api/v1${x.path}` === path && x.method === method);
    const plugin = core.host.records.find((p) => path.startsWith(`/api/v1/${p.id}/`));
    const parameters = routeParameters(keyOf(path), doc);
    put(path, method, {
      summary:
        doc?.summary ??
        (plugin
          ? `${plugin.name}: ${method.toUpperCase()} ${path.slice(8)}`
          : `${method.toUpperCase()} ${path}`),
      ...(doc
        ? {
            description: [
              `Needs the ${doc.role} role.`,
              doc.confirm ? `Destructive: ${doc.confirm} in ?confirm= or X-Confirm-Name.` : "",
            ]
              .filter(Boolean)
              .join(" "),
          }
        : {}),
      tags: [plugin?.id ?? "core"],
      ...(parameters.length ? { parameters } : {}),
      ...(doc?.confirm ? { "x-odoodeck": { role: doc.role, danger: "destructive" } } : {}),
      responses: { "200": { description: "OK", content: jsonContent(envelope()) }, default: errorResponse },
    });
  }
  return {
    openapi: "3.1.0",
    info: { title: "odoodeck API", version: APP_VERSION },
    servers: [{ url: core.config.publicUrl ?? "/" }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        Error: {
          type: "object",
          properties: {
            code: { type: "string", enum: allErrorCodes() },
            message: { type: "string" },
            hint: { type: "string" },
          },
          required: ["code", "message"],
        },
      },
    },
    paths,
  };
}

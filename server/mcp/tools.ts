import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  ListToolsRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { roleAtLeast } from "../auth/roles.ts";
import type { Core } from "../core.ts";
import { AppError, toAppError } from "../errors.ts";
import { APP_VERSION } from "../http/assets.ts";
import { type DeclaredOperation, inputJsonSchema, tagsOf, toolName } from "../operations/catalog.ts";
import { executeOperation } from "../operations/execute.ts";
import { progressLine, progressOf } from "../operations/wait.ts";
import type { Principal } from "../sdk/types.ts";

/** The tools of a preset (any tag matches; null: all). Calls outside it are unknown tools. */
export function presetTools(core: Core, preset: string[] | null): DeclaredOperation[] {
  return core.liveOperations().filter((d) => !preset || tagsOf(d).some((t) => preset.includes(t)));
}

/**
 * What tools/list shows: the preset's tools the caller may use. One above the caller's role, or
 * destructive for a token without that right, is not listed (clients do badly with long lists)
 * but still callable, so it is refused by the executor exactly as on REST (E_FORBIDDEN).
 */
function listedTools(core: Core, p: Principal, preset: string[] | null): DeclaredOperation[] {
  return presetTools(core, preset)
    .filter((d) => d.op.role === "signed-in" || roleAtLeast(p.role, d.op.role))
    .filter((d) => d.op.danger !== "destructive" || p.allowDestructive !== false);
}

/** The preset asked for (`?tools=` / `--tools`) within the token's own (a token's is a ceiling). */
export function presetOf(
  asked: string | undefined | null,
  tokenTools: string[] | null | undefined,
): string[] | null {
  const wanted = asked
    ? asked
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean)
    : null;
  if (!tokenTools) return wanted;
  return wanted ? wanted.filter((t) => tokenTools.includes(t)) : tokenTools;
}

const envelopeResult = (
  body: { ok: boolean; data?: unknown; error?: unknown },
  isError = false,
): CallToolResult => ({
  content: [{ type: "text", text: JSON.stringify(body) }],
  structuredContent: body as Record<string, unknown>,
  ...(isError ? { isError: true } : {}),
});

/**
 * An MCP server whose tools are the declared operations, run by the one executor. A long-running
 * tool waits for its operation and sends notifications/progress when the client gave a token.
 */
export function createMcpServer(core: Core, p: Principal, preset: string[] | null): Server {
  const server = new Server(
    { name: "odoodeck", version: APP_VERSION },
    {
      capabilities: { tools: {} },
      instructions:
        "odoodeck manages Odoo instances. Tools answer {ok, data} or {ok:false, error:{code,message,hint}}. Instance tools take `instance` (id or name); destructive ones need `confirm`.",
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: listedTools(core, p, preset).map((d) => ({
      name: toolName(d.op.id),
      title: d.op.title,
      description: `${d.op.description} (needs ${d.op.role}; ${d.op.danger}${d.op.longRunning ? "; long-running" : ""})`,
      inputSchema: inputJsonSchema(d.op),
      annotations: {
        title: d.op.title,
        readOnlyHint: d.op.danger === "safe",
        destructiveHint: d.op.danger === "destructive",
        openWorldHint: false,
      },
    })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    try {
      const d = presetTools(core, preset).find((x) => toolName(x.op.id) === req.params.name);
      if (!d)
        throw new AppError("E_NOT_FOUND", `No tool ${req.params.name} in this session`, {
          hint: "tools/list shows the tools of this token and preset",
        });
      const res = await executeOperation(core, d, {
        principal: p,
        surface: "mcp",
        input: req.params.arguments ?? {},
        signal: extra.signal,
      });
      if (!res.finished) return envelopeResult({ ok: true, data: res.data });
      const token = req.params._meta?.progressToken;
      const snap = await res.finished((s) => {
        if (token === undefined) return;
        extra
          .sendNotification({
            method: "notifications/progress",
            params: { progressToken: token, ...progressOf(s), message: progressLine(s) || s.title },
          })
          .catch(() => {}); // a client that went away does not fail the operation
      });
      if (snap.status !== "ok")
        return envelopeResult(
          {
            ok: false,
            error: snap.error ?? { code: "E_CANCELLED", message: `The operation ended ${snap.status}` },
          },
          true,
        );
      return envelopeResult({ ok: true, data: { ...(res.data as object), operation: snap } });
    } catch (e) {
      return envelopeResult({ ok: false, error: toAppError(e).toJSON() }, true);
    }
  });
  return server;
}

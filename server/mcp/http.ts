import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { Hono } from "hono";
import type { Config } from "../config.ts";
import type { Core } from "../core.ts";
import { AppError } from "../errors.ts";
import type { AppContext, Env } from "../sdk/types.ts";
import { createMcpServer, presetOf } from "./tools.ts";

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** Host names this odoodeck answers to: loopback, the address it listens on, its public URL's. */
function allowedHosts(config: Config): Set<string> {
  const hosts = new Set(LOOPBACK);
  if (!["0.0.0.0", "::", ""].includes(config.host)) hosts.add(config.host.toLowerCase());
  if (config.publicUrl) hosts.add(new URL(config.publicUrl).hostname.toLowerCase());
  return hosts;
}

const hostnameOf = (hostHeader: string) => {
  try {
    return new URL(`http://${hostHeader}`).hostname.toLowerCase();
  } catch {
    return "";
  }
};

/**
 * DNS rebinding and cross-site calls: the Host must be one of ours, and a browser's Origin, when
 * sent, must name one of ours too.
 */
function checkHostAndOrigin(c: AppContext, config: Config): void {
  const hosts = allowedHosts(config);
  if (!hosts.has(hostnameOf(c.req.header("Host") ?? "")))
    throw new AppError("E_FORBIDDEN", "This host name is not one odoodeck answers MCP on", {
      hint: "Connect through the public_url or a loopback address",
    });
  const origin = c.req.header("Origin");
  if (origin && !hosts.has(hostnameOf(URL.canParse(origin) ? new URL(origin).host : "")))
    throw new AppError("E_FORBIDDEN", `Requests from ${origin} may not use MCP`, {
      hint: "MCP clients connect directly, not from a web page",
    });
}

/**
 * `/mcp`: MCP over streamable HTTP, stateless (a fresh server per request, so nothing is kept
 * between calls), authenticated by API token only — a session cookie is ambient and would let
 * any page the user visits drive the tools.
 */
export function mcpRoutes(core: Core): Hono<Env> {
  const app = new Hono<Env>();
  app.all("/mcp", async (c) => {
    checkHostAndOrigin(c, core.config);
    const p = c.get("principal");
    if (p?.via !== "token")
      throw new AppError("E_UNAUTHENTICATED", "MCP needs an API token", {
        hint: "Send Authorization: Bearer <token> (create one on the API tokens page)",
      });
    const server = createMcpServer(core, p, presetOf(c.req.query("tools"), p.tools));
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    await server.connect(transport);
    return transport.handleRequest(c.req.raw);
  });
  return app;
}

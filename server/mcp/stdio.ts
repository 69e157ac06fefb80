import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { localPrincipal } from "../cli/ops-cli.ts";
import type { Core } from "../core.ts";
import { createMcpServer, presetOf } from "./tools.ts";

/**
 * `odoodeck mcp`: MCP over stdio as the local admin (whoever can start it holds the data
 * directory). Answers until the client closes stdin. Logs go to stderr; stdout is the protocol.
 */
export async function serveMcpStdio(core: Core, flags: Record<string, string | boolean>): Promise<number> {
  const principal = localPrincipal("mcp");
  if (flags["no-destructive"]) principal.allowDestructive = false;
  const server = createMcpServer(
    core,
    principal,
    presetOf(typeof flags.tools === "string" ? flags.tools : null, null),
  );
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
    process.stdin.once("end", () => resolve());
  });
  await server.connect(transport);
  await closed;
  await server.close().catch(() => {});
  return 0;
}

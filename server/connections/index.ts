/** Builds the connection a server row describes. */
import { LocalConnection } from "./local.ts";
import { SshConnection } from "./ssh.ts";
import type { Connection, SshConnectionConfig } from "./types.ts";

export type ConnectionSpec = { kind: "local" } | ({ kind: "ssh" } & SshConnectionConfig);

export function createConnection(spec: ConnectionSpec): Connection {
  if (spec.kind === "local") return new LocalConnection();
  const { kind: _kind, ...cfg } = spec;
  return new SshConnection(cfg);
}

export { LocalConnection, SshConnection };
export type { Connection, SshConnectionConfig };

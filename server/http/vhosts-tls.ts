/**
 * One HTTPS listener of the virtual hosts: the certificate a plugin was given, served by SNI for
 * its names (wildcards such as `*.preview.example.com` included), plus any extra certificate for
 * its own name (one per preview from an ACME CA), on a port of its own.
 */
import type { Server } from "bun";
import { AppError } from "../errors.ts";
import type { VirtualHostsTls } from "../sdk/types.ts";

type ServeOptions = Omit<Parameters<typeof Bun.serve>[0], "tls" | "port" | "hostname">;

export class TlsListener {
  #server: Server<unknown> | null = null;
  #closed = false;
  #settle!: { resolve(v: { port: number }): void; reject(e: unknown): void };
  /** Settles when the listener is open (or could not open). */
  readonly ready: Promise<{ port: number }>;

  constructor(readonly spec: VirtualHostsTls) {
    this.ready = new Promise((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    // Nobody may await it (a plugin's start() fires and forgets): no unhandled rejection then.
    this.ready.catch(() => {});
  }

  open(options: object, hostname: string): void {
    if (this.#closed || this.#server) return;
    const { spec } = this;
    const names = spec.serverNames.length ? spec.serverNames : [undefined];
    try {
      this.#server = Bun.serve({
        ...(options as ServeOptions),
        hostname: spec.hostname ?? hostname,
        port: spec.port,
        idleTimeout: 0,
        tls: [
          ...names.map((serverName) => ({ cert: spec.cert, key: spec.key, serverName })),
          ...(spec.extra ?? []),
        ],
      } as Parameters<typeof Bun.serve>[0]) as Server<unknown>;
      this.#settle.resolve({ port: this.#server.port ?? spec.port });
    } catch (e) {
      this.#settle.reject(listenError(e, spec));
    }
  }

  close(): void {
    this.#closed = true;
    this.#server?.stop(true);
    this.#server = null;
  }
}

function listenError(e: unknown, spec: VirtualHostsTls): AppError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE")
    return new AppError("E_CONFIG", `Port ${spec.port} is already in use for HTTPS`, {
      hint: "Pick another HTTPS port for the previews",
    });
  return new AppError("E_CONFIG", `HTTPS could not start: ${(e as Error).message}`, {
    hint: "Check that the certificate and key are PEM files that belong together",
  });
}

/** A folder on a registered server, reached through its Connection (local or SSH). */
import type { Connection } from "../../../server/sdk/index.ts";
import { AppError } from "../../../server/sdk/index.ts";
import { checkRel, type Destination } from "./types.ts";

export class ServerDestination implements Destination {
  readonly kind = "server" as const;
  readonly atomicObjects = false;
  constructor(
    readonly conn: Connection,
    readonly root: string,
    readonly id: string,
  ) {}

  get label() {
    return `${this.conn.label}:${this.root}`;
  }

  #abs(rel: string) {
    return `${this.root.replace(/\/+$/, "")}/${checkRel(rel)}`;
  }

  async write(rel: string, data: ReadableStream<Uint8Array>, signal?: AbortSignal): Promise<void> {
    const path = this.#abs(rel);
    await this.conn.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true, mode: 0o700 });
    await this.conn.writeFile(path, data, { atomic: false, mode: 0o600, signal });
    // `sync FILE` (coreutils) flushes that file to disk before we call it written.
    const r = await this.conn.exec(["sync", path], { timeoutMs: 600_000 });
    if (r.code !== 0)
      throw new AppError("E_COMMAND_FAILED", `Could not sync ${path} on ${this.conn.label}`, {
        hint: r.stderr.trim(),
      });
  }

  read(rel: string): ReadableStream<Uint8Array> {
    return this.conn.readFile(this.#abs(rel));
  }

  async size(rel: string): Promise<number | null> {
    return (await this.conn.stat(this.#abs(rel)))?.size ?? null;
  }

  async rename(from: string, to: string): Promise<void> {
    if (await this.conn.stat(this.#abs(to)))
      throw new AppError("E_CONFLICT", `A backup named ${to} already exists`);
    await this.conn.rename(this.#abs(from), this.#abs(to));
  }

  async remove(rel: string): Promise<void> {
    await this.conn.remove(this.#abs(rel), { recursive: true });
  }

  async list(): Promise<string[]> {
    if (!(await this.conn.stat(this.root))) return [];
    return (await this.conn.list(this.root)).map((s) => s.name);
  }

  where(rel: string): string {
    return `${this.conn.label}:${this.#abs(rel)}`;
  }
}

/**
 * A plugin's static files (ctx.assets), served at /assets/p/<plugin id>/<name>. Either a folder on
 * disk (an external plugin, or a built-in while developing) or a map of embedded files: a text
 * import (`with { type: "text" }`) or `Bun.file()` of a file import (`with { type: "file" }`),
 * both of which `bun build --compile` puts inside the binary.
 */
import { readFileSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import type { Context } from "hono";
import { AppError } from "../errors.ts";

export type AssetSource = string | Record<string, string | Blob>;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,200}$/;
const IMMUTABLE = "public, max-age=31536000, immutable";

const notFound = (name: string) =>
  new AppError("E_NOT_FOUND", `No asset named ${name}`, { hint: "Check the plugin's asset URL" });

/** A MIME type from the name's extension (Bun knows the table). */
const typeOf = (name: string) => Bun.file(name).type || "application/octet-stream";

export class PluginAssets {
  readonly #versions = new Map<string, string>();

  constructor(
    readonly pluginId: string,
    readonly source: AssetSource,
  ) {}

  /**
   * The URL of one asset with its content hash as `?v=`: a changed file gets a new URL, so the
   * browser may keep each version for a year.
   */
  url(name: string): string {
    return `/assets/p/${this.pluginId}/${name}?v=${this.#version(name)}`;
  }

  #version(name: string): string {
    let v = this.#versions.get(name);
    if (!v) {
      v = Bun.hash(this.#bytesSync(name)).toString(36).slice(0, 10);
      // A folder may change while developing; embedded files cannot.
      if (typeof this.source !== "string") this.#versions.set(name, v);
    }
    return v;
  }

  /** The file of `name` inside the folder, or null: `..`, absolute names and symlinks out are refused. */
  #inFolder(name: string): string | null {
    if (typeof this.source !== "string" || !NAME.test(name)) return null;
    const root = realpathSync(this.source);
    let path: string;
    try {
      path = realpathSync(resolve(root, name));
    } catch {
      return null;
    }
    const rel = relative(root, path);
    if (!rel || rel.startsWith("..") || isAbsolute(rel) || !statSync(path).isFile()) return null;
    return path;
  }

  #bytesSync(name: string): Uint8Array {
    if (typeof this.source === "string") {
      const path = this.#inFolder(name);
      if (!path) throw notFound(name);
      return readFileSync(path);
    }
    const entry = Object.hasOwn(this.source, name) ? this.source[name] : undefined;
    if (entry === undefined) throw notFound(name);
    if (typeof entry === "string") return new TextEncoder().encode(entry);
    // A Bun.file Blob: its name is a path, embedded ($bunfs) in the compiled binary.
    const path = (entry as Blob & { name?: string }).name;
    if (!path) throw notFound(name);
    return readFileSync(path);
  }

  /** Answers one asset: 304 when the browser has it, immutable when asked with the current `?v=`. */
  respond(c: Context, name: string): Response {
    let body: Uint8Array;
    try {
      body = this.#bytesSync(name);
    } catch {
      throw notFound(name);
    }
    const version = Bun.hash(body).toString(36).slice(0, 10);
    const etag = `"${version}"`;
    const headers: Record<string, string> = {
      "Content-Type": typeOf(name),
      ETag: etag,
      "Cache-Control": c.req.query("v") === version ? IMMUTABLE : "no-cache",
      "X-Content-Type-Options": "nosniff",
    };
    if (c.req.header("if-none-match") === etag) return new Response(null, { status: 304, headers });
    return new Response(body as Uint8Array<ArrayBuffer>, { status: 200, headers });
  }
}

/** /assets/p/<plugin>/<name…>: public like the core's assets (no secrets in static files). */
export function mountPluginAssets(
  app: { get: (path: string, h: (c: Context) => Response) => unknown },
  find: (id: string) => { assets?: PluginAssets } | undefined,
): void {
  app.get("/assets/p/:plugin/*", (c) => {
    const id = c.req.param("plugin") ?? "";
    const assets = find(id)?.assets;
    const name = decodeURIComponent(c.req.path.slice(`/assets/p/${id}/`.length));
    if (!assets) throw notFound(name);
    return assets.respond(c, name);
  });
}

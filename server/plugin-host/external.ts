import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import * as hono from "hono";
import * as honoHtml from "hono/html";
import * as honoJsx from "hono/jsx";
import * as honoJsxRuntime from "hono/jsx/jsx-runtime";
import * as sdk from "../sdk/index.ts";

let installed = false;

/**
 * Third-party plugins live outside the binary, so `odoodeck/sdk` and `hono` cannot resolve from a
 * node_modules. Virtual modules hand them the very instances the core uses (one Hono, one SDK).
 */
export function installVirtualModules(): void {
  if (installed) return;
  installed = true;
  const modules: Record<string, object> = {
    "odoodeck/sdk": sdk,
    hono,
    "hono/html": honoHtml,
    "hono/jsx": honoJsx,
    "hono/jsx/jsx-runtime": honoJsxRuntime,
    "hono/jsx/jsx-dev-runtime": honoJsxRuntime,
  };
  Bun.plugin({
    name: "odoodeck-virtual-modules",
    setup(build) {
      for (const [name, exports] of Object.entries(modules))
        build.module(name, () => ({ exports: exports as any, loader: "object" }));
    },
  });
}

export interface ExternalCandidate {
  dir: string;
  folder: string;
  entry: string | null;
}

/** Folders of <data>/plugins, each expected to hold index.js or index.ts. */
export function findExternalPlugins(pluginsDir: string): ExternalCandidate[] {
  if (!existsSync(pluginsDir)) return [];
  return readdirSync(pluginsDir)
    .filter((f) => !f.startsWith(".") && statSync(join(pluginsDir, f)).isDirectory())
    .sort()
    .map((folder) => {
      const dir = join(pluginsDir, folder);
      const entry =
        ["index.js", "index.ts", "index.mjs"].map((f) => join(dir, f)).find((p) => existsSync(p)) ?? null;
      return { dir, folder, entry };
    });
}

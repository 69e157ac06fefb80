import { Hono } from "hono";
import { migrateOwner } from "../db/migrate.ts";
import { AppError } from "../errors.ts";
import { createLogger } from "../log.ts";
import { SDK_VERSION } from "../sdk/index.ts";
import {
  CAPABILITIES,
  type Capability,
  type Env,
  type PluginContext,
  type PluginDefinition,
} from "../sdk/types.ts";
import type { PluginAssets } from "../http/plugin-assets.ts";
import { type CodeScan, scanPluginCode } from "./code-scan.ts";
import { sdkSatisfies } from "./sdk-compat.ts";
import { findExternalPlugins, installVirtualModules } from "./external.ts";
import type { CoreDb } from "../db/schema.ts";

const log = createLogger("plugins");
const ID = /^[a-z][a-z0-9-]{1,40}$/;

export type PluginStatus = "loaded" | "registered" | "started" | "disabled";

export interface PluginRecord {
  id: string;
  name: string;
  version: string;
  source: "builtin" | "external";
  path: string | null;
  status: PluginStatus;
  reason: string | null;
  def: PluginDefinition<any, any> | null;
  ctx: PluginContext<any> | null;
  pages: Hono<Env> | null;
  api: Hono<Env> | null;
  /** Routes at /pub/<id> that answer without sign-in (the plugin checks access itself). */
  publicApp: Hono<Env> | null;
  /** What the plugin declares it reaches for beyond ctx. */
  capabilities: Capability[];
  /** What its code was found to use (third-party plugins only; built-ins are part of odoodeck). */
  scan: CodeScan | null;
  /** What register() returned, handed to start() and stop(). */
  state?: unknown;
  /** Its static files (ctx.assets), served at /assets/p/<id>/. */
  assets?: PluginAssets;
}

/** The host gets everything else from the core through this factory. */
export type ContextFactory = (rec: PluginRecord) => PluginContext<any>;

function validate(def: unknown): string | null {
  const d = def as PluginDefinition;
  if (!d || typeof d !== "object") return "the module has no default export made with definePlugin()";
  if (typeof d.id !== "string" || !ID.test(d.id))
    return `invalid id ${JSON.stringify(d.id)} (lowercase letters, digits, dashes)`;
  if (typeof d.name !== "string" || !d.name) return "missing name";
  if (typeof d.version !== "string") return "missing version";
  if (typeof d.register !== "function") return "missing register(ctx)";
  if (typeof d.sdk !== "string") return 'missing sdk range (e.g. "^1")';
  if (!sdkSatisfies(d.sdk)) return `needs SDK ${d.sdk}, this odoodeck provides ${SDK_VERSION}`;
  const caps = d.capabilities;
  if (caps !== undefined && (!Array.isArray(caps) || caps.some((c) => !CAPABILITIES.includes(c))))
    return `capabilities must be some of ${CAPABILITIES.join(", ")} (got ${JSON.stringify(d.capabilities)})`;
  return null;
}

export class PluginHost {
  readonly records: PluginRecord[] = [];

  /** Reads built-ins and <data>/plugins; a broken plugin becomes a disabled record with its reason. */
  async load(builtins: PluginDefinition<any>[], externalDir: string | null): Promise<void> {
    for (const def of builtins) this.#add(def, "builtin", null);
    if (!externalDir) return;
    installVirtualModules();
    for (const cand of findExternalPlugins(externalDir)) {
      if (!cand.entry) {
        this.#disabled(cand.folder, "external", cand.dir, "no index.js or index.ts in the folder");
        continue;
      }
      // Scanned before it runs, so even a plugin that fails to load shows what it reaches for.
      const scan = scanPluginCode(cand.dir);
      try {
        const mod = await import(cand.entry);
        this.#add(mod.default, "external", cand.entry, cand.folder);
      } catch (e) {
        this.#disabled(
          cand.folder,
          "external",
          cand.entry,
          `failed to load: ${(e as Error)?.message ?? String(e)}`,
        );
      }
      this.records.at(-1)!.scan = scan; // #add and #disabled each push exactly one record
    }
    this.#resolveDependencies();
  }

  #add(def: PluginDefinition<any>, source: "builtin" | "external", path: string | null, folder?: string) {
    const problem = validate(def);
    const id = (def as PluginDefinition)?.id ?? folder ?? "?";
    if (problem) return this.#disabled(String(id), source, path, problem);
    if (folder && folder !== def.id)
      return this.#disabled(
        folder,
        source,
        path,
        `folder name "${folder}" differs from plugin id "${def.id}"`,
      );
    if (this.records.some((r) => r.id === def.id))
      return this.#disabled(def.id, source, path, `another plugin already has the id "${def.id}"`);
    this.records.push({
      id: def.id,
      name: def.name,
      version: def.version,
      source,
      path,
      status: "loaded",
      reason: null,
      def,
      ctx: null,
      pages: null,
      api: null,
      publicApp: null,
      capabilities: [...(def.capabilities ?? [])],
      scan: null,
    });
  }

  #disabled(id: string, source: "builtin" | "external", path: string | null, reason: string) {
    log.warn(`plugin ${id} disabled: ${reason}`);
    this.records.push({
      id,
      name: id,
      version: "?",
      source,
      path,
      status: "disabled",
      reason,
      def: null,
      ctx: null,
      pages: null,
      api: null,
      publicApp: null,
      capabilities: [],
      scan: null,
    });
  }

  /** Disables plugins with missing or disabled dependencies (transitively) and orders the rest. */
  #resolveDependencies() {
    let changed = true;
    while (changed) {
      changed = false;
      for (const r of this.records) {
        if (r.status === "disabled") continue;
        for (const dep of r.def!.dependsOn ?? []) {
          const d = this.records.find((x) => x.id === dep);
          if (!d || d.status === "disabled") {
            this.#disable(r, d ? `dependency "${dep}" is disabled` : `missing dependency "${dep}"`);
            changed = true;
            break;
          }
        }
      }
    }
    // Topological order (dependencies first); a cycle disables its members.
    const ordered: PluginRecord[] = [];
    const state = new Map<string, "visiting" | "done">();
    const visit = (r: PluginRecord, path: string[]): boolean => {
      if (state.get(r.id) === "done") return true;
      if (state.get(r.id) === "visiting") {
        this.#disable(r, `dependency cycle: ${[...path, r.id].join(" → ")}`);
        return false;
      }
      state.set(r.id, "visiting");
      for (const dep of r.def!.dependsOn ?? []) {
        const d = this.records.find((x) => x.id === dep)!;
        if (!visit(d, [...path, r.id])) {
          this.#disable(r, `dependency "${dep}" could not be loaded`);
          state.set(r.id, "done");
          return false;
        }
      }
      state.set(r.id, "done");
      ordered.push(r);
      return true;
    };
    for (const r of this.records.filter((x) => x.status !== "disabled")) visit(r, []);
    const disabled = this.records.filter((r) => r.status === "disabled");
    this.records.splice(
      0,
      this.records.length,
      ...ordered.filter((r) => r.status !== "disabled"),
      ...disabled,
    );
  }

  #disable(r: PluginRecord, reason: string) {
    if (r.status === "disabled") return;
    log.warn(`plugin ${r.id} disabled: ${reason}`);
    r.status = "disabled";
    r.reason = reason;
  }

  /** Calls every register(ctx). Declarations only: a throw disables that plugin and its dependants. */
  registerAll(makeContext: ContextFactory): void {
    for (const r of this.active()) {
      try {
        r.ctx = makeContext(r);
        r.state = r.def!.register(r.ctx);
        r.status = "registered";
      } catch (e) {
        this.#disable(r, `register() threw: ${(e as Error)?.message ?? String(e)}`);
        this.#cascade(r.id);
      }
    }
  }

  /** Runs each plugin's migrations then start(); failures disable the plugin and its dependants. */
  async startAll(db: CoreDb): Promise<void> {
    for (const r of this.active()) {
      try {
        if (r.def!.migrations && Object.keys(r.def!.migrations).length)
          await migrateOwner(r.ctx!.db ?? db, r.id, r.def!.migrations);
        await r.def!.start?.(r.ctx!, r.state);
        r.status = "started";
        r.ctx!.events.emit("plugin.started", { id: r.id });
      } catch (e) {
        this.#disable(r, `start() failed: ${(e as Error)?.message ?? String(e)}`);
        this.#cascade(r.id);
      }
    }
  }

  async stopAll(): Promise<void> {
    for (const r of [...this.records].reverse()) {
      if (r.status !== "started") continue;
      try {
        await r.def!.stop?.(r.ctx!, r.state);
      } catch (e) {
        log.error(`plugin ${r.id} stop() failed`, { error: String(e) });
      }
      r.status = "registered";
    }
  }

  #cascade(id: string) {
    for (const r of this.records)
      if (r.status !== "disabled" && (r.def?.dependsOn ?? []).includes(id)) {
        this.#disable(r, `dependency "${id}" is disabled`);
        this.#cascade(r.id);
      }
  }

  active(): PluginRecord[] {
    return this.records.filter((r) => r.status !== "disabled");
  }

  get(id: string): PluginRecord | undefined {
    return this.records.find((r) => r.id === id);
  }

  /** A sub-app that answers 503 while its plugin is not started (e.g. start() failed). */
  static guard(rec: PluginRecord, app: Hono<Env>): Hono<Env> {
    const outer = new Hono<Env>();
    outer.use("*", async (_c, next) => {
      if (rec.status !== "started")
        throw new AppError("E_PLUGIN", `The ${rec.name} plugin is not running`, {
          hint: rec.reason ?? "See the Plugins page",
        });
      await next();
    });
    outer.route("/", app);
    return outer;
  }
}

import { accessSync, constants, mkdirSync } from "node:fs";
import { join } from "node:path";
import { coreMigrations } from "../migrations/index.ts";
import { recordAudit } from "./auth/audit.ts";
import { LoginLimiter } from "./auth/rate-limit.ts";
import { roleAtLeast } from "./auth/roles.ts";
import { Sessions } from "./auth/sessions.ts";
import type { Config } from "./config.ts";
import { migrateOwner } from "./db/migrate.ts";
import { openStore, type Store } from "./db/open.ts";
import { AppError, type ErrorCode, registerErrorCode } from "./errors.ts";
import { TypedBus } from "./events/bus.ts";
import { Registry } from "./instances/registry.ts";
import { clientIp } from "./http/client-ip.ts";
import { renderPage } from "./http/render.tsx";
import { createLogger, setLogLevel } from "./log.ts";
import { type DeclaredOperation, OperationCatalog } from "./operations/catalog.ts";
import { declareCoreOperations } from "./operations/core-ops.ts";
import { Operations } from "./operations/runner.ts";
import { invokeOperation } from "./operations/rest.ts";
import { releaseStaleLocks } from "./operations/locks.ts";
import { waitForOperation } from "./operations/wait.ts";
import { type PluginRecord, PluginHost } from "./plugin-host/host.ts";
import { readSettings } from "./plugin-host/settings.ts";
import { TableGuardPlugin } from "./plugin-host/table-guard.ts";
import { type AuditActor, audited } from "./sdk/audited.ts";
import { PluginAssets } from "./http/plugin-assets.ts";
import type {
  AuditApi,
  AuditEntry,
  CardSpec,
  NavEntry,
  OperationResultSpec,
  PluginContext,
  PluginDefinition,
  Principal,
  Role,
  ServiceRef,
} from "./sdk/types.ts";
import { Runtimes } from "./runtime/runtimes.ts";
import { VirtualHosts } from "./http/vhosts.ts";
import { lifecycleCard } from "./runtime/runtime-view.tsx";
import { Scheduler } from "./scheduler/scheduler.ts";
import { SecretBox } from "./secrets.ts";
import type { Kysely } from "kysely";
import type { CoreDb } from "./db/schema.ts";

const log = createLogger("core");

/**
 * Everything the core owns, created once per process. `open` does the I/O (data dir, store,
 * migrations); `buildApp` (app.ts) only wires routes around an opened core.
 */
export class Core {
  readonly bus = new TypedBus();
  readonly host = new PluginHost();
  readonly cards: Array<CardSpec & { plugin: string }> = [];
  readonly operationViews: Array<OperationResultSpec & { plugin: string }> = [];
  readonly services = new Map<string, unknown>();
  /** Declared operations: what REST, OpenAPI, the CLI and MCP are generated from. */
  readonly catalog = new OperationCatalog();
  readonly sessions: Sessions;
  readonly operations: Operations;
  readonly scheduler: Scheduler;
  readonly registry: Registry;
  readonly limiter: LoginLimiter;
  readonly runtimes: Runtimes;
  /** Host names plugins serve themselves (previews); see http/vhosts.ts. */
  readonly vhosts = new VirtualHosts();
  readonly startedAt = Date.now();
  ready = false;

  private constructor(
    readonly config: Config,
    readonly store: Store,
    readonly secrets: SecretBox,
  ) {
    this.sessions = new Sessions(store.db, secrets.derive("session-cookie"), config.sessionTtlHours);
    this.operations = new Operations(store.db, this.bus);
    this.scheduler = new Scheduler(store.db, this.bus);
    this.registry = new Registry(store.db, secrets);
    this.limiter = new LoginLimiter(store.db);
    declareCoreOperations(this);
    this.runtimes = new Runtimes(this.bus);
    this.cards.push({ ...lifecycleCard(this.runtimes), plugin: "core" });
  }

  /** The core's operations and those of started plugins (a disabled plugin's are not served). */
  liveOperations(): DeclaredOperation[] {
    return this.catalog
      .list()
      .filter((d) => d.owner === "core" || this.host.get(d.owner)?.status === "started");
  }

  get db(): CoreDb {
    return this.store.db;
  }

  static async open(config: Config): Promise<Core> {
    setLogLevel(config.logLevel);
    try {
      mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
      accessSync(config.dataDir, constants.W_OK);
    } catch (e) {
      throw new AppError(
        "E_CONFIG",
        `The data directory ${config.dataDir} is not writable (${(e as NodeJS.ErrnoException).code ?? e})`,
        {
          hint: "Pick another one with --data DIR, or fix its owner/permissions",
        },
      );
    }
    const secrets = SecretBox.load(config.dataDir);
    const store = openStore(join(config.dataDir, "odoodeck.db"));
    await migrateOwner(store.db, "core", coreMigrations);
    return new Core(config, store, secrets);
  }

  /**
   * Loads, registers, migrates and starts plugins, then the scheduler (not for a CLI command: the
   * server beside it runs the schedules, and a second runner would start every job twice).
   * Sets `ready`.
   */
  /**
   * "serve": the long-running server (schedules run, plugins may listen); "cli": a one-shot command
   * beside it, which must not run schedules or open listeners the server owns.
   */
  mode: "serve" | "cli" = "serve";

  async startPlugins(
    builtins: PluginDefinition<any>[],
    opts: { mode?: "serve" | "cli" } = {},
  ): Promise<void> {
    this.mode = opts.mode ?? "serve";
    const interrupted = await this.operations.markInterrupted();
    const locks = await releaseStaleLocks(this.db);
    if (interrupted || locks)
      log.warn(
        `recovered after a crash: ${interrupted} operation(s) of stopped processes marked interrupted, ${locks} lock(s) released`,
      );
    await this.host.load(builtins, this.config.loadPlugins ? join(this.config.dataDir, "plugins") : null);
    this.host.registerAll((rec) => this.#context(rec));
    await this.host.startAll(this.db);
    if (this.mode === "serve") await this.scheduler.start();
    this.ready = true;
  }

  async shutdown(): Promise<void> {
    this.ready = false;
    this.scheduler.stop();
    this.operations.cancelAll();
    await this.host.stopAll();
    this.vhosts.closeTls();
    // Managed Odoos live and die with odoodeck (previews, restore tests): none outlives it.
    await this.runtimes.stopAll();
    await this.registry.closeAll();
    await this.store.close();
  }

  /** Global role, or the per-instance grant when higher. */
  async can(p: Principal | null, role: Role, instanceId?: number | null): Promise<boolean> {
    if (!p) return false;
    // A token scoped to some instances acts as if the others did not exist.
    if (p.instances && instanceId != null && !p.instances.includes(instanceId)) return false;
    if (roleAtLeast(p.role, role)) return true;
    if (instanceId == null || p.via === "token") return false;
    const g = await this.db
      .selectFrom("grants")
      .select("role")
      .where("user_id", "=", p.userId)
      .where("instance_id", "=", instanceId)
      .executeTakeFirst();
    return !!g && roleAtLeast(g.role, role);
  }

  async requireRole(p: Principal | null, role: Role, instanceId?: number | null): Promise<Principal> {
    if (!p) throw new AppError("E_UNAUTHENTICATED");
    if (!(await this.can(p, role, instanceId)))
      throw new AppError(
        "E_FORBIDDEN",
        `This needs the ${role} role${instanceId != null ? " on this instance" : ""}`,
        { hint: `Your role is ${p.role}; an admin can grant more` },
      );
    return p;
  }

  /** A service a plugin provides, typed by its ref (null while that plugin is absent). */
  service<T>(ref: ServiceRef<T> | string): T | null {
    return (this.services.get(typeof ref === "string" ? ref : ref.id) as T | undefined) ?? null;
  }

  navEntries(): Array<NavEntry & { plugin: string }> {
    return this.host
      .active()
      .filter((r) => r.status === "started")
      .flatMap((r) => (r.def!.nav ?? []).map((n) => ({ ...n, plugin: r.id })))
      .sort((a, b) => (a.order ?? 50) - (b.order ?? 50));
  }

  #context(rec: PluginRecord): PluginContext<any> {
    const def = rec.def!;
    const plog = createLogger(`plugin:${rec.id}`);
    // The plugin's own tables (<id>_*), which the core's types do not know: it names them in its
    // definePlugin table map. The guard refuses the core's tables at run time.
    const scoped = this.db.withPlugin(new TableGuardPlugin(rec.id)) as Kysely<any>;
    return {
      id: rec.id,
      log: plog,
      dataDir: this.config.dataDir,
      config: {
        publicUrl: this.config.publicUrl,
        smtpHost: this.config.smtpHost,
        smtpPort: this.config.smtpPort,
        mode: this.mode,
      },
      db: scoped,
      events: this.bus,
      jobs: this.scheduler.forPlugin(rec.id),
      operations: {
        ...this.operations.forPlugin(rec.id),
        declare: (op) => this.catalog.add(rec.id, op),
        invoke: (c, id, input) => invokeOperation(this, c, id, input),
        finished: (id) => waitForOperation(this, id),
      },
      errors: {
        define: (code, spec) => {
          registerErrorCode(rec.id, code, spec);
          return (message, opts) => new AppError(code as ErrorCode, message, opts);
        },
      },
      instances: this.registry,
      auth: {
        require: (c, role, instanceId) => this.requireRole(c.get("principal"), role, instanceId),
        can: (p, role, instanceId) => this.can(p, role, instanceId),
      },
      views: {
        page: (c, opts) => renderPage(this, c, opts),
        card: (spec) => this.cards.push({ ...spec, plugin: rec.id }),
        operationResult: (spec) => this.operationViews.push({ ...spec, plugin: rec.id }),
      },
      secrets: this.secrets,
      runtimes: this.runtimes,
      vhosts: {
        add: (spec) => this.vhosts.add(rec.id, spec),
        listenTls: (tls) => this.vhosts.listenTls(rec.id, tls),
      },
      services: {
        provide: (ref: string | ServiceRef<unknown>, impl: unknown) => {
          const name = typeof ref === "string" ? ref : ref.id;
          if (this.services.has(name))
            throw new AppError("E_CONFLICT", `Service ${name} is already provided`);
          this.services.set(name, impl);
        },
        get: (ref: string | ServiceRef<unknown>) =>
          this.service(typeof ref === "string" ? ref : ref.id) as any,
      },
      assets: (source) => {
        rec.assets = new PluginAssets(rec.id, source);
        return rec.assets;
      },
      pages: (app) => {
        rec.pages = app;
      },
      api: (app) => {
        rec.api = app;
      },
      publicRoutes: (app) => {
        rec.publicApp = app;
      },
      settings: async () => (await readSettings(this.db, this.secrets, rec.id, def.settings ?? {})) as any,
      audit: this.#auditFor(rec.id),
    };
  }

  /** A plugin's `ctx.audit`: one entry, actions prefixed with the plugin id; `.wrap` via `audited`. */
  #auditFor(plugin: string): AuditApi {
    const audit = async (c: AuditActor, entry: AuditEntry) => {
      const who =
        "actor" in c
          ? { actor: c.actor, ip: c.ip ?? null, actorId: null }
          : {
              actor: c.get("principal")?.username ?? "anonymous",
              actorId: c.get("principal")?.userId ?? null,
              ip: clientIp(c, this.config.trustProxy),
            };
      await recordAudit(this.db, who, {
        ...entry,
        action: entry.action.includes(".") ? entry.action : `${plugin}.${entry.action}`,
      });
      this.bus.emit("audit.recorded", {
        action: entry.action,
        actor: who.actor,
        instanceId: entry.instanceId ?? null,
        result: entry.result ?? "ok",
      });
    };
    return Object.assign(audit, {
      wrap: <T>(
        c: AuditActor,
        entry: Omit<AuditEntry, "result">,
        fn: (d: Record<string, unknown>) => Promise<T> | T,
      ) => audited({ audit }, c, entry, fn),
    });
  }
}

import type { Context, Hono } from "hono";
import type { Child } from "hono/jsx";
import type { Kysely } from "kysely";
import type { Migration } from "kysely";
import type { Connection } from "../connections/types.ts";
import type { ParsedConf } from "../odoo/conf.ts";
import type { InstanceSettings } from "../odoo/instance-settings.ts";
import type { OdooDb } from "../odoo/pg.ts";
import type { OperationDefinition } from "./operation.ts";
import type { AppError } from "../errors.ts";
import type { LifecycleState, RuntimesApi } from "../runtime/types.ts";

export type Role = "admin" | "operator" | "viewer";

/** The signed-in principal of a request: a user through a session, or an API token. */
export interface Principal {
  userId: number;
  username: string;
  /** Global role; per-instance grants are checked with `ctx.auth.can`. */
  role: Role | "none";
  /** "local": the CLI and MCP over stdio, run by someone who holds the data directory (admin). */
  via: "session" | "token" | "local";
  tokenId?: number;
  /** A token limited to these instances: it sees no other (null or absent: no limit). */
  instances?: number[] | null;
  /** False for a token that may not run destructive operations. */
  allowDestructive?: boolean;
  /** A token's MCP tool presets (tags); null or absent: every tool its role allows. */
  tools?: string[] | null;
}

/** Hono variables the core sets on every authenticated request. */
export interface RequestVars {
  principal: Principal | null;
  csrf: string | null;
  requestId: string;
}

export type Env = { Variables: RequestVars };
export type AppContext = Context<Env>;

/**
 * Events are a typed map. Plugins add their own through declaration merging:
 * @example
 * declare module "odoodeck/sdk" { interface EventMap { "backup.finished": { instanceId: number } } }
 */
export interface EventMap {
  "plugin.started": { id: string };
  "audit.recorded": { action: string; actor: string; instanceId: number | null; result: "ok" | "error" };
  "operation.updated": OperationSnapshot;
  "operation.finished": OperationSnapshot;
  "job.finished": {
    jobId: string;
    instanceId: number | null;
    status: "ok" | "error" | "skipped";
    summary: string;
  };
  "instance.added": { instanceId: number };
  /** An instance's record was edited; `productionChanged` when it was marked or unmarked production. */
  "instance.updated": { instanceId: number; productionChanged: boolean };
  "instance.removed": { instanceId: number };
  /** An instance's lifecycle state changed (runtime and health together); `status` is the new state. */
  "instance.state": {
    instanceId: number;
    status: LifecycleState;
    previous: LifecycleState | null;
    detail: string;
    at: string;
  };
  /**
   * A database was neutralized (restore, copy, preview, restore test) and is about to go live:
   * e.g. the mail catcher keeps a mailbox for it. Emitted by the plugin that neutralized it.
   * @example ctx.events.emit("database.neutralized", { instanceId: 3, dbName: "acme_copy", kind: "copy" });
   */
  "database.neutralized": {
    instanceId: number | null;
    dbName: string;
    kind: "restore" | "copy" | "preview" | "restore-test";
  };
  /**
   * A database odoodeck made (copy, preview, restore test scratch) was dropped: what was kept for
   * it (a mailbox) goes too.
   * @example ctx.events.emit("database.dropped", { instanceId: 3, dbName: "acme_copy" });
   */
  "database.dropped": { instanceId: number | null; dbName: string };
  /** A managed Odoo died unasked; it is started again after `retryInMs`. */
  "runtime.crashed": {
    instanceId: number | null;
    name: string;
    status: "crashed";
    exitCode: number;
    attempt: number;
    retryInMs: number;
  };
}

export interface EventBus {
  on<K extends keyof EventMap>(name: K, handler: (payload: EventMap[K]) => void | Promise<void>): () => void;
  emit<K extends keyof EventMap>(name: K, payload: EventMap[K]): void;
  /**
   * Every event, whatever its name: for plugins that route events by user-made rules.
   * @example const off = ctx.events.onAny((e) => forward(e.name, e.payload));
   */
  onAny(handler: (e: { name: string; payload: unknown }) => void): () => void;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export type SettingSpec =
  | { type: "string"; label: string; default: string; help?: string; pattern?: string }
  | { type: "secret"; label: string; default: string; help?: string }
  | { type: "number"; label: string; default: number; help?: string; min?: number; max?: number }
  | { type: "boolean"; label: string; default: boolean; help?: string }
  | { type: "select"; label: string; default: string; help?: string; options: string[] };

export type SettingsSchema = Record<string, SettingSpec>;
export type SettingsValues<S extends SettingsSchema> = {
  [K in keyof S]: S[K] extends { type: "number" }
    ? number
    : S[K] extends { type: "boolean" }
      ? boolean
      : string;
};

export interface NavEntry {
  label: string;
  /** For scope "global": served at /p/<plugin id><path>. For "instance": /p/<plugin id>/i/<instance id><path>. */
  path: string;
  scope: "global" | "instance";
  /** Lowest global role that sees the entry (default viewer). */
  minRole?: Role;
  order?: number;
}

export interface AuditEntry {
  action: string;
  target?: string;
  instanceId?: number | null;
  result?: "ok" | "error";
  details?: Record<string, unknown>;
}

export interface JobRunContext {
  instanceId: number | null;
  params: Record<string, unknown>;
  signal: AbortSignal;
  log(line: string): void;
}

export interface JobDefinition {
  /** A short name for pages ("Scheduled backup"); pages show the key when it is absent. */
  title?: string;
  description: string;
  scope: "global" | "instance";
  /** Suggested schedule shown when a user adds one. */
  defaultCron?: string;
  /** Returns a one-line summary recorded with the run. */
  handler(run: JobRunContext): Promise<string | void>;
}

/** A user's schedule of one of the plugin's own jobs (the Jobs page lists the same rows). */
export interface JobSchedule {
  id: number;
  /** The job's name as the plugin defined it, without the plugin prefix. */
  job: string;
  instanceId: number | null;
  cron: string;
  timezone: string;
  params: Record<string, unknown>;
  enabled: boolean;
  /** "every day at 02:00" for the common shapes. */
  description: string;
  /** Next run (ISO), null when paused. */
  next: string | null;
  lastRunAt: string | null;
}

export interface JobsApi {
  define(name: string, def: JobDefinition): void;
  /**
   * Schedules of this plugin's own jobs, e.g. to show and edit a per-instance schedule on a
   * plugin page. The scheduler runs them like any other (overlap skipped, missed run caught up).
   * @example const [s] = await ctx.jobs.schedules({ job: "restore-test", instanceId: 3 });
   */
  schedules(filter?: { job?: string; instanceId?: number }): Promise<JobSchedule[]>;
  /**
   * Adds a schedule of one of this plugin's jobs; an invalid cron or time zone is E_VALIDATION.
   * @example await ctx.jobs.schedule({ job: "restore-test", instanceId: 3, cron: "30 3 * * 0", params: { target: 4 } });
   */
  schedule(input: {
    job: string;
    instanceId?: number | null;
    cron: string;
    timezone?: string;
    params?: Record<string, unknown>;
  }): Promise<JobSchedule>;
  /**
   * Removes one of this plugin's schedules (E_NOT_FOUND for another plugin's).
   * @example await ctx.jobs.unschedule(s.id);
   */
  unschedule(id: number): Promise<void>;
}

export interface OperationStepState {
  name: string;
  status: "pending" | "running" | "ok" | "error" | "skipped" | "cancelled";
  bytesDone?: number;
  bytesTotal?: number;
  percent?: number;
  result?: unknown;
  error?: { code: string; message: string; hint?: string };
  startedAt?: string;
  finishedAt?: string;
}

export interface OperationSnapshot {
  id: string;
  plugin: string;
  kind: string;
  title: string;
  instanceId: number | null;
  actor: string;
  status: "running" | "ok" | "error" | "cancelled" | "interrupted";
  steps: OperationStepState[];
  currentStep: string | null;
  startedAt: string;
  finishedAt: string | null;
  error?: { code: string; message: string; hint?: string };
  result?: unknown;
  /** The operation this one runs under (see OperationSpec.parentId). */
  parentId?: string;
}

export interface StepApi {
  signal: AbortSignal;
  log(line: string): void;
  progress(p: { bytesDone?: number; bytesTotal?: number; percent?: number }): void;
}

export interface OperationSpec<R = unknown> {
  kind: string;
  title: string;
  instanceId?: number | null;
  actor: string;
  /** Take the instance's exclusive lock (destructive operations). */
  lock?: boolean;
  /**
   * Run as part of a running operation on the same instance (e.g. the backup an upgrade takes
   * first): the child uses the parent's lock instead of taking its own (no E_BUSY against its
   * own parent), is cancelled with it, and its page links back to it.
   */
  parentId?: string;
  steps: string[];
  run(op: {
    /** This operation's id (its page is /operations/<id>), e.g. to record what it made. */
    id: string;
    step<T>(name: string, fn: (s: StepApi) => Promise<T>): Promise<T>;
    signal: AbortSignal;
    log(line: string): void;
  }): Promise<R>;
}

export interface OperationsApi {
  /**
   * Starts the operation and returns at once; `done` settles when it ends. `started` resolves once
   * it is running (its lock taken) and rejects with the reason it could not start (e.g. E_BUSY),
   * so a request handler can `await op.started` and answer the conflict itself.
   */
  start<R>(spec: OperationSpec<R>): { id: string; done: Promise<OperationSnapshot>; started: Promise<void> };
  get(id: string): OperationSnapshot | null;
  cancel(id: string): boolean;
  /**
   * The final snapshot of an operation, whoever started it (one that already ended is read back):
   * for a route that answers only once the work is done (`?wait`).
   * @example const snap = await ctx.operations.finished(r.operationId!);
   */
  finished(id: string): Promise<OperationSnapshot>;
  /**
   * Declares an operation (see defineOperation): it becomes a REST route with its OpenAPI entry,
   * a CLI command, an MCP tool, all run by the core's one executor. Call it in register().
   * @example ctx.operations.declare(greet);
   */
  declare(op: OperationDefinition<any, any>): void;
  /**
   * Runs a declared operation from a route, as REST does: the request's principal, role, input
   * validation, production rule, lock and the one audit entry (surface "api" under /api, else
   * "page"). Errors are the same AppErrors REST answers with. Long-running operations return at
   * once with their `operationId`.
   * @example
   * app.post("/i/:instance/upgrade", async (c) => {
   *   const r = await ctx.operations.invoke(c, "modules.upgrade", { instance: c.var.instance.id, modules: ["crm"] });
   *   return c.redirect(`/operations/${r.operationId}`, 303);
   * });
   */
  invoke(c: AppContext, id: string, input: Record<string, unknown>): Promise<InvokeResult>;
}

/** What `ctx.operations.invoke` answers: the operation's output (for a long-running one, its id). */
export interface InvokeResult {
  data: unknown;
  /** Long-running operations: the id of the operation started (its page is /operations/<id>). */
  operationId?: string;
}

export interface OdooConfView {
  path: string;
  options: Record<string, string | null>;
}

/** An Odoo instance as plugins see it. Secrets stay inside the core. */
export interface InstanceHandle {
  id: number;
  name: string;
  production: boolean;
  serverId: number;
  serverName: string;
  /** How the server is reached: the machine odoodeck runs on, or SSH. */
  serverKind: "local" | "ssh";
  /** The SSH host name or address (null for the local server): for display and host-level checks. */
  serverHost: string | null;
  confPath: string;
  service: string | null;
  container: string | null;
  publicUrl: string | null;
  /** The database this instance serves (from the instance record or odoo.conf db_name). */
  dbName: string | null;
  connection(): Promise<Connection>;
  /**
   * Reads and parses the instance's odoo.conf through its connection (fresh on every call) and
   * returns the derived settings and a database handle on `dbName`.
   * Throws E_FILE_NOT_FOUND / E_PERMISSION / E_CONF_INVALID with hints.
   */
  odoo(): Promise<{ conf: ParsedConf; settings: InstanceSettings; db: OdooDb }>;
}

export interface InstancesApi {
  list(): Promise<InstanceHandle[]>;
  get(id: number): Promise<InstanceHandle>;
}

export interface AuthApi {
  /** Throws E_UNAUTHENTICATED / E_FORBIDDEN unless the request's principal holds `role` (on the instance). */
  require(c: AppContext, role: Role, instanceId?: number | null): Promise<Principal>;
  can(p: Principal | null, role: Role, instanceId?: number | null): Promise<boolean> | boolean;
}

export interface CardSpec {
  /** Renders a small block on an instance's overview card (e.g. "last backup: 2 h ago"). */
  render(instance: InstanceHandle): Promise<Child> | Child;
  order?: number;
}

export interface PageOptions {
  title: string;
  body: Child;
  /** Highlights the instance's tabs when the page belongs to one. */
  instanceId?: number | null;
  /** `code`: the stable error code (E_…) shown beside the message, as on error pages. */
  flash?: { kind: "ok" | "error" | "info"; message: string; hint?: string; code?: string } | null;
  /** HTTP status of the page (default 200), e.g. 404 for a page about something that is gone. */
  status?: number;
}

/**
 * Renders a plugin operation's result on its page (/operations/<id>), below the steps.
 * @example ctx.views.operationResult({ kind: "restore", render: (op) => <ReportTable op={op} /> })
 */
export interface OperationResultSpec {
  /** The operation kind of this plugin (OperationSpec.kind) it renders. */
  kind: string;
  /** Nothing to show: return null. */
  render(op: OperationSnapshot): Promise<Child> | Child;
}

export interface ViewsApi {
  /** Full page inside the layout, or only the body when the request comes from htmx. */
  page(c: AppContext, opts: PageOptions): Promise<Response>;
  card(spec: CardSpec): void;
  operationResult(spec: OperationResultSpec): void;
}

export interface SecretsApi {
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
  /** HMAC-SHA256 (hex) of `value` under a sub-key for `purpose`: compare secrets without keeping them. */
  keyedHash(purpose: string, value: string): string;
}

/**
 * A typed handle on a service one plugin provides to others (as Backstage's service refs). The
 * provider keeps `defineService<BackupService>("backup")` in its contract.ts; a consumer imports
 * the interface with `import type` and builds its own ref from the same id, so no plugin imports
 * another's code at run time.
 * @example
 * // plugins/backup/contract.ts
 * export interface BackupService { latest(instanceId: number): Promise<BackupInfo | null> }
 * export const backupService = defineService<BackupService>("backup");
 * // plugins/modules/index.ts
 * import type { BackupService } from "../backup/contract.ts";
 * const backup = ctx.services.get(defineService<BackupService>("backup")); // BackupService | null
 */
export interface ServiceRef<T> {
  readonly id: string;
  /** Type only: carries T (never set at run time). */
  readonly __service?: (t: T) => T;
}

export interface ServicesApi {
  /**
   * Provides a service under its ref (or, for SDK ^1 plugins, a bare name).
   * @example ctx.services.provide(backupService, { latest: (id) => store.latest(id) });
   */
  provide<T>(ref: ServiceRef<T>, impl: NoInfer<T>): void;
  provide<T>(name: string, impl: T): void;
  /**
   * The service, or null when its provider is absent or disabled.
   * @example const backup = ctx.services.get(backupService);
   */
  get<T>(ref: ServiceRef<T>): T | null;
  get<T>(name: string): T | null;
}

/**
 * A plugin's own audit entries: `ctx.audit(c, entry)` writes one; `ctx.audit.wrap` runs an action
 * and writes one entry with its outcome (see `audited`).
 * @example
 * await ctx.audit.wrap(c, { action: "cache.clear", instanceId: id }, () => clear(id));
 */
export interface AuditApi {
  (c: AppContext | { actor: string; ip?: string | null }, entry: AuditEntry): Promise<void>;
  wrap<T>(
    c: AppContext | { actor: string; ip?: string | null },
    entry: Omit<AuditEntry, "result">,
    fn: (details: Record<string, unknown>) => Promise<T> | T,
  ): Promise<T>;
}

/**
 * A plugin's static files, served at /assets/p/<plugin id>/<name>.
 * @example
 * import chartJs from "./assets/chart.js" with { type: "file" };
 * const assets = ctx.assets({ "chart.js": Bun.file(chartJs) }); // embedded in the binary
 * <script src={assets.url("chart.js")} />
 */
export interface PluginAssetsHandle {
  /** The asset's URL with its content hash (`?v=`), served with a year of caching. */
  url(name: string): string;
}

export interface CliCommand {
  name: string;
  summary: string;
  usage?: string;
  /**
   * `args`: the raw tokens after the command's name, flags included and in order
   * (`odoodeck logs prod -f --level warning` → ["prod", "-f", "--level", "warning"]); only the
   * core's own `--data` flag is taken out.
   */
  run(args: string[], ctx: PluginContext): Promise<number | void>;
}

export interface ErrorsApi {
  /**
   * Registers a plugin-owned error code, which must start with `E_<PLUGIN ID>_` (a plugin cannot
   * take another's or the core's), and returns a factory for it. Clients see it in the JSON
   * envelope and in the OpenAPI error enum like any core code.
   * @example
   * const notGreeted = ctx.errors.define("E_HELLO_SHY", { status: 422, message: "Nobody to greet" });
   * throw notGreeted("Give a name", { hint: "--name Ann" });
   */
  define(
    code: string,
    spec: { status: number; message: string },
  ): (message?: string, opts?: { hint?: string; details?: unknown; cause?: unknown }) => AppError;
}

/**
 * The part of the core's configuration plugins may read (flags > ODOODECK_* > odoodeck.toml).
 * @example
 * const { smtpHost, smtpPort } = ctx.config; // where the mail catcher listens
 */
export interface CoreConfigView {
  /** The address users reach odoodeck at (null: not configured). */
  readonly publicUrl: string | null;
  /** The mail catcher's SMTP address (`smtp_host`, default 127.0.0.1). */
  readonly smtpHost: string;
  /** The mail catcher's SMTP port (`smtp_port`, default 1025; 0: any free port). */
  readonly smtpPort: number;
  /**
   * "serve" in the long-running server; "cli" in a one-shot command run beside it, which must not
   * open listeners or background loops the server owns (`if (ctx.config.mode !== "serve") return;`).
   */
  readonly mode: "serve" | "cli";
}

/**
 * A host name a plugin serves instead of odoodeck (e.g. `<preview>.<preview domain>`): the core
 * forwards matching requests, WebSocket upgrades included, to the upstream `resolve` names.
 * @example
 * ctx.vhosts.add({
 *   matches: (host) => host.endsWith(".preview.example.com"),
 *   resolve: async (req) => ({ upstream: "http://127.0.0.1:8069" }),
 * });
 */
export interface VirtualHostSpec {
  /** `host` is lower-case, without its port. A promise when the answer needs a read (settings). */
  matches(host: string): boolean | Promise<boolean>;
  /** Where to forward, or a Response to answer with instead (a waiting page, a 404). */
  resolve(req: Request): Promise<{ upstream: string; host?: string } | Response>;
}

/**
 * An HTTPS listener for the virtual hosts, on a port of its own (odoodeck's own listener keeps
 * its scheme), serving the certificate for the names given (SNI, wildcards allowed).
 * @example
 * await ctx.vhosts.listenTls({ port: 8443, cert, key, serverNames: ["*.preview.example.com"] });
 */
export interface VirtualHostsTls {
  /** 0: any free port. */
  port: number;
  /** Default: the address odoodeck listens on. */
  hostname?: string;
  /** PEM contents (not paths): the certificate (chain) and its private key. */
  cert: string;
  key: string;
  /** SNI names the certificate answers for, e.g. "*.preview.example.com". */
  serverNames: string[];
  /**
   * More certificates, each served for its own SNI name (e.g. one per preview from an ACME CA);
   * `cert`/`key` stay the one served to a name none of them has.
   * @example
   * { port: 8443, cert, key, serverNames: ["a.p.test"], extra: [{ serverName: "b.p.test", cert: b, key: bk }] }
   */
  extra?: Array<{ serverName: string; cert: string; key: string }>;
}

export interface VirtualHostsApi {
  add(spec: VirtualHostSpec): void;
  /**
   * Serves the virtual hosts over HTTPS (null: stops serving them). Replaces the plugin's previous
   * listener; resolves with the port once it listens, which is when odoodeck's server starts if
   * called before (from `start`).
   * @example
   * const { port } = (await ctx.vhosts.listenTls({ port: 0, cert, key, serverNames: ["*.p.test"] }))!;
   */
  listenTls(tls: VirtualHostsTls | null): Promise<{ port: number } | null>;
}

/**
 * What a plugin's `register`, `start` and `stop` receive. `DB`: the plugin's own tables (Kysely's
 * table map), so its queries are typed; `any` when it does not say.
 */
export interface PluginContext<S extends SettingsSchema = SettingsSchema, DB = any> {
  readonly id: string;
  /** Core configuration keys a plugin may need (read-only). */
  readonly config: CoreConfigView;
  readonly log: Logger;
  readonly dataDir: string;
  /** Kysely over the store; queries may only touch tables named `<plugin id>_…`. */
  readonly db: Kysely<DB>;
  readonly events: EventBus;
  readonly jobs: JobsApi;
  readonly operations: OperationsApi;
  readonly instances: InstancesApi;
  readonly auth: AuthApi;
  readonly views: ViewsApi;
  readonly secrets: SecretsApi;
  readonly services: ServicesApi;
  readonly errors: ErrorsApi;
  /** Start, stop, restart and watch Odoo: instances' units/containers, and Odoos odoodeck runs itself. */
  readonly runtimes: RuntimesApi;
  /** Host names the plugin serves itself (proxied by the core, before odoodeck's own routes). */
  readonly vhosts: VirtualHostsApi;
  /** Mounts page routes at /p/<id> (HTML) */
  pages(app: Hono<Env>): void;
  /** Mounts JSON routes at /api/v1/<id> */
  api(app: Hono<Env>): void;
  /**
   * Mounts routes at /pub/<id> that answer WITHOUT sign-in: webhooks, share links, clients with
   * credentials of their own. There is never a principal (a session cookie sent along is
   * ignored) and no CSRF check; bodies are limited to 256 KB (more per route with
   * `publicBodyLimit`) and each client address to a rate. The plugin checks access itself — an
   * HMAC compared in constant time, a signed expiring link, an Authorization header of its own.
   * @example
   * const pub = new Hono<Env>(); pub.post("/hooks/:token", verifyThenAct); ctx.publicRoutes(pub);
   */
  publicRoutes(app: Hono<Env>): void;
  settings(): Promise<SettingsValues<S>>;
  readonly audit: AuditApi;
  /**
   * Serves the plugin's static files at /assets/p/<id>/…: a folder path, or a map of names to
   * text (a `with { type: "text" }` import) or a `Bun.file()` (of a `with { type: "file" }` import),
   * which the compiled binary embeds. Call it in register().
   * @example const assets = ctx.assets(new URL("./assets", import.meta.url).pathname);
   */
  assets(source: string | Record<string, string | Blob>): PluginAssetsHandle;
}

/**
 * What a plugin says it reaches for beyond its `ctx`, shown to the admin on the Plugins page next
 * to what odoodeck finds in its code. A declaration, not a permission: plugins are not sandboxed.
 * - `network`: opens connections itself (fetch, node:http, node:net…)
 * - `filesystem`: reads or writes files itself (node:fs, Bun.file, bun:sqlite…)
 * - `spawn`: runs programs on the odoodeck machine (Bun.spawn, node:child_process…)
 * - `connections`: runs commands or reads files on instances' servers (`instance.connection()`)
 * - `odoo-database`: reads or writes Odoo databases (`instance.odoo()`)
 * @example
 * definePlugin({ id: "uptime", name: "Uptime", version: "1.0.0", sdk: "^1",
 *   capabilities: ["network"], register(ctx) {} });
 */
export type Capability = "network" | "filesystem" | "spawn" | "connections" | "odoo-database";
export const CAPABILITIES: readonly Capability[] = [
  "network",
  "filesystem",
  "spawn",
  "connections",
  "odoo-database",
];

/**
 * A plugin's definition. `St`: what `register` returns, handed to `start` and `stop` (per-plugin
 * state without module-level variables, so two cores in one process do not share it).
 */
export interface PluginDefinition<S extends SettingsSchema = SettingsSchema, St = any, DB = any> {
  id: string;
  name: string;
  version: string;
  /** Semver range of the SDK this plugin was written for, e.g. "^1". */
  sdk: string;
  description?: string;
  dependsOn?: string[];
  migrations?: Record<string, Migration>;
  settings?: S;
  nav?: NavEntry[];
  cli?: CliCommand[];
  /**
   * What the plugin reaches for beyond `ctx` (see {@link Capability}); shown on the Plugins page.
   * @example capabilities: ["network", "connections"]
   */
  capabilities?: Capability[];
  /** Declare routes, jobs, handlers. No I/O here. May return the plugin's state for start/stop. */
  register(ctx: PluginContext<S, DB>): St;
  start?(ctx: PluginContext<S, DB>, state: St): Promise<void> | void;
  stop?(ctx: PluginContext<S, DB>, state: St): Promise<void> | void;
}

/**
 * odoodeck plugin SDK: the only module plugins import from the core (as "odoodeck/sdk").
 * Semver'd through SDK_VERSION; a plugin declares the range it needs in `sdk`.
 */
import type { PluginDefinition, SettingsSchema } from "./types.ts";

export * from "./types.ts";
export * from "./operation.ts";
/** zod 4, the schema library operations declare their input with (one copy, shared with the core). */
export { z } from "zod";
/** Kysely, the query builder behind `ctx.db`, and the shape of a plugin's migrations. */
export type { Generated, Kysely, Migration } from "kysely";
/** Kysely's `sql` template tag, for what the query builder does not express. */
export { sql } from "kysely";
export type {
  Connection,
  ExecResult,
  ExecOptions,
  FileStat,
  RunningProcess,
  SpawnOptions,
  Tunnel,
} from "../connections/types.ts";
export type {
  LifecycleState,
  Readiness,
  Runtime,
  RuntimesApi,
  RuntimeState,
  RuntimeStatus,
  WaitReadyOptions,
} from "../runtime/types.ts";
export type { ManagedSpec } from "../runtime/managed.ts";
export { httpGetOnServer } from "../runtime/readiness.ts";
export { failuresSinceStart, type SmokeOptions, smokeCheck } from "../runtime/smoke.ts";
export { AppError, isAppError, toAppError, type ErrorCode } from "../errors.ts";
export { ok, fail, wantsHtml, isHtmx } from "../http/respond.ts";
export { sseStream } from "../http/sse.ts";
export { acceptsUpload } from "../http/body-limit.ts";
export { publicBodyLimit } from "../http/public-routes.ts";
export { fileChunks } from "../connections/streams.ts";
/**
 * Who owns a row of shared state, for recovery after a crash: record `processOwner` with the row;
 * at start, `ownerAlive(row.owner)` is false once the process that wrote it is gone.
 * @example if (row.status === "running" && !ownerAlive(row.owner)) markInterrupted(row);
 */
export { OWNER as processOwner, ownerAlive } from "../process-owner.ts";
export * as ui from "../../views/components/ui.tsx";
export * as odoo from "./odoo.ts";
/**
 * The one rule set for secrets (conf keys, system parameters, log text): mask with it before a
 * value reaches a page, an API answer, a download, a search or a count.
 * @example
 * import { masking } from "odoodeck/sdk";
 * masking.maskText("db_password=s3cret"); // "db_password=••••••••"
 * masking.shownValue("admin_passwd", "x"); // "••••••••"
 */
export * as masking from "../masking.ts";

/**
 * The SDK's version. 2.0.0 (this release) added operations, z, plugin error codes, masking, runtimes, vhosts, hooks, public routes, formFlash and the testing kit.
 * Nothing was removed, so plugins
 * declaring "^1" still load (see server/plugin-host/sdk-compat.ts). The surface is checked in
 * as server/sdk/report.api.md (`bun scripts/api-report.ts --write`).
 * @example
 * if (Bun.semver.satisfies(SDK_VERSION, ">=2")) ctx.operations.declare(op);
 */
export const SDK_VERSION = "2.0.0";

/**
 * Declares a plugin. Returns the definition unchanged; it exists for type inference. What
 * `register` returns is handed to `start` and `stop`, typed.
 * @example
 * export default definePlugin({
 *   id: "hello", name: "Hello", version: "1.0.0", sdk: "^1",
 *   register(ctx) { const app = new Hono(); app.get("/", (c) => c.text("hi")); ctx.pages(app); },
 * });
 * // Typed tables: name the settings, state and table map (TypeScript infers all or none).
 * definePlugin<SettingsSchema, void, { hello_greetings: { id: number; name: string } }>({ … });
 * definePlugin({ id: "ticker", name: "Ticker", version: "1.0.0", sdk: "^2",
 *   register: () => ({ timer: null as Timer | null }),
 *   start(ctx, s) { s.timer = setInterval(() => ctx.log.info("tick"), 60_000); },
 *   stop(_ctx, s) { if (s.timer) clearInterval(s.timer); },
 * });
 */
export function definePlugin<S extends SettingsSchema = SettingsSchema, St = void, DB = any>(
  def: PluginDefinition<S, St, DB>,
): PluginDefinition<S, St, DB> {
  return def;
}

// SDK 2 platform primitives (one of each, so plugins stop rebuilding them).
export { instanceRoute, findInstance, type InstanceLookup } from "./instance-route.ts";
export { audited, type AuditActor, type Auditor } from "./audited.ts";
export { productionGuard, type ProductionGuardInput } from "./production-guard.ts";
export { defineService } from "./service-ref.ts";
export type { RunOptions } from "../connections/types.ts";
export { sendMail, type MailMessage, type SmtpSettings } from "./mail.ts";
export { formFlash, FORM_ERROR_CODES, type FormFlash } from "./form-flash.ts";

/**
 * odoodeck plugin SDK: the only module plugins import from the core (as "odoodeck/sdk").
 * Semver'd through SDK_VERSION; a plugin declares the range it needs in `sdk`.
 */
import type { PluginDefinition, SettingsSchema } from "./types.ts";

export * from "./types.ts";
export type {
  Connection,
  ExecResult,
  ExecOptions,
  FileStat,
  RunningProcess,
  SpawnOptions,
} from "../connections/types.ts";
export { AppError, isAppError, toAppError, type ErrorCode } from "../errors.ts";
export { ok, fail, wantsHtml, isHtmx } from "../http/respond.ts";
export { sseStream } from "../http/sse.ts";
export { fileChunks } from "../connections/streams.ts";
/**
 * Who owns a row of shared state, for recovery after a crash: record `processOwner` with the row;
 * at start, `ownerAlive(row.owner)` is false once the process that wrote it is gone.
 * @example if (row.status === "running" && !ownerAlive(row.owner)) markInterrupted(row);
 */
export { OWNER as processOwner, ownerAlive } from "../process-owner.ts";
export * as ui from "../../views/components/ui.tsx";
export * as odoo from "./odoo.ts";

export const SDK_VERSION = "1.0.0";

/**
 * Declares a plugin. Returns the definition unchanged; it exists for type inference.
 * @example
 * export default definePlugin({
 *   id: "hello", name: "Hello", version: "1.0.0", sdk: "^1",
 *   register(ctx) { const app = new Hono(); app.get("/", (c) => c.text("hi")); ctx.pages(app); },
 * });
 */
export function definePlugin<S extends SettingsSchema = SettingsSchema>(
  def: PluginDefinition<S>,
): PluginDefinition<S> {
  return def;
}

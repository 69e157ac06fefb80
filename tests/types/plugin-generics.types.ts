/**
 * Type-level test (checked by `tsc --noEmit -p .`): a plugin's state reaches start/stop typed, and
 * its ctx.db is typed by the table map it names. Each @ts-expect-error line must be an error.
 */
import { definePlugin, type Generated, type SettingsSchema } from "../../server/sdk/index.ts";

interface HelloDb {
  hello_greetings: { id: Generated<number>; name: string };
}

export const typedTables = definePlugin<SettingsSchema, { count: number }, HelloDb>({
  id: "hello",
  name: "Hello",
  version: "1.0.0",
  sdk: "^2",
  register: () => ({ count: 0 }),
  async start(ctx, state) {
    state.count++;
    const rows = await ctx.db.selectFrom("hello_greetings").select(["id", "name"]).execute();
    const name: string | undefined = rows[0]?.name;
    void name;
    // @ts-expect-error a table the plugin does not have
    await ctx.db.selectFrom("users").selectAll().execute();
    // @ts-expect-error a column the table does not have
    await ctx.db.selectFrom("hello_greetings").select("nope").execute();
    // @ts-expect-error the state is { count: number }
    state.count = "many";
  },
});

/** Inferred: what register returns is what start and stop get. */
export const inferredState = definePlugin({
  id: "ticker",
  name: "Ticker",
  version: "1.0.0",
  sdk: "^2",
  register: () => ({ timer: null as ReturnType<typeof setInterval> | null }),
  stop(_ctx, s) {
    if (s.timer) clearInterval(s.timer);
    // @ts-expect-error no such field in the state
    s.missing = 1;
  },
});

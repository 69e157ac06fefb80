import { type InstanceHandle, type PluginContext, ui } from "odoodeck/sdk";

/** A line on the instance overview: when the configuration last changed. Reads only odoodeck's store. */
export function overviewCard(ctx: PluginContext) {
  return async (inst: InstanceHandle) => {
    const rows = await ctx.db
      .selectFrom("config_diff_snapshots")
      .select(["taken_at", "last_seen_at"])
      .where("instance_id", "=", inst.id)
      .orderBy("id", "desc")
      .limit(2)
      .execute();
    const link = <a href={`/p/config-diff/i/${inst.id}/config/history`}>history</a>;
    if (!rows.length)
      return (
        <p class="muted">
          Config: not read yet (<a href={`/p/config-diff/i/${inst.id}/config`}>open</a>)
        </p>
      );
    return (
      <p>
        Config {rows.length > 1 ? "last changed" : "first seen"} <ui.Time at={rows[0].taken_at as string} />,
        checked <ui.Time at={rows[0].last_seen_at as string} /> ({link})
      </p>
    );
  };
}

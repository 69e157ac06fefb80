import type { Kysely } from "../../../server/sdk/index.ts";

export interface RecordedChecksum {
  module: string;
  checksum: string;
  version: string | null;
  recordedAt: string;
  recordedBy: string;
}

/** Per-instance checksums in the plugin's own table `modules_checksums`. */
export class ChecksumStore {
  constructor(private readonly db: Kysely<any>) {}

  async forInstance(instanceId: number): Promise<Map<string, RecordedChecksum>> {
    const rows = await this.db
      .selectFrom("modules_checksums")
      .selectAll()
      .where("instance_id", "=", instanceId)
      .execute();
    return new Map(
      rows.map((r) => [
        r.module,
        {
          module: r.module,
          checksum: r.checksum,
          version: r.version,
          recordedAt: r.recorded_at,
          recordedBy: r.recorded_by,
        },
      ]),
    );
  }

  async record(
    instanceId: number,
    entries: Array<{ module: string; checksum: string; version: string | null }>,
    actor: string,
  ): Promise<void> {
    const now = new Date().toISOString();
    for (const e of entries) {
      await this.db
        .insertInto("modules_checksums")
        .values({
          instance_id: instanceId,
          module: e.module,
          checksum: e.checksum,
          version: e.version,
          recorded_at: now,
          recorded_by: actor,
        })
        .onConflict((oc) =>
          oc.columns(["instance_id", "module"]).doUpdateSet({
            checksum: e.checksum,
            version: e.version,
            recorded_at: now,
            recorded_by: actor,
          }),
        )
        .execute();
    }
  }
}

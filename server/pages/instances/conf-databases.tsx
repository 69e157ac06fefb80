import { Badge, bytes, Table } from "../../../views/components/ui.tsx";
import type { Connection } from "../../connections/types.ts";
import type { DatabaseInfo } from "../../odoo/pg.ts";
import { openOdooConf } from "../../instances/registry.ts";

/**
 * The Odoo databases (those with ir_module_module) of the PostgreSQL cluster an odoo.conf points
 * at, as its database user sees them: an instance is one of them, and one conf often serves
 * several.
 */
export async function odooDatabasesOf(conn: Connection, confPath: string): Promise<DatabaseInfo[]> {
  const { db } = await openOdooConf(conn, confPath, "postgres");
  return (await db.listDatabases()).filter((d) => d.isOdoo);
}

/** Where "Use" goes: the add form, filled with the candidate and the database picked. */
export type AddFormLink = (dbName: string) => string;

const FORM_KEYS = ["confPath", "service", "container", "dbName"] as const;

/** The add form's address, pre-filled with a discovered conf (and the database picked). */
export function addFormLink(serverId: number | string, q: Record<string, string | undefined>): string {
  const params = new URLSearchParams({ server: String(serverId) });
  for (const k of FORM_KEYS) if (q[k]) params.set(k, q[k]!);
  return `/instances?${params}#instance-form`;
}

/** Lists the conf's Odoo databases once the page is in (it connects to PostgreSQL). */
export function DatabasesPlaceholder(p: { serverId: string; query: Record<string, string | undefined> }) {
  const params = new URLSearchParams();
  for (const k of FORM_KEYS) if (p.query[k]) params.set(k, p.query[k]!);
  return (
    <div
      class="database-choices loading"
      hx-get={`/servers/${p.serverId}/discover/databases?${params}`}
      hx-trigger="load"
      hx-swap="outerHTML"
    >
      <p class="muted">Looking for the Odoo databases this odoo.conf reaches…</p>
    </div>
  );
}

/** The list a user picks the instance's database from (discovery page and add form). */
export function DatabaseChoices(p: { dbs: DatabaseInfo[]; link: AddFormLink; picked?: string | null }) {
  return (
    <div class="database-choices">
      <Table
        rows={p.dbs}
        empty="No Odoo database in this cluster for the conf's database user."
        columns={[
          { label: "Odoo database", render: (d) => <strong>{d.name}</strong> },
          { label: "Size", render: (d) => bytes(d.sizeBytes), class: "num" },
          { label: "Base module", render: (d) => d.odooVersion ?? "—" },
          {
            label: "",
            render: (d) =>
              d.name === p.picked ? (
                <Badge kind="info">picked</Badge>
              ) : (
                <a class="button secondary" href={p.link(d.name)}>
                  Use {d.name}
                </a>
              ),
          },
        ]}
      />
    </div>
  );
}

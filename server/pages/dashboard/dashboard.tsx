import { Hono } from "hono";
import type { Child } from "hono/jsx";
import { visibleTo } from "../../auth/visible.ts";
import type { Core } from "../../core.ts";
import type { Env, InstanceHandle } from "../../sdk/types.ts";
import { Badge, Card, Empty, ProdMarker, StatusIcon } from "../../../views/components/ui.tsx";
import { instanceTabs, renderPage } from "../../http/render.tsx";
import { defineService } from "../../sdk/service-ref.ts";
import { OperationsTable } from "../operations/ops-pages.tsx";

/** Plugin-contributed blocks of an instance card; one failing card never breaks the page. */
export async function instanceCards(core: Core, inst: InstanceHandle): Promise<Child[]> {
  const out: Child[] = [];
  for (const card of [...core.cards].sort((a, b) => (a.order ?? 50) - (b.order ?? 50))) {
    try {
      out.push(<div class={`slot slot-${card.plugin}`}>{await card.render(inst)}</div>);
    } catch (e) {
      out.push(
        <div class="slot muted">
          {card.plugin}: {(e as Error).message}
        </div>,
      );
    }
  }
  return out;
}

/** The part of the backup plugin's "backup.status" service the checklist reads (the core imports no plugin). */
interface BackupStatus {
  lastBackup(id: number): Promise<unknown | null>;
  lastVerifiedRestore(id: number): Promise<unknown | null>;
}
const backupStatus = defineService<BackupStatus>("backup.status");

/**
 * The first-run checklist: server → instance → first backup → first restore test, each step a
 * link to where it is done. Gone once every step is done.
 */
async function gettingStarted(core: Core, visible: InstanceHandle[]): Promise<Child> {
  const servers = await core.registry.servers();
  const status = core.service(backupStatus);
  const first = visible.find((i) => i.production) ?? visible[0];
  const tab = (plugin: string, label: string) =>
    first
      ? instanceTabs(core, first.id).find((t) => t.href.startsWith(`/p/${plugin}/`) && t.label === label)
      : undefined;
  const backups = tab("backup", "Backups");
  const tests = tab("backup", "Restore tests");
  const anyBackup = status && first ? !!(await status.lastBackup(first.id)) : false;
  const anyRestore = status && first ? !!(await status.lastVerifiedRestore(first.id)) : false;
  const steps: Array<{ done: boolean; label: string; href?: string; action: string }> = [
    {
      done: servers.length > 0,
      label: "Add the server Odoo runs on",
      href: "/servers",
      action: "Add a server",
    },
    {
      done: visible.length > 0,
      label: "Find its Odoo instances",
      href: servers[0] ? `/servers/${servers[0].id}/discover` : undefined,
      action: "Discover instances",
    },
    ...(status
      ? [
          {
            done: anyBackup,
            label: first ? `Take the first backup of ${first.name}` : "Take a first backup",
            href: backups ? `${backups.href}#backup-now` : undefined,
            action: "Back up now",
          },
          {
            done: anyRestore,
            label: "Prove it restores: run a restore test",
            href: anyBackup ? tests?.href : undefined,
            action: "Run a restore test",
          },
        ]
      : []),
  ];
  if (steps.every((s) => s.done)) return null;
  const next = steps.find((s) => !s.done);
  return (
    <Card title="Getting started" id="getting-started">
      <ol class="checklist">
        {steps.map((s) => (
          <li class={s.done ? "done" : s === next ? "next" : ""}>
            <StatusIcon kind={s.done ? "ok" : "muted"} label={s.done ? "done" : "to do"} /> {s.label}
            {s === next && s.href ? (
              <>
                {" "}
                <a class="button" href={s.href}>
                  {s.action}
                </a>
              </>
            ) : null}
          </li>
        ))}
      </ol>
    </Card>
  );
}

export function dashboardPages(core: Core): Hono<Env> {
  const app = new Hono<Env>();
  app.get("/", async (c) => {
    const p = c.get("principal")!;
    const all = await core.registry.list();
    const visible = await visibleTo(core, p, all, (i) => i.id);
    const cards = await Promise.all(visible.map(async (i) => ({ i, slots: await instanceCards(core, i) })));
    const ops = (await core.operations.list(8)).filter(
      (o) => o.instanceId == null || visible.some((v) => v.id === o.instanceId),
    );
    const guide = await gettingStarted(core, visible);
    return renderPage(core, c, {
      title: "Dashboard",
      body: (
        <div class="stack">
          <h1>Dashboard</h1>
          {guide}
          {visible.length === 0 ? (
            <Card>
              <Empty title="No Odoo instance yet.">
                <p>Add the server Odoo runs on, then discover or add its instances.</p>
                <p>
                  <a class="button" href="/servers">
                    Add a server
                  </a>{" "}
                  <a class="button secondary" href="/instances">
                    Instances
                  </a>
                </p>
              </Empty>
            </Card>
          ) : (
            <div class="grid" id="instance-cards">
              {cards.map(({ i, slots }) => (
                <Card
                  title={<a href={`/instances/${i.id}`}>{i.name}</a>}
                  class="instance-card"
                  actions={i.production ? <ProdMarker /> : <Badge>non-production</Badge>}
                >
                  <p class="muted">
                    {i.serverName} · <code>{i.confPath}</code>
                  </p>
                  {slots}
                </Card>
              ))}
            </div>
          )}
          <Card title="Recent operations" actions={<a href="/operations">All operations</a>}>
            <OperationsTable rows={ops} empty="Nothing has run yet." />
          </Card>
        </div>
      ),
    });
  });

  app.get("/search", async (c) => {
    const q = (c.req.query("q") ?? "").trim().toLowerCase();
    const p = c.get("principal")!;
    const pages = corePages(core, p.role);
    const instances = (await visibleTo(core, p, await core.registry.list(), (i) => i.id)).filter(
      (i) => i.name.toLowerCase().includes(q) || i.serverName.toLowerCase().includes(q),
    );
    const hits = pages.filter((x) => x.label.toLowerCase().includes(q));
    return renderPage(core, c, {
      title: `Search: ${q}`,
      body: (
        <div class="stack">
          <h1>Search results for “{q}”</h1>
          <Card title="Instances">
            {instances.length ? (
              <ul>
                {instances.map((i) => (
                  <li>
                    <a href={`/instances/${i.id}`}>{i.name}</a> <span class="muted">on {i.serverName}</span>
                  </li>
                ))}
              </ul>
            ) : (
              <p class="muted">No instance matches.</p>
            )}
          </Card>
          <Card title="Pages">
            {hits.length ? (
              <ul>
                {hits.map((h) => (
                  <li>
                    <a href={h.href}>{h.label}</a>
                  </li>
                ))}
              </ul>
            ) : (
              <p class="muted">No page matches.</p>
            )}
          </Card>
        </div>
      ),
    });
  });
  // The command palette's list (/ or Ctrl+K): pages, instances and each instance's tabs, which the
  // browser filters as the user types ("back up prod" finds "Backups · prod").
  app.get("/palette.json", async (c) => {
    const p = c.get("principal")!;
    const items: Array<{ label: string; href: string; kind: string }> = corePages(core, p.role).map((x) => ({
      ...x,
      kind: "page",
    }));
    for (const i of await visibleTo(core, p, await core.registry.list(), (i) => i.id)) {
      items.push({ label: i.name, href: `/instances/${i.id}`, kind: "instance" });
      for (const t of instanceTabs(core, i.id).slice(1))
        items.push({ label: `${t.label} · ${i.name}`, href: t.href, kind: "action" });
    }
    c.header("Cache-Control", "no-store");
    return c.json(items);
  });
  return app;
}

/** The pages a user of this role can open, for search and the command palette. */
function corePages(core: Core, role: string): Array<{ label: string; href: string }> {
  return [
    { label: "Dashboard", href: "/" },
    { label: "Instances", href: "/instances" },
    { label: "Servers", href: "/servers" },
    { label: "Operations", href: "/operations" },
    { label: "Jobs", href: "/jobs" },
    { label: "API tokens", href: "/tokens" },
    { label: "Plugins", href: "/plugins" },
    { label: "Your account", href: "/account" },
    ...(role === "admin"
      ? [
          { label: "Users", href: "/users" },
          { label: "Settings", href: "/settings" },
          { label: "Audit log", href: "/audit" },
        ]
      : []),
    ...core
      .navEntries()
      .filter((n) => n.scope === "global")
      .map((n) => ({ label: n.label, href: `/p/${n.plugin}${n.path}` })),
  ];
}

import { getCookie } from "hono/cookie";
import type { Child } from "hono/jsx";
import type { Core } from "../core.ts";
import type { AppContext, PageOptions, Principal } from "../sdk/types.ts";
import { visibleTo } from "../auth/visible.ts";
import { Flash } from "../../views/components/ui.tsx";
import { Layout, type NavLink, type SidebarGroup } from "../../views/layout.tsx";
import { ViewCtx } from "../../views/request-context.ts";
import { roleAtLeast } from "../auth/roles.ts";
import { ASSET_VERSION } from "./assets.ts";
import { isHtmx } from "./respond.ts";

const CORE_NAV: NavLink[] = [
  { label: "Dashboard", href: "/" },
  { label: "Instances", href: "/instances" },
  { label: "Servers", href: "/servers" },
  { label: "Operations", href: "/operations" },
  { label: "Jobs", href: "/jobs" },
];

async function sidebarGroups(core: Core, p: Principal): Promise<SidebarGroup[]> {
  const rows = await visibleTo(core, p, await core.registry.instanceRows(), (r) => r.id);
  const groups = new Map<string, SidebarGroup>();
  for (const r of rows) {
    const name = r.group_name || "Instances";
    if (!groups.has(name)) groups.set(name, { name, instances: [] });
    groups.get(name)!.instances.push({ id: r.id, name: r.name, production: !!r.production });
  }
  return [...groups.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function instanceTabs(core: Core, instanceId: number): NavLink[] {
  return [
    { label: "Overview", href: `/instances/${instanceId}` },
    ...core
      .navEntries()
      .filter((n) => n.scope === "instance")
      .map((n) => ({ label: n.label, href: `/p/${n.plugin}/i/${instanceId}${n.path}` })),
  ];
}

/** A full page in the layout, or just the body (and flash) for an htmx request. */
export async function renderPage(
  core: Core,
  c: AppContext,
  opts: PageOptions & { status?: number },
): Promise<Response> {
  const p = c.get("principal");
  const csrf = c.get("csrf");
  const status = (opts.status ?? 200) as any;
  if (isHtmx(c) && c.req.header("HX-Boosted") !== "true") {
    const frag: Child = (
      <ViewCtx.Provider value={{ csrf, username: p?.username ?? null, role: p?.role ?? null }}>
        {opts.flash ? <Flash {...opts.flash} /> : null}
        {opts.body}
      </ViewCtx.Provider>
    );
    return c.html(frag as any, status);
  }
  const plugNav = p
    ? core.navEntries().filter((n) => n.scope === "global" && roleAtLeast(p.role, n.minRole ?? "viewer"))
    : [];
  let instance: { id: number; name: string; production: boolean; tabs: NavLink[] } | null = null;
  if (opts.instanceId != null && p) {
    const row = await core.registry.instanceRow(opts.instanceId).catch(() => null);
    if (row)
      instance = {
        id: row.id,
        name: row.name,
        production: !!row.production,
        tabs: instanceTabs(core, row.id),
      };
  }
  const admin = p?.role === "admin";
  return c.html(
    <Layout
      title={opts.title}
      body={opts.body}
      path={c.req.path}
      user={p ? { username: p.username, role: p.role } : null}
      csrf={csrf}
      globalNav={
        p ? [...CORE_NAV, ...plugNav.map((n) => ({ label: n.label, href: `/p/${n.plugin}${n.path}` }))] : []
      }
      adminNav={
        p
          ? [
              ...(admin ? [{ label: "Users", href: "/users" }] : []),
              { label: "API tokens", href: "/tokens" },
              { label: "Plugins", href: "/plugins" },
              ...(admin ? [{ label: "Settings", href: "/settings" }] : []),
              ...(admin ? [{ label: "Audit log", href: "/audit" }] : []),
            ]
          : []
      }
      groups={p ? await sidebarGroups(core, p) : []}
      instance={instance}
      flash={opts.flash}
      assetVersion={ASSET_VERSION}
      theme={getCookie(c, "odoodeck_theme") ?? null}
    />,
    status,
  );
}

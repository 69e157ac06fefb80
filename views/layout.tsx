import type { Child } from "hono/jsx";
import { Badge, Flash, ProdMarker } from "./components/ui.tsx";
import { ViewCtx } from "./request-context.ts";

export interface NavLink {
  label: string;
  href: string;
}

export interface SidebarGroup {
  name: string;
  instances: Array<{ id: number; name: string; production: boolean }>;
}

export interface LayoutProps {
  title: string;
  body: Child;
  path: string;
  user: { username: string; role: string } | null;
  csrf: string | null;
  globalNav: NavLink[];
  adminNav: NavLink[];
  groups: SidebarGroup[];
  instance?: { id: number; name: string; production: boolean; tabs: NavLink[] } | null;
  flash?: { kind: "ok" | "error" | "info"; message: string; hint?: string; code?: string } | null;
  assetVersion: string;
  /** "light" | "dark" from the user's toggle (a cookie); null follows the system. */
  theme?: string | null;
}

const isActive = (path: string, href: string) =>
  href === "/" ? path === "/" : path === href || path.startsWith(`${href}/`);

function NavLinks(props: { links: NavLink[]; path: string }) {
  return (
    <ul class="nav">
      {props.links.map((l) => (
        <li>
          <a href={l.href} class={isActive(props.path, l.href) ? "active" : ""}>
            {l.label}
          </a>
        </li>
      ))}
    </ul>
  );
}

function Sidebar(p: LayoutProps) {
  return (
    <nav class="sidebar" aria-label="Main">
      <a class="brand" href="/">
        <span class="logo">◆</span> odoodeck
      </a>
      <NavLinks links={p.globalNav} path={p.path} />
      {p.groups.map((g) => (
        <div class="group">
          <h3>{g.name}</h3>
          <ul class="nav">
            {g.instances.map((i) => (
              <li>
                <a href={`/instances/${i.id}`} class={p.instance?.id === i.id ? "active" : ""}>
                  {i.name}
                  {i.production ? (
                    <span class="prod-dot" title="production">
                      <span class="sr-only">production</span>
                    </span>
                  ) : null}
                </a>
              </li>
            ))}
          </ul>
        </div>
      ))}
      {p.adminNav.length ? (
        <div class="group">
          <h3>Administration</h3>
          <NavLinks links={p.adminNav} path={p.path} />
        </div>
      ) : null}
    </nav>
  );
}

export function Layout(p: LayoutProps) {
  const hxHeaders = p.csrf ? JSON.stringify({ "X-CSRF-Token": p.csrf }) : undefined;
  return (
    <html lang="en" data-theme={p.theme === "dark" || p.theme === "light" ? p.theme : undefined}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${p.title} · odoodeck`}</title>
        <link rel="stylesheet" href={`/assets/app.css?v=${p.assetVersion}`} />
        <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml" />
        <script src={`/assets/htmx.min.js?v=${p.assetVersion}`} defer />
        <script src={`/assets/htmx-sse.js?v=${p.assetVersion}`} defer />
        <script src={`/assets/app.js?v=${p.assetVersion}`} defer />
      </head>
      <body hx-headers={hxHeaders} class={p.user ? "" : "bare"}>
        <a class="skip-link" href="#content">
          Skip to content
        </a>
        <ViewCtx.Provider
          value={{ csrf: p.csrf, username: p.user?.username ?? null, role: p.user?.role ?? null }}
        >
          {p.user ? (
            <div class="shell">
              <input type="checkbox" id="menu-toggle" class="menu-toggle" aria-label="Menu" />
              <Sidebar {...p} />
              <div class="main">
                <header class="topbar">
                  <label for="menu-toggle" class="menu-button" aria-label="Open menu">
                    ☰
                  </label>
                  <form action="/search" method="get" class="search" role="search">
                    <input
                      type="search"
                      name="q"
                      id="palette-input"
                      placeholder="Search or jump to…"
                      title="Press / or Ctrl+K from anywhere"
                      aria-label="Search instances, pages and actions"
                      autocomplete="off"
                      aria-controls="palette-list"
                    />
                    <div id="palette-list" class="palette" role="listbox" hidden />
                  </form>
                  <button type="button" class="icon-button" id="theme-toggle" aria-label="Switch light/dark">
                    <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
                      <path d="M8 1.5a6.5 6.5 0 1 0 0 13z" />
                      <circle cx="8" cy="8" r="6.5" fill="none" />
                    </svg>
                  </button>
                  <div class="user">
                    <a href="/account">{p.user.username}</a> <Badge>{p.user.role}</Badge>
                    <form action="/logout" method="post" class="inline">
                      <input type="hidden" name="_csrf" value={p.csrf ?? ""} />
                      <button class="link">Sign out</button>
                    </form>
                  </div>
                </header>
                {p.instance ? (
                  <div class="instance-head">
                    <h1>
                      {p.instance.name} {p.instance.production ? <ProdMarker /> : null}
                    </h1>
                    <nav class="tabs" aria-label="Instance">
                      {p.instance.tabs.map((t) => (
                        <a href={t.href} class={p.path === t.href ? "active" : ""}>
                          {t.label}
                        </a>
                      ))}
                    </nav>
                  </div>
                ) : null}
                <main id="content" tabindex={-1}>
                  <div id="flash-area" aria-live="polite">
                    {p.flash ? <Flash {...p.flash} /> : null}
                  </div>
                  {p.body}
                </main>
              </div>
            </div>
          ) : (
            <main class="bare-main" id="content" tabindex={-1}>
              <div id="flash-area" aria-live="polite">
                {p.flash ? <Flash {...p.flash} /> : null}
              </div>
              {p.body}
            </main>
          )}
        </ViewCtx.Provider>
      </body>
    </html>
  );
}

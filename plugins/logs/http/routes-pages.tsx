import { Hono } from "hono";
import { AppError, type Env, instanceRoute, toAppError } from "odoodeck/sdk";
import logsCss from "../assets/logs.css" with { type: "text" };
import logsJs from "../assets/logs.js" with { type: "text" };
import { pickSource, sourceKey } from "../sources/instance-logs.ts";
import { parseLogTime } from "../parse/parser.ts";
import { type Ctx, hasCondition, lenientViewRequest, logsOf, sourceOptions, viewRequest } from "./request.ts";
import {
  downloadResponse,
  errorGroups,
  hoursParam,
  searchRequest,
  searchTargets,
  sourceOf,
} from "./routes-shared.ts";
import { searchSources } from "../search/search-sources.ts";
import type { LogsStore } from "../store.ts";
import { hubOf } from "../follow/follow-hub.ts";
import { followCursor, followResponse, streamedResponse } from "./streams.ts";
import { linker, viewHref, viewQuery } from "./view-url.ts";
import { ErrorsPage } from "../views/errors-page.tsx";
import { Earlier, earlierUrl, LogsPage, type Problem } from "../views/logs-page.tsx";
import { Rec, renderRecords } from "../views/record.tsx";
import { searchResultChunks } from "../views/search-results.tsx";
import { SearchPage } from "../views/search-page.tsx";
import { readWindow } from "../read/window.ts";

const baseOf = (id: number) => `/p/logs/i/${id}`;

/**
 * Records a page sends at first (and per "earlier records" request): the fixture log's page went
 * from 744 KB of HTML to about a third; scrolling up loads the window above (issue 16.6).
 */
export const PAGE_RECORDS = 500;

/** A byte offset from the query (`at`), or undefined. */
function offsetParam(raw: string | undefined): number | undefined {
  if (!raw) return undefined;
  if (!/^\d{1,15}$/.test(raw))
    throw new AppError("E_VALIDATION", "at must be a byte offset", { hint: "Follow a line number's link" });
  return Number(raw);
}

/** `before=<dev:ino>:<offset>`: where the records shown start, in which file. */
function beforeParam(raw: string | undefined): { file: string; offset: number } {
  const m = /^(\d+:\d+):(\d{1,15})$/.exec(raw ?? "");
  if (!m)
    throw new AppError("E_VALIDATION", "before must be <dev:inode>:<offset>", {
      hint: "Scroll up in the view: the page builds this link",
    });
  return { file: m[1], offset: Number(m[2]) };
}

export function logsPages(ctx: Ctx, store: LogsStore): Hono<Env> {
  const app = new Hono<Env>();
  // Embedded in the binary (text imports), served by the core at /assets/p/logs/… with a content hash.
  const files = ctx.assets({ "logs.js": logsJs, "logs.css": logsCss });
  const assets = { css: files.url("logs.css"), js: files.url("logs.js") };
  const viewer = instanceRoute(ctx, "viewer");

  app.get("/i/:instance", viewer, async (c) => {
    const inst = c.var.instance;
    const base = baseOf(inst.id);
    const req = lenientViewRequest(c);
    const settings = await ctx.settings();
    const l = await logsOf(store, inst);
    const src = pickSource(l, req.source);
    let problem: Problem | null = req.problem;
    let window = null;
    let at: number | undefined;
    if (src && !problem) {
      try {
        at = src.kind === "file" && !src.compressed ? offsetParam(c.req.query("at")) : undefined;
        window = await readWindow(l.conn, src, {
          filter: req.filter,
          maxRecords: Math.min(settings.max_records, PAGE_RECORDS),
          maxBytes: settings.window_mb * 1024 * 1024,
          signal: c.req.raw.signal,
          at,
        });
      } catch (e) {
        problem = toAppError(e).toJSON();
      }
    }
    const followable =
      window !== null &&
      req.filter.until === undefined &&
      ((window.mode === "tail" && window.cursor !== null) ||
        window.mode === "command" ||
        ((window.mode === "from-time" || window.mode === "at") &&
          window.cursor !== null &&
          window.matched <= window.records.length));
    const q = viewQuery(req.source, req.filter);
    if (window?.cursor) q.set("cursor", window.cursor);
    const p = c.get("principal");
    const admin = await ctx.auth.can(p, "admin", inst.id);
    return ctx.views.page(c, {
      title: `Logs · ${inst.name}`,
      instanceId: inst.id,
      body: (
        <LogsPage
          base={base}
          assets={assets}
          sources={sourceOptions(l)}
          source={src ? sourceKey(src) : null}
          sourceParam={req.source}
          q={req.problem ? req.q : viewQuery(req.source, req.filter)}
          filter={req.filter}
          window={window}
          problem={problem}
          confProblem={l.confProblem}
          followUrl={followable ? `${base}/follow?${q}` : null}
          earlierUrl={earlierUrl(base, req.source, req.filter, window)}
          at={at}
          downloadUrl={src && !req.problem ? viewHref(`${base}/download`, req.source, req.filter) : null}
          link={linker(base, req.source, req.filter)}
          admin={admin ? { extraPaths: await store.extraPaths(inst.id), action: `${base}/paths` } : null}
        />
      ),
    });
  });

  /** The window above the records shown (the view's sentinel row fetches it when scrolled to). */
  app.get("/i/:instance/earlier", viewer, async (c) => {
    const inst = c.var.instance;
    const base = baseOf(inst.id);
    const req = viewRequest(c);
    const before = beforeParam(c.req.query("before"));
    const { l, src } = await sourceOf(store, inst, req.source);
    if (src.kind !== "file" || src.compressed)
      throw new AppError("E_VALIDATION", "Only a plain log file has earlier windows", {
        hint: "Search reads every file, compressed rotations included",
      });
    const settings = await ctx.settings();
    const w = await readWindow(l.conn, src, {
      filter: req.filter,
      maxRecords: Math.min(settings.max_records, PAGE_RECORDS),
      maxBytes: settings.window_mb * 1024 * 1024,
      signal: c.req.raw.signal,
      before: before.offset,
    });
    if (w.file !== before.file)
      throw new AppError("E_CONFLICT", "The log file was rotated since this page was loaded", {
        hint: "Reload the page to view the new file; the old one is listed as a rotation",
      });
    const link = linker(base, req.source, req.filter);
    return c.html(
      <>
        {w.earlier !== null ? <Earlier url={earlierUrl(base, req.source, req.filter, w)!} /> : null}
        {w.records.map((r) => (
          <Rec r={r} link={link} />
        ))}
      </>,
    );
  });

  app.get("/i/:instance/follow", viewer, async (c) => {
    const inst = c.var.instance;
    const req = viewRequest(c);
    const { l, src } = await sourceOf(store, inst, req.source);
    const link = linker(baseOf(inst.id), req.source, req.filter);
    return followResponse(
      c,
      l.conn,
      src,
      req.filter,
      followCursor(c, src),
      (rs) => renderRecords(rs, link),
      hubOf(ctx),
    );
  });

  app.get("/i/:instance/download", viewer, async (c) => {
    const inst = c.var.instance;
    const req = viewRequest(c);
    const { l, src } = await sourceOf(store, inst, req.source);
    await ctx.audit(c, {
      action: "logs.download",
      target: src.kind === "file" ? src.path : src.kind,
      instanceId: inst.id,
      result: "ok",
      details: Object.fromEntries(viewQuery(null, req.filter)),
    });
    return downloadResponse(c, l, src, req.filter);
  });

  app.get("/i/:instance/search", viewer, async (c) => {
    const inst = c.var.instance;
    const base = baseOf(inst.id);
    const req = viewRequest(c);
    const l = await logsOf(store, inst);
    searchTargets(l, req.source); // refuses a source the instance may not read, before anything else
    const q = viewQuery(req.source ?? "all", req.filter);
    return ctx.views.page(c, {
      title: `Search logs · ${inst.name}`,
      instanceId: inst.id,
      body: (
        <SearchPage
          base={base}
          assets={assets}
          sources={sourceOptions(l)}
          source={req.source ?? "all"}
          q={q}
          streamUrl={hasCondition(req.filter) ? `${base}/search/results?${q}` : null}
          max={(await ctx.settings()).search_max_results}
        />
      ),
    });
  });

  app.get("/i/:instance/search/results", viewer, async (c) => {
    const { inst, req, l, targets, max } = await searchRequest(ctx, store, c);
    const ac = new AbortController();
    const chunks = searchResultChunks(
      searchSources(l.conn, targets, req.filter, { max, signal: ac.signal }),
      {
        files: targets.length,
        max,
        signal: ac.signal,
        link: (key) => linker(baseOf(inst.id), key, req.filter),
      },
    );
    return streamedResponse(c, ac, chunks, { "Content-Type": "text/html; charset=utf-8" });
  });

  app.get("/i/:instance/errors", viewer, async (c) => {
    const inst = c.var.instance;
    const base = baseOf(inst.id);
    const settings = await ctx.settings();
    const hours = hoursParam(c, settings.scan_hours);
    const since = c.req.query("since") || null;
    const l = await logsOf(store, inst);
    let problem: Problem | null = null;
    let result: Awaited<ReturnType<typeof errorGroups>> = { groups: [], files: [] };
    try {
      result = await errorGroups(l, { hours, since, signal: c.req.raw.signal });
    } catch (e) {
      problem = toAppError(e).toJSON();
    }
    const now = Date.now() - new Date().getTimezoneOffset() * 60_000;
    const sinceMs = since ? parseLogTime(since) : now - hours * 3_600_000;
    return ctx.views.page(c, {
      title: `Log errors · ${inst.name}`,
      instanceId: inst.id,
      body: (
        <ErrorsPage
          base={base}
          assets={assets}
          hours={hours}
          since={since}
          groups={result.groups}
          files={result.files}
          problem={problem}
          viewHref={(g) =>
            viewHref(`${base}/search`, "all", {
              level: g.level,
              logger: g.logger || undefined,
              ...(sinceMs !== null ? { since: sinceMs } : {}),
            })
          }
        />
      ),
    });
  });

  // The declared operations add and remove paths: admin only, one audit entry, as on REST.
  app.post("/i/:instance/paths", viewer, async (c) => {
    const body = await c.req.parseBody();
    await ctx.operations.invoke(c, "logs.add-path", { instance: c.var.instance.id, path: body.path });
    return c.redirect(baseOf(c.var.instance.id), 303);
  });

  app.post("/i/:instance/paths/delete", viewer, async (c) => {
    const body = await c.req.parseBody();
    await ctx.operations.invoke(c, "logs.remove-path", { instance: c.var.instance.id, path: body.path });
    return c.redirect(baseOf(c.var.instance.id), 303);
  });

  return app;
}

import { Hono } from "hono";
import { type Env, ok, toAppError } from "odoodeck/sdk";
import { recordJson } from "../parse/format.ts";
import { sourceKey, sourceLabel } from "../sources/instance-logs.ts";
import { type Ctx, logsOf, requestInstance, viewRequest } from "./request.ts";
import {
  addPath,
  downloadResponse,
  errorGroups,
  hoursParam,
  removePath,
  searchRequest,
  sourceOf,
} from "./routes-shared.ts";
import type { ErrorScanner } from "../search/scanner.ts";
import { searchSources } from "../search/search-sources.ts";
import type { LogsStore } from "../store.ts";
import { hubOf } from "../follow/follow-hub.ts";
import { followCursor, followResponse, streamedResponse } from "./streams.ts";
import { readWindow } from "../read/window.ts";

/** JSON under /api/v1/logs/i/:instance/…: the same views as the pages, for scripts and the CLI. */
export function logsApi(ctx: Ctx, store: LogsStore, scanner: ErrorScanner): Hono<Env> {
  const app = new Hono<Env>();

  app.get("/i/:instance/sources", async (c) => {
    const inst = await requestInstance(ctx, c);
    const l = await logsOf(store, inst);
    return ok(c, {
      logfile: l.cfg.logfile ?? null,
      confProblem: l.confProblem,
      extraPaths: await store.extraPaths(inst.id),
      sources: l.sources.map((s) => ({ key: sourceKey(s), label: sourceLabel(s), ...s })),
    });
  });

  app.get("/i/:instance/records", async (c) => {
    const inst = await requestInstance(ctx, c);
    const req = viewRequest(c);
    const settings = await ctx.settings();
    const { l, src } = await sourceOf(store, inst, req.source);
    const limit = c.req.query("limit");
    const maxRecords = limit ? Math.max(1, Math.min(Number(limit) || 0, 100_000)) : settings.max_records;
    const w = await readWindow(l.conn, src, {
      filter: req.filter,
      maxRecords,
      maxBytes: settings.window_mb * 1024 * 1024,
      signal: c.req.raw.signal,
    });
    return ok(c, { source: sourceKey(src), ...w, records: w.records.map(recordJson) });
  });

  app.get("/i/:instance/follow", async (c) => {
    const inst = await requestInstance(ctx, c);
    const req = viewRequest(c);
    const { l, src } = await sourceOf(store, inst, req.source);
    return followResponse(
      c,
      l.conn,
      src,
      req.filter,
      followCursor(c, src),
      (rs) => rs.map(recordJson),
      hubOf(ctx),
    );
  });

  /** NDJSON: {"type":"record",…} lines as they are found, then {"type":"done"} or {"type":"error"}. */
  app.get("/i/:instance/search", async (c) => {
    const { req, l, targets, max } = await searchRequest(ctx, store, c, Number(c.req.query("max")));
    const ac = new AbortController();
    async function* lines(): AsyncGenerator<string> {
      yield `${JSON.stringify({ type: "start", sources: targets.map(sourceKey) })}\n`;
      let n = 0;
      try {
        for await (const { source, record } of searchSources(l.conn, targets, req.filter, {
          max,
          signal: ac.signal,
        })) {
          n++;
          yield `${JSON.stringify({ type: "record", source: sourceKey(source), record: recordJson(record) })}\n`;
        }
        yield `${JSON.stringify({ type: "done", count: n, limited: n >= max })}\n`;
      } catch (e) {
        if (!ac.signal.aborted)
          yield `${JSON.stringify({ type: "error", count: n, error: toAppError(e).toJSON() })}\n`;
      }
    }
    return streamedResponse(c, ac, lines(), { "Content-Type": "application/x-ndjson; charset=utf-8" });
  });

  app.get("/i/:instance/download", async (c) => {
    const inst = await requestInstance(ctx, c);
    const req = viewRequest(c);
    const { l, src } = await sourceOf(store, inst, req.source);
    await ctx.audit(c, {
      action: "logs.download",
      target: src.kind === "file" ? src.path : src.kind,
      instanceId: inst.id,
      result: "ok",
    });
    return downloadResponse(c, l, src, req.filter);
  });

  app.get("/i/:instance/errors", async (c) => {
    const inst = await requestInstance(ctx, c);
    const hours = hoursParam(c, (await ctx.settings()).scan_hours);
    const since = c.req.query("since") || null;
    const l = await logsOf(store, inst);
    const r = await errorGroups(l, { hours, since, signal: c.req.raw.signal });
    return ok(c, { hours: since ? null : hours, since, ...r, lastScan: await store.lastScan(inst.id) });
  });

  /** Scans for new error signatures now (as the background loop does) and says what was new. */
  app.post("/i/:instance/scan", async (c) => {
    const inst = await requestInstance(ctx, c, "operator");
    const r = await scanner.scanInstance(inst, c.req.raw.signal);
    await ctx.audit(c, {
      action: "logs.scan",
      target: inst.name,
      instanceId: inst.id,
      result: r.error ? "error" : "ok",
      details: { errors: r.errors, kinds: r.kinds, new: r.newKinds },
    });
    return ok(c, r);
  });

  app.post("/i/:instance/paths", async (c) => {
    const inst = await requestInstance(ctx, c, "admin");
    const body = (await c.req.json().catch(() => ({}))) as { path?: unknown };
    const path = await addPath(ctx, store, c, inst, String(body.path ?? ""));
    return ok(c, { path, extraPaths: await store.extraPaths(inst.id) }, 201);
  });

  app.delete("/i/:instance/paths", async (c) => {
    const inst = await requestInstance(ctx, c, "admin");
    const path = c.req.query("path") ?? "";
    await removePath(ctx, store, c, inst.id, path);
    return ok(c, { extraPaths: await store.extraPaths(inst.id) });
  });

  return app;
}

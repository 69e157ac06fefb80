import { Hono } from "hono";
import { type Env, instanceRoute, ok, toAppError } from "odoodeck/sdk";
import { recordJson } from "../parse/format.ts";
import { sourceKey } from "../sources/instance-logs.ts";
import { errorsAnswer, recordsAnswer, sourcesAnswer } from "./answers.ts";
import { type Ctx, viewRequest } from "./request.ts";
import { downloadResponse, hoursParam, searchRequest, sourceOf } from "./routes-shared.ts";
import { searchSources } from "../search/search-sources.ts";
import type { LogsStore } from "../store.ts";
import { hubOf } from "../follow/follow-hub.ts";
import { followCursor, followResponse, streamedResponse } from "./streams.ts";

/** JSON under /api/v1/logs/i/:instance/…: the same views as the pages, for scripts and the CLI. */
export function logsApi(ctx: Ctx, store: LogsStore): Hono<Env> {
  const app = new Hono<Env>();
  // Every route resolves its instance once; the operations below check their own (higher) role.
  const viewer = instanceRoute(ctx, "viewer");

  app.get("/i/:instance/sources", viewer, async (c) => ok(c, await sourcesAnswer(store, c.var.instance)));

  app.get("/i/:instance/records", viewer, async (c) => {
    const inst = c.var.instance;
    const req = viewRequest(c);
    const raw = c.req.query("limit");
    const limit = raw ? Number(raw) || 0 : undefined;
    return ok(c, await recordsAnswer(ctx, store, inst, { ...req, limit, signal: c.req.raw.signal }));
  });

  app.get("/i/:instance/follow", viewer, async (c) => {
    const inst = c.var.instance;
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
  app.get("/i/:instance/search", viewer, async (c) => {
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

  app.get("/i/:instance/download", viewer, async (c) => {
    const inst = c.var.instance;
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

  app.get("/i/:instance/errors", viewer, async (c) => {
    const inst = c.var.instance;
    const hours = hoursParam(c, (await ctx.settings()).scan_hours);
    const since = c.req.query("since") || null;
    return ok(c, await errorsAnswer(store, inst, { hours, since, signal: c.req.raw.signal }));
  });

  /** Scans for new error signatures now (as the background loop does) and says what was new. */
  app.post("/i/:instance/scan", viewer, async (c) =>
    ok(c, (await ctx.operations.invoke(c, "logs.scan", { instance: c.var.instance.id })).data),
  );

  app.post("/i/:instance/paths", viewer, async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { path?: unknown };
    const input = { instance: c.var.instance.id, path: body.path };
    const r = (await ctx.operations.invoke(c, "logs.add-path", input)).data as {
      path: string;
      extraPaths: string[];
    };
    return ok(c, { path: r.path, extraPaths: r.extraPaths }, 201);
  });

  app.delete("/i/:instance/paths", viewer, async (c) => {
    const input = { instance: c.var.instance.id, path: c.req.query("path") ?? "" };
    return ok(c, (await ctx.operations.invoke(c, "logs.remove-path", input)).data);
  });

  return app;
}

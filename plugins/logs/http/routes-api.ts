import { Hono } from "hono";
import { type Env, ok, toAppError } from "odoodeck/sdk";
import { recordJson } from "../parse/format.ts";
import { sourceKey } from "../sources/instance-logs.ts";
import { errorsAnswer, recordsAnswer, sourcesAnswer } from "./answers.ts";
import { type Ctx, requestInstance, viewRequest } from "./request.ts";
import {
  addPath,
  downloadResponse,
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

/** JSON under /api/v1/logs/i/:instance/…: the same views as the pages, for scripts and the CLI. */
export function logsApi(ctx: Ctx, store: LogsStore, scanner: ErrorScanner): Hono<Env> {
  const app = new Hono<Env>();

  app.get("/i/:instance/sources", async (c) =>
    ok(c, await sourcesAnswer(store, await requestInstance(ctx, c))),
  );

  app.get("/i/:instance/records", async (c) => {
    const inst = await requestInstance(ctx, c);
    const req = viewRequest(c);
    const raw = c.req.query("limit");
    const limit = raw ? Number(raw) || 0 : undefined;
    return ok(c, await recordsAnswer(ctx, store, inst, { ...req, limit, signal: c.req.raw.signal }));
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
    return ok(c, await errorsAnswer(store, inst, { hours, since, signal: c.req.raw.signal }));
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

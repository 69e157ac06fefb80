import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestApp, TestClient } from "../helpers/app.ts";
import { FIXTURES } from "../helpers/fixtures.ts";

export interface LogsInstance {
  id: number;
  dir: string;
  log: string;
  conf: string;
}

let seq = 0;

/** An instance whose odoo.conf `logfile` is a fresh copy of the Odoo 17 fixture log. */
export async function fixtureLogInstance(
  t: TestApp,
  opts: { name?: string; logBody?: string | Uint8Array; container?: string } = {},
): Promise<LogsInstance> {
  const dir = mkdtempSync(join(tmpdir(), "odoodeck-logs-"));
  const log = join(dir, "odoo.log");
  if (opts.logBody !== undefined) writeFileSync(log, opts.logBody);
  else copyFileSync(FIXTURES.log, log);
  const conf = join(dir, "odoo.conf");
  writeFileSync(conf, `[options]\nlogfile = ${log}\ndata_dir = ${dir}/data\n`);
  const id = await t.addLocalInstance({ name: opts.name ?? `logs-${++seq}`, confPath: conf });
  if (opts.container)
    await t.core.db
      .updateTable("instances")
      .set({ container: opts.container })
      .where("id", "=", id)
      .execute();
  return { id, dir, log, conf };
}

/** A line as Odoo 17 writes it, dated now (server-local time) unless `time` is given. */
export function odooLine(
  message: string,
  opts: { level?: string; logger?: string; time?: string; pid?: number } = {},
) {
  const d = new Date(Date.now() - new Date().getTimezoneOffset() * 60_000);
  const time =
    opts.time ?? `${d.toISOString().slice(0, 19).replace("T", " ")},${d.toISOString().slice(20, 23)}`;
  return `${time} ${opts.pid ?? 4242} ${opts.level ?? "INFO"} acme_prod ${opts.logger ?? "odoo.test"}: ${message}\n`;
}

export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

/**
 * A Server-Sent Events client over fetch (as EventSource would be, with Last-Event-ID when given):
 * `until` waits for events until a predicate holds on everything received so far.
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  readonly status: number;
  private readonly ac: AbortController;
  private readonly done: Promise<void>;
  private wake: (() => void) | null = null;
  lastId: string | null = null;

  private constructor(res: Response, ac: AbortController) {
    this.status = res.status;
    this.ac = ac;
    this.done = this.read(res);
  }

  static async open(client: TestClient, path: string, lastEventId?: string | null): Promise<SseClient> {
    const ac = new AbortController();
    const headers: Record<string, string> = { Accept: "text/event-stream" };
    if (client.cookies.size) headers.Cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    if (lastEventId) headers["Last-Event-ID"] = lastEventId;
    const res = await fetch(client.base + path, { headers, signal: ac.signal });
    return new SseClient(res, ac);
  }

  private async read(res: Response) {
    if (!res.body) return;
    const dec = new TextDecoder();
    let buf = "";
    try {
      for await (const chunk of res.body) {
        buf += dec.decode(chunk, { stream: true });
        let end = buf.indexOf("\n\n");
        while (end !== -1) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          end = buf.indexOf("\n\n");
          const ev: SseEvent = { id: null, event: "message", data: "" };
          const data: string[] = [];
          let any = false;
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) continue;
            const i = line.indexOf(":");
            const key = i === -1 ? line : line.slice(0, i);
            const value = i === -1 ? "" : line.slice(i + 1).replace(/^ /, "");
            if (key === "id") ev.id = value;
            else if (key === "event") ev.event = value;
            else if (key === "data") data.push(value);
            else continue;
            any = true;
          }
          if (!any) continue;
          ev.data = data.join("\n");
          if (ev.id !== null) this.lastId = ev.id;
          this.events.push(ev);
          this.wake?.();
        }
      }
    } catch {
      // aborted
    }
    this.wake?.();
  }

  /** Waits until `pred(events)` holds; fails after `ms` with what arrived. */
  async until(pred: (events: SseEvent[]) => boolean, ms = 20_000): Promise<SseEvent[]> {
    const deadline = Date.now() + ms;
    while (!pred(this.events)) {
      if (Date.now() > deadline)
        throw new Error(
          `SSE: condition not met in ${ms} ms; got ${JSON.stringify(this.events).slice(-2000)}`,
        );
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 200);
      });
    }
    return this.events;
  }

  of(type: string): SseEvent[] {
    return this.events.filter((e) => e.event === type);
  }

  async close() {
    this.ac.abort();
    await this.done;
  }
}

import { Hono } from "hono";
import { visibleTo } from "../../auth/visible.ts";
import type { Child } from "hono/jsx";
import { roleAtLeast } from "../../auth/roles.ts";
import type { Core } from "../../core.ts";
import { AppError } from "../../errors.ts";
import { formFlash } from "../../sdk/form-flash.ts";
import { describeCron } from "../../scheduler/scheduler.ts";
import type { AppContext, Env, OperationSnapshot, PageOptions } from "../../sdk/types.ts";
import {
  Badge,
  OperationSteps,
  StatusBadge,
  bytes,
  Card,
  Empty,
  Field,
  Form,
  Progress,
  Select,
  Table,
  Time,
} from "../../../views/components/ui.tsx";
import { instanceTabs, renderPage } from "../../http/render.tsx";
import { sseStream } from "../../http/sse.ts";
import { invokeOperation } from "../../operations/rest.ts";

/** The operations table of the Operations page, the dashboard and an instance's overview. */
export function OperationsTable(props: {
  rows: OperationSnapshot[];
  empty: string;
  id?: string;
  instanceColumn?: boolean;
  actorColumn?: boolean;
  /** Instance names by id, so rows name instances instead of numbering them. */
  names?: Map<number, string>;
}) {
  return (
    <Table
      id={props.id}
      rows={props.rows}
      empty={props.empty}
      columns={[
        {
          label: "Status",
          render: (o) => <StatusBadge status={o.status} />,
        },
        { label: "Operation", render: (o) => <a href={`/operations/${o.id}`}>{o.title}</a> },
        ...(props.instanceColumn
          ? [
              {
                label: "Instance",
                render: (o: OperationSnapshot) =>
                  o.instanceId ? (
                    <a href={`/instances/${o.instanceId}`}>
                      {props.names?.get(o.instanceId) ?? `#${o.instanceId}`}
                    </a>
                  ) : (
                    ""
                  ),
              },
            ]
          : []),
        ...(props.actorColumn
          ? [{ label: "By", class: "hide-narrow", render: (o: OperationSnapshot) => o.actor }]
          : []),
        { label: "Started", render: (o) => <Time at={o.startedAt} /> },
      ]}
    />
  );
}

/** What the plugin that ran the operation shows of its result (e.g. a restore's neutralization report). */
async function pluginResult(core: Core, op: OperationSnapshot): Promise<Child[]> {
  const views = core.operationViews.filter((v) => v.plugin === op.plugin && v.kind === op.kind);
  return Promise.all(views.map((v) => v.render(op)));
}

/** A schedule's parameters as "scope full · prune true", not raw JSON. */
function JobParams(props: { json: string }) {
  let params: Record<string, unknown> = {};
  try {
    params = JSON.parse(props.json || "{}");
  } catch {}
  const parts = Object.entries(params).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(", ") : String(v)}`);
  return parts.length ? <small class="muted block">{parts.join(" · ")}</small> : null;
}

const seconds = (op: OperationSnapshot) =>
  op.finishedAt ? (Date.parse(op.finishedAt) - Date.parse(op.startedAt)) / 1000 : null;

/** What an operation made, from its result: name, database, size, and the plugin's links. */
function ResultFacts(props: { op: OperationSnapshot }) {
  const r = (props.op.result ?? {}) as {
    name?: unknown;
    dbName?: unknown;
    bytes?: unknown;
    neutralized?: unknown;
    links?: Array<{ label: string; href: string }>;
  };
  const took = seconds(props.op);
  const facts: Array<[string, Child]> = [];
  if (typeof r.name === "string") facts.push(["Made", <code>{r.name}</code>]);
  if (typeof r.dbName === "string") facts.push(["Database", <code>{r.dbName}</code>]);
  if (typeof r.bytes === "number") facts.push(["Size", bytes(r.bytes)]);
  if (typeof r.neutralized === "boolean") facts.push(["Neutralized", r.neutralized ? "yes" : "no"]);
  if (took != null) facts.push(["Took", `${took.toFixed(1)} s`]);
  const links = (Array.isArray(r.links) ? r.links : []).filter(
    (l) => typeof l?.href === "string" && l.href.startsWith("/"),
  );
  return (
    <div class="result">
      {facts.length ? (
        <dl class="facts" id="op-result">
          {facts.map(([k, v]) => (
            <>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </>
          ))}
        </dl>
      ) : null}
      {links.length ? (
        <p class="row">
          {links.map((l) => (
            <a class="button secondary" href={l.href}>
              {l.label}
            </a>
          ))}
        </p>
      ) : null}
    </div>
  );
}

export function OperationView(props: {
  op: OperationSnapshot;
  log?: string;
  canCancel: boolean;
  result?: Child;
  instanceName?: string | null;
  /** Where to start the same thing again (the plugin's instance page) when it failed. */
  retryHref?: string | null;
}) {
  const { op } = props;
  const cur = op.steps.find((s) => s.name === op.currentStep);
  // Bytes read reach 100 % before the tool has finished writing: say "finishing", not 100 %.
  const pct = cur?.percent != null && cur.percent < 100 ? cur.percent : null;
  const failed = op.status === "error" || op.status === "interrupted" || op.status === "cancelled";
  return (
    <div id={`op-${op.id}`} class="stack operation" data-status={op.status}>
      <h1>{op.title}</h1>
      <div class="row">
        <StatusBadge status={op.status} />
        <span class="muted">
          {op.instanceId != null ? (
            <>
              on <a href={`/instances/${op.instanceId}`}>{props.instanceName ?? `#${op.instanceId}`}</a>,{" "}
            </>
          ) : null}
          by {op.actor}, started <Time at={op.startedAt} />
          {op.parentId ? (
            <>
              {", part of "}
              <a href={`/operations/${op.parentId}`}>its parent operation</a>
            </>
          ) : (
            ""
          )}
        </span>
        {props.canCancel && op.status === "running" ? (
          <Form
            action={`/operations/${op.id}/cancel`}
            class="inline"
            attrs={{ "hx-post": `/operations/${op.id}/cancel`, "hx-swap": "none" }}
          >
            <button class="danger">Cancel</button>
          </Form>
        ) : null}
      </div>
      {op.status === "running" ? (
        <Progress
          percent={pct}
          label={
            cur
              ? `${cur.name}${pct != null ? ` · ${pct.toFixed(0)}%` : cur.percent != null ? " · finishing" : ""}`
              : "starting"
          }
        />
      ) : null}
      {op.status === "ok" ? <ResultFacts op={op} /> : null}
      {op.error ? (
        <div class="flash flash-error" role="alert">
          <strong>{op.error.message}</strong> <code>{op.error.code}</code>
          {op.error.hint ? <p>{op.error.hint}</p> : null}
          {seconds(op) != null ? <p class="muted">after {seconds(op)!.toFixed(1)} s</p> : null}
        </div>
      ) : null}
      {failed && props.retryHref ? (
        <p>
          <a class="button" href={props.retryHref}>
            Try again
          </a>
        </p>
      ) : null}
      <OperationSteps steps={op.steps} shownError={op.error?.message} />
      {props.result ?? null}
      {props.log !== undefined ? (
        <details open={op.status === "running" || failed}>
          <summary>Log</summary>
          <pre class="log">{props.log || "(no output yet)"}</pre>
        </details>
      ) : null}
    </div>
  );
}

export function opsPages(core: Core): Hono<Env> {
  const app = new Hono<Env>();

  app.get("/operations", async (c) => {
    const q = c.req.query();
    const rows = await visibleTo(core, c.get("principal"), await core.registry.instanceRows(), (r) => r.id);
    const names = new Map(rows.map((r) => [r.id, r.name]));
    const instanceId = q.instance ? Number(q.instance) : undefined;
    const listed = (await core.operations.list(200, instanceId)).filter(
      (o) => !q.status || o.status === q.status,
    );
    const ops = (await visibleTo(core, c.get("principal"), listed, (o) => o.instanceId)).slice(0, 100);
    const statuses = ["running", "ok", "error", "cancelled", "interrupted"];
    return renderPage(core, c, {
      title: "Operations",
      body: (
        <div class="stack">
          <h1>Operations</h1>
          <Card>
            <Form action="/operations" method="get" class="row filters" id="ops-filter">
              <Select
                label="Instance"
                name="instance"
                value={q.instance ?? ""}
                options={[
                  { value: "", label: "all" },
                  ...rows.map((r) => ({ value: String(r.id), label: r.name })),
                ]}
              />
              <Select
                label="Status"
                name="status"
                value={q.status ?? ""}
                options={[{ value: "", label: "any" }, ...statuses]}
              />
              <button class="secondary">Filter</button>
            </Form>
            <OperationsTable
              id="operations"
              rows={ops}
              names={names}
              empty="No operation matches."
              instanceColumn
              actorColumn
            />
          </Card>
        </div>
      ),
    });
  });

  app.get("/operations/:id", async (c) => {
    const found = await core.operations.load(c.req.param("id"));
    if (!found) throw new AppError("E_NOT_FOUND", "No such operation");
    const snap = found.snap;
    if (snap.instanceId != null) await core.requireRole(c.get("principal"), "viewer", snap.instanceId);
    const canCancel = await core.can(c.get("principal"), "operator", snap.instanceId);
    const inst =
      snap.instanceId != null ? await core.registry.instanceRow(snap.instanceId).catch(() => null) : null;
    // Retry where it was started: the plugin's own tab of the instance.
    const retryHref =
      inst && snap.plugin
        ? (instanceTabs(core, inst.id).find((t) => t.href.startsWith(`/p/${snap.plugin}/`))?.href ?? null)
        : null;
    const result = await pluginResult(core, snap);
    const body = (
      <OperationView
        op={snap}
        log={found.log}
        canCancel={canCancel}
        instanceName={inst?.name ?? null}
        retryHref={retryHref}
        result={result}
      />
    );
    // While running, the fragment refreshes itself; SSE tells the page when something changed.
    return renderPage(core, c, {
      title: snap.title,
      body:
        snap.status === "running" ? (
          <div
            hx-get={`/operations/${snap.id}`}
            hx-trigger="every 1s"
            hx-swap="innerHTML"
            hx-select={`#op-${snap.id}`}
          >
            {body}
          </div>
        ) : (
          body
        ),
    });
  });

  // Cancelling and the schedule actions run their operations (operations.cancel, jobs.*) through
  // the executor: the same role, refusal and audit entry as REST, the CLI and MCP.
  const run = (c: AppContext, id: string, input: Record<string, unknown>) =>
    invokeOperation(core, c, id, input).then((r) => r.data);
  app.post("/operations/:id/cancel", async (c) => {
    const id = c.req.param("id");
    const { cancelled } = (await run(c, "operations.cancel", { id })) as { cancelled: boolean };
    if (c.req.header("HX-Request")) return c.body(null, 204);
    return c.redirect(`/operations/${id}?cancelled=${cancelled ? 1 : 0}`, 303);
  });

  const jobsPage = async (c: AppContext, flash: PageOptions["flash"] = null, status = 200) => {
    const defs = core.scheduler.definitions();
    const title = (key: string) => defs.find((d) => d.key === key)?.title ?? key;
    const schedules = await core.scheduler.listSchedules();
    const runs = await core.scheduler.listRuns(50);
    const instances = await visibleTo(
      core,
      c.get("principal"),
      await core.registry.instanceRows(),
      (r) => r.id,
    );
    return renderPage(core, c, {
      title: "Jobs",
      status,
      flash,
      body: (
        <div class="stack">
          <h1>Jobs</h1>
          <Card title="Schedules">
            <Table
              id="schedules"
              rows={schedules}
              empty="Nothing is scheduled."
              columns={[
                {
                  label: "Job",
                  render: (s) => (
                    <>
                      <strong title={s.job}>{title(s.job)}</strong>
                      <JobParams json={s.params} />
                    </>
                  ),
                },
                {
                  label: "Instance",
                  render: (s) =>
                    s.instance_id
                      ? (instances.find((i) => i.id === s.instance_id)?.name ?? `#${s.instance_id}`)
                      : "—",
                },
                {
                  label: "When",
                  render: (s) => (
                    <span title={s.cron}>
                      {s.description} ({s.timezone})
                    </span>
                  ),
                },
                { label: "Next", render: (s) => (s.next ? <Time at={s.next} /> : <Badge>paused</Badge>) },
                { label: "Last run", render: (s) => <Time at={s.last_run_at} /> },
                {
                  label: "",
                  render: (s) => (
                    <div class="row">
                      <Form action={`/jobs/schedules/${s.id}/run`} class="inline">
                        <button class="secondary">Run now</button>
                      </Form>
                      <Form
                        action={`/jobs/schedules/${s.id}/${s.enabled ? "pause" : "resume"}`}
                        class="inline"
                      >
                        <button class="secondary">{s.enabled ? "Pause" : "Resume"}</button>
                      </Form>
                      <Form action={`/jobs/schedules/${s.id}/delete`} class="inline">
                        <button class="secondary" data-confirm="Delete this schedule?">
                          Delete
                        </button>
                      </Form>
                    </div>
                  ),
                },
              ]}
            />
          </Card>
          <Card title="Add a schedule">
            {defs.length === 0 ? (
              <Empty title="No plugin offers a job yet." />
            ) : (
              <Form action="/jobs/schedules">
                <Select
                  label="Job"
                  name="job"
                  options={defs.map((d) => ({
                    value: d.key,
                    label: `${d.title ?? d.key} — ${d.description}`,
                  }))}
                />
                <Select
                  label="Instance (for per-instance jobs)"
                  name="instance"
                  options={[
                    { value: "", label: "—" },
                    ...instances.map((i) => ({ value: String(i.id), label: i.name })),
                  ]}
                />
                <Field
                  label="Schedule (cron)"
                  name="cron"
                  value="0 2 * * *"
                  required
                  hint={`minute hour day month weekday — "0 2 * * *" is ${describeCron("0 2 * * *")}`}
                />
                <Field label="Time zone" name="timezone" value="UTC" hint="IANA name, e.g. Europe/Brussels" />
                <button>Add schedule</button>
              </Form>
            )}
          </Card>
          <Card title="Recent runs">
            <Table
              id="runs"
              rows={runs}
              empty="No job has run yet."
              columns={[
                { label: "Status", render: (r) => <StatusBadge status={r.status} /> },
                { label: "Job", render: (r) => <span title={r.job}>{title(r.job)}</span> },
                {
                  label: "Instance",
                  render: (r) =>
                    r.instance_id ? (
                      <a href={`/instances/${r.instance_id}`}>
                        {instances.find((i) => i.id === r.instance_id)?.name ?? `#${r.instance_id}`}
                      </a>
                    ) : (
                      "—"
                    ),
                },
                { label: "Trigger", render: (r) => r.trigger },
                { label: "Started", render: (r) => <Time at={r.started_at} /> },
                { label: "Summary", render: (r) => r.summary ?? "" },
              ]}
            />
          </Card>
        </div>
      ),
    });
  };
  app.get("/jobs", (c) => jobsPage(c));
  app.post("/jobs/schedules", async (c) => {
    const f = await c.req.parseBody();
    try {
      await run(c, "jobs.add", {
        job: String(f.job),
        instanceId: f.instance ? Number(f.instance) : null,
        cron: String(f.cron ?? ""),
        timezone: String(f.timezone || "UTC"),
      });
      return jobsPage(c, { kind: "ok", message: "Schedule added." });
    } catch (e) {
      return jobsPage(c, formFlash(e), 400);
    }
  });
  app.post("/jobs/schedules/:id/:action", async (c) => {
    const schedule = Number(c.req.param("id"));
    const action = c.req.param("action");
    if (action === "run") {
      await run(c, "jobs.run", { schedule, background: true });
      const row = (await core.scheduler.listSchedules()).find((s) => s.id === schedule);
      return jobsPage(c, {
        kind: "info",
        message: `${row?.job ?? "The job"} started; its run appears below.`,
      });
    }
    if (action === "pause" || action === "resume")
      await run(c, "jobs.set-enabled", { schedule, enabled: action === "resume" });
    else if (action === "delete") await run(c, "jobs.remove", { schedule });
    else throw new AppError("E_NOT_FOUND", `Unknown action ${action}`);
    return jobsPage(c, { kind: "ok", message: "Schedule updated." });
  });

  // Live updates for every page: one SSE stream, resumable with Last-Event-ID.
  app.get("/events", async (c) => {
    const last = Number(c.req.header("Last-Event-ID") ?? c.req.query("lastEventId") ?? 0);
    // Events about an instance reach only users who may view that instance.
    const p = c.get("principal")!;
    const everything = roleAtLeast(p.role, "viewer");
    const granted = new Set(
      everything
        ? []
        : (
            await core.db.selectFrom("grants").select("instance_id").where("user_id", "=", p.userId).execute()
          ).map((g) => g.instance_id as number),
    );
    const visible = (payload: unknown) => {
      const id = (payload as { instanceId?: number | null } | null)?.instanceId;
      if (id != null && p.instances && !p.instances.includes(id)) return false; // a scoped token
      return everything || id == null || granted.has(id);
    };
    return sseStream(c.req.raw.signal, (send) => {
      for (const e of core.bus.since(last))
        if (visible(e.payload)) send({ id: String(e.id), event: e.name, data: e.payload });
      return core.bus.onAny((e) => {
        if (visible(e.payload)) send({ id: String(e.id), event: e.name, data: e.payload });
      });
    });
  });

  return app;
}

/**
 * The instance page's "Runtime" card: the lifecycle state, the last readiness time, and Start /
 * Stop / Restart for operators of that instance. It loads after the page (hx-trigger=load) so a
 * slow server never holds the page up. Stop on a production instance asks for its name.
 */
import { Card, Form, StatusBadge } from "../../views/components/ui.tsx";
import type { CardSpec, InstanceHandle } from "../sdk/types.ts";
import type { LifecycleState, Readiness } from "./types.ts";

/** A lifecycle word in the one status map's terms: a runtime that runs is fine, not "in progress". */
const asStatus = (state: LifecycleState): string => (state === "running" ? "ok" : state);

/** Mount point on the instance page. */
export function RuntimeSlot(p: { instanceId: number }) {
  return (
    <div id="runtime" hx-get={`/instances/${p.instanceId}/runtime`} hx-trigger="load" hx-swap="innerHTML" />
  );
}

export function LifecycleBadge(p: { state: LifecycleState }) {
  return (
    <span data-lifecycle={p.state}>
      <StatusBadge status={asStatus(p.state)} label={p.state} />
    </span>
  );
}

export function RuntimeCard(p: {
  instance: { id: number; name: string; production: boolean };
  label: string | null;
  life: { state: LifecycleState; detail: string } | null;
  ready: Readiness | null;
  canOperate: boolean;
}) {
  const base = `/instances/${p.instance.id}/runtime`;
  const post = (action: string) => ({
    "hx-post": `${base}/${action}`,
    "hx-target": "#runtime",
    "hx-swap": "innerHTML",
  });
  if (!p.life)
    return (
      <Card title="Runtime">
        <p class="muted">
          No systemd unit or container is on record: odoodeck cannot start or stop this instance.
        </p>
      </Card>
    );
  return (
    <Card title="Runtime">
      <p>
        <LifecycleBadge state={p.life.state} /> <span class="muted">{p.label}</span> — {p.life.detail}
      </p>
      {p.ready ? <p class="muted">Last start ready in {p.ready.readyMs} ms.</p> : null}
      {p.canOperate ? (
        <div class="actions">
          <Form action={`${base}/start`} attrs={post("start")}>
            <button type="submit">Start</button>
          </Form>
          <Form action={`${base}/restart`} attrs={post("restart")}>
            <button type="submit" class="secondary">
              Restart
            </button>
          </Form>
          <Form action={`${base}/stop`} attrs={post("stop")}>
            {p.instance.production ? (
              <input
                name="confirm"
                placeholder={`Type ${p.instance.name} to stop`}
                aria-label="Confirm stop"
              />
            ) : null}
            <button type="submit" class="danger">
              Stop
            </button>
          </Form>
        </div>
      ) : null}
    </Card>
  );
}

/** The lifecycle state on every instance card (dashboard and "At a glance"); none without a runtime. */
export function lifecycleCard(runtimes: {
  lifecycle(i: InstanceHandle): Promise<{ state: LifecycleState; detail: string } | null>;
}): CardSpec {
  return {
    order: 0,
    async render(instance) {
      const life = await runtimes.lifecycle(instance).catch(() => null);
      return life ? <LifecycleBadge state={life.state} /> : null;
    },
  };
}

import { ui } from "../../../server/sdk/index.ts";
import type { Status } from "../types.ts";

const KIND = { ok: "ok", unknown: "muted", warning: "warn", critical: "error" } as const;

/** A status light with its word (colour is never the only signal). */
export function StatusLight(props: { status: Status }) {
  return (
    <span class={`health-light health-${props.status}`} data-status={props.status}>
      <ui.Badge kind={KIND[props.status]} icon>
        {props.status}
      </ui.Badge>
    </span>
  );
}

export const pct = (v: number | null | undefined) => (v == null ? "—" : `${v}%`);

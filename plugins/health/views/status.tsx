import { ui } from "../../../server/sdk/index.ts";
import type { Status } from "../types.ts";

/** A status light with its word (colour is never the only signal). */
export function StatusLight(props: { status: Status }) {
  return (
    <span class={`health-light health-${props.status}`} data-status={props.status}>
      <ui.StatusBadge status={props.status} />
    </span>
  );
}

export const pct = (v: number | null | undefined) => (v == null ? "—" : `${v}%`);

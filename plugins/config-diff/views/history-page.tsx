import { ui } from "odoodeck/sdk";
import type { TimelineItem } from "../snapshots.ts";
import { Value } from "./parts.tsx";

/** What changed when, newest first. Secret changes show as "changed" without values. */
export function HistoryPage(props: { items: TimelineItem[]; base: string }) {
  return (
    <ui.Card
      title="Configuration history"
      actions={<a href={`${props.base}/config`}>Current configuration</a>}
    >
      {props.items.length ? (
        <ol class="stack" id="timeline">
          {props.items.map((it) => (
            <li data-snapshot={it.id}>
              <strong>
                <ui.Time at={it.takenAt} />
              </strong>{" "}
              <small class="muted">
                via {it.source}, last seen <ui.Time at={it.lastSeenAt} />
              </small>
              {it.first ? (
                <p class="muted">First snapshot.</p>
              ) : (
                <ul>
                  {it.changes.map((c) => (
                    <li data-change={`${c.scope}:${c.entry.key}`}>
                      <ui.Badge kind="info">{c.scope === "conf" ? "odoo.conf" : "parameter"}</ui.Badge>{" "}
                      <code class="mono">{c.entry.key}</code>{" "}
                      {c.entry.status.replace("only-left", "removed").replace("only-right", "added")}
                      {c.entry.status === "changed" ? (
                        <>
                          : <Value v={c.entry.left} /> → <Value v={c.entry.right} />
                        </>
                      ) : null}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ol>
      ) : (
        <p class="muted">Nothing recorded yet: the configuration is snapshotted each time it is read.</p>
      )}
    </ui.Card>
  );
}

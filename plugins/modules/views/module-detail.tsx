import type { Child } from "hono/jsx";
import { ui } from "../../../server/sdk/index.ts";
import type { ModuleStatus } from "../report/report.ts";
import { Flags, StateBadge } from "./module-row.tsx";

/** A collapsible tree: each node opens to its own edges; a module seen higher up is not expanded again. */
function Tree(props: {
  name: string;
  edges: (name: string) => string[];
  link: (name: string) => string;
  seen: Set<string>;
  depth: number;
}): Child {
  const children = props.edges(props.name);
  if (!children.length || props.seen.has(props.name) || props.depth > 12)
    return <a href={props.link(props.name)}>{props.name}</a>;
  const seen = new Set(props.seen).add(props.name);
  return (
    <details open={props.depth < 1}>
      <summary>
        <a href={props.link(props.name)}>{props.name}</a> <span class="muted">({children.length})</span>
      </summary>
      <ul>
        {children.map((c) => (
          <li>
            <Tree name={c} edges={props.edges} link={props.link} seen={seen} depth={props.depth + 1} />
          </li>
        ))}
      </ul>
    </details>
  );
}

export function ModuleDetail(props: { m: ModuleStatus; all: Map<string, ModuleStatus>; base: string }) {
  const { m, all, base } = props;
  const link = (n: string) => `${base}/${n}`;
  return (
    <div>
      <ui.Card
        title={
          <>
            {m.name} <StateBadge state={m.state} />
          </>
        }
      >
        <dl class="facts">
          <dt>Title</dt>
          <dd>{m.title ?? "—"}</dd>
          <dt>Installed version</dt>
          <dd>{m.installedVersion ?? "—"}</dd>
          <dt>Version on disk</dt>
          <dd>{m.diskVersion ?? "—"}</dd>
          <dt>Addons path</dt>
          <dd>
            <code>{m.addonsPath ?? "—"}</code>
          </dd>
          <dt>Author · license</dt>
          <dd>
            {m.author ?? "—"} · {m.license ?? "—"}
          </dd>
          <dt>Last recorded</dt>
          <dd>
            {m.recorded ? (
              <>
                <ui.Time at={m.recorded.recordedAt} /> by {m.recorded.recordedBy} ({m.recorded.version ?? "?"}
                )
              </>
            ) : (
              "never"
            )}
          </dd>
          <dt>Flags</dt>
          <dd>
            <Flags m={m} />
            {m.manifestError ? <p class="muted">{m.manifestError}</p> : null}
          </dd>
        </dl>
      </ui.Card>
      <ui.Card title={`Depends on (${m.depends.length})`}>
        <div id="depends">
          <Tree
            name={m.name}
            edges={(n) => all.get(n)?.depends ?? []}
            link={link}
            seen={new Set()}
            depth={0}
          />
        </div>
      </ui.Card>
      <ui.Card title={`Needed by (${m.dependants.length})`}>
        <div id="dependants">
          <Tree
            name={m.name}
            edges={(n) => all.get(n)?.dependants ?? []}
            link={link}
            seen={new Set()}
            depth={0}
          />
        </div>
      </ui.Card>
    </div>
  );
}

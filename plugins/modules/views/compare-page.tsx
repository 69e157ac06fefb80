import { ui } from "../../../server/sdk/index.ts";
import type { Comparison, ModuleDiff } from "../report/compare.ts";

function DiffTable(props: { id: string; title: string; rows: ModuleDiff[]; left: string; right: string }) {
  const side = (s: ModuleDiff["left"]) => (s ? `${s.state}${s.version ? ` ${s.version}` : ""}` : "—");
  return (
    <ui.Card title={`${props.title} (${props.rows.length})`}>
      <ui.Table
        id={props.id}
        rows={props.rows}
        empty="None."
        columns={[
          { label: "Module", render: (d) => d.name },
          { label: props.left, render: (d) => side(d.left) },
          { label: props.right, render: (d) => side(d.right) },
        ]}
      />
    </ui.Card>
  );
}

export function ComparePage(props: { left: string; right: string; cmp: Comparison }) {
  const { left, right, cmp } = props;
  const t = { left, right };
  return (
    <div>
      <DiffTable id="only-left" title={`Installed only in ${left}`} rows={cmp.onlyLeft} {...t} />
      <DiffTable id="only-right" title={`Installed only in ${right}`} rows={cmp.onlyRight} {...t} />
      <DiffTable
        id="different-versions"
        title="Different installed versions"
        rows={cmp.differentVersions}
        {...t}
      />
      <DiffTable id="different-states" title="Different states" rows={cmp.differentStates} {...t} />
    </div>
  );
}

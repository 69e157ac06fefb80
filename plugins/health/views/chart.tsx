import { downsample, type Point } from "../metrics/downsample.ts";

export const MAX_CHART_POINTS = 300;

const W = 600;
const H = 140;
const PAD = { l: 48, r: 8, t: 10, b: 20 };

const fmt = (v: number) => (Math.abs(v) >= 1000 ? v.toFixed(0) : Number(v.toPrecision(3)).toString());
const hhmm = (t: number) => new Date(t).toISOString().slice(5, 16).replace("T", " ");

/** A line chart as inline SVG (no script, no CDN), at most MAX_CHART_POINTS points drawn. */
export function LineChart(props: {
  title: string;
  unit: string;
  points: Point[];
  warning?: number;
  critical?: number;
}) {
  const pts = downsample(props.points, MAX_CHART_POINTS);
  if (pts.length < 2)
    return (
      <figure class="health-chart">
        <figcaption>{props.title}</figcaption>
        <p class="muted">Not enough data yet.</p>
      </figure>
    );
  const t0 = pts[0].t;
  const t1 = pts[pts.length - 1].t || t0 + 1;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const p of pts) {
    if (p.v < lo) lo = p.v;
    if (p.v > hi) hi = p.v;
  }
  if (lo === hi) hi = lo + 1;
  lo = Math.min(lo, 0);
  const x = (t: number) => PAD.l + ((t - t0) / (t1 - t0 || 1)) * (W - PAD.l - PAD.r);
  const y = (v: number) => PAD.t + (1 - (v - lo) / (hi - lo)) * (H - PAD.t - PAD.b);
  const line = pts.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ");
  const rule = (v: number | undefined, cls: string) =>
    v != null && v >= lo && v <= hi ? (
      <line
        class={cls}
        x1={PAD.l}
        x2={W - PAD.r}
        y1={y(v).toFixed(1)}
        y2={y(v).toFixed(1)}
        stroke-dasharray="4 3"
      />
    ) : null;
  return (
    <figure class="health-chart">
      <figcaption>
        {props.title} ({props.points.length} points
        {props.points.length > pts.length ? `, ${pts.length} drawn` : ""})
      </figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        width="100%"
        role="img"
        aria-label={props.title}
        data-points={pts.length}
      >
        <line x1={PAD.l} x2={PAD.l} y1={PAD.t} y2={H - PAD.b} stroke="currentColor" stroke-opacity="0.3" />
        <line
          x1={PAD.l}
          x2={W - PAD.r}
          y1={H - PAD.b}
          y2={H - PAD.b}
          stroke="currentColor"
          stroke-opacity="0.3"
        />
        <text x={PAD.l - 4} y={PAD.t + 8} text-anchor="end" font-size="10">
          {fmt(hi)} {props.unit}
        </text>
        <text x={PAD.l - 4} y={H - PAD.b} text-anchor="end" font-size="10">
          {fmt(lo)}
        </text>
        <text x={PAD.l} y={H - 4} font-size="10">
          {hhmm(t0)}
        </text>
        <text x={W - PAD.r} y={H - 4} font-size="10" text-anchor="end">
          {hhmm(t1)}
        </text>
        {rule(props.warning, "warn-line")}
        {rule(props.critical, "crit-line")}
        <polyline fill="none" stroke="currentColor" stroke-width="1.5" points={line} />
      </svg>
    </figure>
  );
}

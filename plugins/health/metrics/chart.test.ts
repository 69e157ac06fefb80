import { describe, expect, test } from "bun:test";
import parsePrometheus from "parse-prometheus-text-format";
import { downsample } from "./downsample.ts";
import { addInstanceMetrics, addProcessMetrics, MetricsText } from "./metrics.ts";
import type { CheckResult } from "../types.ts";
import { LineChart, MAX_CHART_POINTS } from "../views/chart.tsx";

const series = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    t: 1_700_000_000_000 + i * 60_000,
    v: 100 + 50 * Math.sin(i / 50) + (i === 7777 ? 5000 : 0),
  }));

describe("downsampling and charts", () => {
  test("10k points become 300, keeping the first, last and the spike", () => {
    const data = series(10_000);
    const out = downsample(data, 300);
    expect(out).toHaveLength(300);
    expect(out[0]).toBe(data[0]);
    expect(out[299]).toBe(data[9_999]);
    expect(out.some((p) => p.v > 5000)).toBe(true);
  });

  test("a chart of 10k points draws at most 300 and renders fast", () => {
    const data = series(10_000);
    const t0 = performance.now();
    const html = String(LineChart({ title: "Response time", unit: "ms", points: data, warning: 2000 }));
    const ms = performance.now() - t0;
    const points = /<polyline[^>]* points="([^"]+)"/.exec(html)![1].split(" ");
    expect(points.length).toBe(MAX_CHART_POINTS);
    expect(html).toContain("10000 points, 300 drawn");
    console.log(`chart of 10,000 points rendered in ${ms.toFixed(1)} ms`);
  });

  test("fewer than two points says so instead of drawing", () => {
    expect(String(LineChart({ title: "Disk", unit: "%", points: [{ t: 1, v: 2 }] }))).toContain(
      "Not enough data yet.",
    );
  });
});

describe("Prometheus exposition", () => {
  const at = new Date().toISOString();
  const r = (
    check: string,
    status: CheckResult["status"],
    value: number | null,
    data?: Record<string, number>,
  ): CheckResult => ({
    instanceId: 3,
    check,
    status,
    value,
    data,
    message: "",
    timedOut: false,
    at,
    durationMs: 1,
  });

  test("the real parser reads every family, with escaped labels", () => {
    const m = new MetricsText();
    addInstanceMetrics(m, { id: 3, name: 'acme "prod"\\eu' }, [
      r("http", "ok", 120, { response_ms: 120 }),
      r("disk", "warning", 12.5, { free_bytes: 5e9 }),
      r("crons", "critical", 15, { lag_seconds: 7200 }),
      r("mail_queue", "ok", 0, { outgoing: 2 }),
      r("mail_exceptions", "warning", 8),
      r("backup_age", "ok", 3, { age_seconds: 10800 }),
    ]);
    addInstanceMetrics(m, { id: 4, name: "down" }, [r("http", "critical", null)]);
    addProcessMetrics(m, Date.now() - 5000);
    const fams = parsePrometheus(m.toString()) as Array<{
      name: string;
      type: string;
      metrics: Array<{ value: string; labels?: Record<string, string> }>;
    }>;
    const fam = (n: string) => fams.find((f) => f.name === n)!;
    expect(fam("odoodeck_instance_up").metrics).toEqual([
      { value: "1", labels: { instance: 'acme "prod"\\eu', instance_id: "3" } },
      { value: "0", labels: { instance: "down", instance_id: "4" } },
    ]);
    expect(fam("odoodeck_instance_up").type).toBe("GAUGE");
    expect(fam("odoodeck_http_response_seconds").metrics[0].value).toBe("0.12");
    expect(fam("odoodeck_disk_free_ratio").metrics[0].value).toBe("0.125");
    expect(fam("odoodeck_cron_lag_seconds").metrics[0].value).toBe("7200");
    expect(fam("odoodeck_mail_exceptions").metrics[0].value).toBe("8");
    expect(fam("odoodeck_backup_age_seconds").metrics[0].value).toBe("10800");
    expect(Number(fam("process_resident_memory_bytes").metrics[0].value)).toBeGreaterThan(1e6);
    expect(Number(fam("odoodeck_uptime_seconds").metrics[0].value)).toBeGreaterThanOrEqual(5);
    const status = fam("odoodeck_health_check_status").metrics.find((x) => x.labels?.check === "crons");
    expect(status?.value).toBe("3");
  });
});

import { describe, expect, test } from "bun:test";
import type { InstanceHandle } from "../../../server/sdk/index.ts";
import { parseDf, parseLoadavg, parseMeminfo } from "../checks/parse.ts";
import { runCheck } from "./runner.ts";
import { advance, INITIAL_STATE, isAlerting, type CheckState } from "./state-machine.ts";
import { effectiveThresholds, evaluate } from "./thresholds.ts";
import type { CheckDef, CheckTarget, Status } from "../types.ts";

const inst = { id: 7, name: "acme" } as InstanceHandle;
const target: CheckTarget = {
  instance: inst,
  baseUrl: async () => "http://x",
  odoo: () => Promise.reject(new Error("no conf")),
  shared: (_key, fn) => fn(),
};

describe("thresholds", () => {
  const disk: CheckDef = {
    id: "disk",
    label: "Disk",
    thresholds: { warning: 15, critical: 5, direction: "below" },
    run: async () => ({ message: "" }),
  };
  test("below-direction: low free space is warning then critical", () => {
    const t = effectiveThresholds(disk);
    expect(evaluate({ value: 40, message: "" }, t)).toBe("ok");
    expect(evaluate({ value: 15, message: "" }, t)).toBe("warning");
    expect(evaluate({ value: 4.9, message: "" }, t)).toBe("critical");
  });
  test("a per-instance override replaces only the limits it sets", () => {
    const t = effectiveThresholds(disk, { check: "disk", warning: 50, critical: null, disabled: false });
    expect(t).toEqual({ warning: 50, critical: 5, direction: "below" });
    expect(evaluate({ value: 40, message: "" }, t)).toBe("warning");
  });
  test("limits computed by the measurement replace the static defaults; an override still wins", async () => {
    const mem: CheckDef = {
      id: "odoo_memory",
      label: "Odoo memory",
      thresholds: { warning: 4096, critical: 8192, direction: "above" },
      run: async () => ({
        value: 3000,
        message: "3000 MB",
        thresholds: { warning: 2800, critical: 3600, direction: "above" },
      }),
    };
    expect((await runCheck(mem, target, { timeoutMs: 1000 })).status).toBe("warning");
    const ov = { check: "odoo_memory", warning: null, critical: 2900, disabled: false };
    expect((await runCheck(mem, target, { timeoutMs: 1000, override: ov })).status).toBe("critical");
    expect(effectiveThresholds(mem, ov)).toEqual({ warning: 4096, critical: 2900, direction: "above" });
  });
  test("an explicit status wins; a missing value with thresholds is unknown", () => {
    expect(evaluate({ status: "critical", value: 1, message: "" }, effectiveThresholds(disk))).toBe(
      "critical",
    );
    expect(evaluate({ value: null, message: "" }, effectiveThresholds(disk))).toBe("unknown");
  });
});

describe("state machine (no flapping)", () => {
  const feed = (statuses: Status[], needed = 3) => {
    let s: CheckState = INITIAL_STATE;
    const changes: string[] = [];
    statuses.forEach((st, i) => {
      const r = advance(s, st, `t${i}`, needed);
      s = r.next;
      if (r.transition) changes.push(`${r.transition.from}->${r.transition.to}`);
    });
    return { s, changes };
  };
  test("the first result is adopted at once", () => {
    expect(feed(["ok"]).changes).toEqual(["null->ok"]);
  });
  test("alternating results never change the state", () => {
    const { s, changes } = feed(["ok", "critical", "ok", "critical", "ok", "critical", "critical", "ok"]);
    expect(changes).toEqual(["null->ok"]);
    expect(s.state).toBe("ok");
  });
  test("three critical in a row change it, three ok recover", () => {
    const { changes, s } = feed(["ok", "critical", "critical", "critical", "ok", "ok", "ok"]);
    expect(changes).toEqual(["null->ok", "ok->critical", "critical->ok"]);
    expect(s.since).toBe("t6");
  });
  test("a streak must be of the same status", () => {
    expect(feed(["ok", "warning", "critical", "warning"]).changes).toEqual(["null->ok"]);
  });
  test("alerts involve warning/critical, including recovery", () => {
    expect(isAlerting({ from: "ok", to: "critical" })).toBe(true);
    expect(isAlerting({ from: "critical", to: "ok" })).toBe(true);
    expect(isAlerting({ from: "ok", to: "unknown" })).toBe(false);
    expect(isAlerting({ from: null, to: "ok" })).toBe(false);
  });
});

describe("runCheck", () => {
  test("a check that hangs forever becomes a timeout result on time", async () => {
    const hang: CheckDef = {
      id: "hang",
      label: "Hang",
      onTimeout: "critical",
      run: () => new Promise(() => {}),
    };
    const t0 = performance.now();
    const r = await runCheck(hang, target, { timeoutMs: 100 });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(r).toMatchObject({ check: "hang", status: "critical", timedOut: true, value: null });
    expect(r.message).toContain("Timeout");
  });
  test("a throwing check is unknown with its message, not an exception", async () => {
    const bad: CheckDef = {
      id: "bad",
      label: "Bad",
      run: async (t) => {
        await t.odoo();
        return { message: "" };
      },
    };
    const r = await runCheck(bad, target, { timeoutMs: 1000 });
    expect(r).toMatchObject({ status: "unknown", message: "no conf", timedOut: false });
  });
  test("thresholds and overrides apply to the measured value", async () => {
    const slow: CheckDef = {
      id: "http",
      label: "HTTP",
      thresholds: { warning: 2000, critical: 5000, direction: "above" },
      run: async () => ({ value: 2500, message: "2500 ms" }),
    };
    expect((await runCheck(slow, target, { timeoutMs: 1000 })).status).toBe("warning");
    expect(
      (
        await runCheck(slow, target, {
          timeoutMs: 1000,
          override: { check: "http", warning: 3000, critical: null, disabled: false },
        })
      ).status,
    ).toBe("ok");
  });
});

describe("parsers", () => {
  test("df -P -B1 with two paths", () => {
    const rows = parseDf(
      "Filesystem     1-blocks        Used   Available Capacity Mounted on\n/dev/sda1  100000000000 90000000000 10000000000      90% /\n/dev/sdb1 50000 1000 49000 2% /srv/odoo data\n",
    );
    expect(rows).toEqual([
      { filesystem: "/dev/sda1", total: 1e11, used: 9e10, free: 1e10, mount: "/" },
      { filesystem: "/dev/sdb1", total: 50000, used: 1000, free: 49000, mount: "/srv/odoo data" },
    ]);
  });
  test("df -Pi skips filesystems without inodes", () => {
    expect(parseDf("Filesystem Inodes IUsed IFree IUse% Mounted on\nbtrfs - - - - /\n")).toEqual([]);
  });
  test("loadavg and meminfo", () => {
    expect(parseLoadavg("0.52 1.25 2.00 1/234 5678\n")).toEqual({ load1: 0.52, load5: 1.25, load15: 2 });
    expect(
      parseMeminfo("MemTotal:       16000000 kB\nMemFree: 100 kB\nMemAvailable:    4000000 kB\n"),
    ).toEqual({ total: 16000000 * 1024, available: 4000000 * 1024 });
  });
});

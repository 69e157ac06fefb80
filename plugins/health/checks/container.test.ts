import { describe, expect, test } from "bun:test";
import { assessContainer, INSPECT_FORMAT, parseInspect } from "./container.ts";

// Output of `docker inspect --type container --format INSPECT_FORMAT <name>` (Docker 24-28):
// State as the Engine API returns it, RestartCount from the container's top level.
const NOW = Date.parse("2026-11-23T10:30:00Z");
const RUNNING_HEALTHY = `{"State":{"Status":"running","Running":true,"Paused":false,"Restarting":false,"OOMKilled":false,"Dead":false,"Pid":48213,"ExitCode":0,"Error":"","StartedAt":"2026-11-20T08:14:03.512984532Z","FinishedAt":"2026-11-20T08:13:58.104772911Z","Health":{"Status":"healthy","FailingStreak":0,"Log":[{"Start":"2026-11-23T10:29:31.204859101Z","End":"2026-11-23T10:29:31.318273634Z","ExitCode":0,"Output":"{\\"status\\": \\"pass\\"}"}]}},"RestartCount":0}
`;
const RESTARTING = `{"State":{"Status":"restarting","Running":true,"Paused":false,"Restarting":true,"OOMKilled":false,"Dead":false,"Pid":0,"ExitCode":1,"Error":"","StartedAt":"2026-11-23T10:29:40.117468221Z","FinishedAt":"2026-11-23T10:29:44.902113573Z"},"RestartCount":14}
`;
const EXITED_OOM = `{"State":{"Status":"exited","Running":false,"Paused":false,"Restarting":false,"OOMKilled":true,"Dead":false,"Pid":0,"ExitCode":137,"Error":"","StartedAt":"2026-11-23T07:02:11.448310022Z","FinishedAt":"2026-11-23T10:12:57.903118455Z"},"RestartCount":2}
`;
const UNHEALTHY = `{"State":{"Status":"running","Running":true,"Paused":false,"Restarting":false,"OOMKilled":false,"Dead":false,"Pid":51122,"ExitCode":0,"Error":"","StartedAt":"2026-11-23T09:00:00.000000001Z","FinishedAt":"0001-01-01T00:00:00Z","Health":{"Status":"unhealthy","FailingStreak":5,"Log":[{"Start":"2026-11-23T10:29:00Z","End":"2026-11-23T10:29:30Z","ExitCode":1,"Output":"curl: (7) Failed to connect to localhost port 8069 after 0 ms: Couldn't connect to server\\n"}]}},"RestartCount":0}
`;
const JUST_RESTARTED = `{"State":{"Status":"running","Running":true,"Paused":false,"Restarting":false,"OOMKilled":false,"Dead":false,"Pid":51900,"ExitCode":0,"Error":"","StartedAt":"2026-11-23T10:27:00.5Z","FinishedAt":"2026-11-23T10:26:58.1Z"},"RestartCount":3}
`;
const CREATED = `{"State":{"Status":"created","Running":false,"Paused":false,"Restarting":false,"OOMKilled":false,"Dead":false,"Pid":0,"ExitCode":0,"Error":"","StartedAt":"0001-01-01T00:00:00Z","FinishedAt":"0001-01-01T00:00:00Z"},"RestartCount":0}
`;

const assess = (json: string) => assessContainer("odoo17", parseInspect(json), NOW);

describe("docker inspect State", () => {
  test("the format asks for State and RestartCount as one JSON object", () => {
    expect(INSPECT_FORMAT).toBe('{"State":{{json .State}},"RestartCount":{{json .RestartCount}}}');
  });

  test("running and healthy: ok, with its pid for the process check", () => {
    const info = parseInspect(RUNNING_HEALTHY);
    expect(info).toMatchObject({ restartCount: 0, state: { Pid: 48213, Status: "running" } });
    expect(assess(RUNNING_HEALTHY)).toEqual({
      status: "ok",
      value: 0,
      data: { running: 1, restart_count: 0, exit_code: 0, oom_killed: 0, healthy: 1 },
      message: "odoo17 is running for 3 days (healthy)",
    });
  });

  test("restarting: critical with its restart count and last exit code", () => {
    expect(assess(RESTARTING)).toMatchObject({
      status: "critical",
      value: 14,
      data: { running: 0, restart_count: 14, exit_code: 1 },
      message: "odoo17 is restarting (restart count 14, last exit code 1)",
    });
  });

  test("exited after an OOM kill: critical, and says so", () => {
    expect(assess(EXITED_OOM)).toMatchObject({
      status: "critical",
      value: 2,
      data: { running: 0, oom_killed: 1, exit_code: 137 },
      message:
        "odoo17 is exited with code 137, killed for lack of memory (OOMKilled) 17 min ago; restarted 2 times",
    });
  });

  test("running but unhealthy: critical with the health check's output", () => {
    expect(assess(UNHEALTHY)).toMatchObject({
      status: "critical",
      data: { running: 1, healthy: 0 },
      message:
        "odoo17 is running but unhealthy (5 failed health checks in a row: curl: (7) Failed to connect to localhost port 8069 after 0 ms: Couldn't connect to server)",
    });
  });

  test("running again 3 minutes after a restart: warning", () => {
    expect(assess(JUST_RESTARTED)).toMatchObject({
      status: "warning",
      value: 3,
      message: "odoo17 is running but restarted 3 min ago (restart count 3)",
    });
  });

  test("created but never started: critical, without a year-1 date", () => {
    expect(assess(CREATED)).toMatchObject({ status: "critical", message: "odoo17 is created" });
  });

  test("output that is not the expected JSON is an error, not a guess", () => {
    expect(() => parseInspect("Template parsing error: template: :1: unexpected")).toThrow(
      "unexpected docker inspect output",
    );
    expect(() => parseInspect('{"RestartCount":0}')).toThrow("docker inspect printed no State");
  });
});

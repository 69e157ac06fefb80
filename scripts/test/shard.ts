/**
 * One shard: a `bun test` process over its files, in a process group of its own (so Ctrl-C, a
 * crash or a leftover child can be dealt with as a group), its output buffered to print whole.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export interface ShardResult {
  index: number;
  files: string[];
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  seconds: number;
  output: string;
  /** Processes it left running after it exited (killed by then). */
  leftovers: number;
}

export interface RunningShard {
  index: number;
  files: string[];
  done: Promise<ShardResult>;
  /** What it printed so far. */
  output(): string;
  /** Signals its whole process group. */
  kill(signal: NodeJS.Signals): void;
}

const killGroup = (pgid: number | undefined, signal: NodeJS.Signals) => {
  if (!pgid) return;
  try {
    process.kill(-pgid, signal);
  } catch {}
};

/**
 * Processes a shard left running: those of its process group, and those naming its temporary
 * folder (PostgreSQL, which pg_ctl starts in a session of its own).
 */
function leftovers(pgid: number, folder: string | undefined): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const [state, , group] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (state === "Z") continue;
      const mine =
        Number(group) === pgid ||
        (!!folder && readFileSync(`/proc/${name}/cmdline`, "utf8").includes(folder));
      if (mine) out.push(Number(name));
    } catch {} // ended meanwhile
  }
  return out;
}

/**
 * Starts `bun test --timeout 60000 <bunArgs> <files>` in `cwd` (files relative to it, or absolute).
 * @example const s = startShard(1, ["server/app.test.ts"], [], { TMPDIR: dir }); await s.done
 */
export function startShard(
  index: number,
  files: string[],
  bunArgs: string[],
  env: Record<string, string>,
  cwd = process.cwd(),
): RunningShard {
  const started = performance.now();
  const child: ChildProcess = spawn(
    process.execPath,
    ["test", "--timeout", "60000", ...bunArgs, ...files.map((f) => (f.startsWith("/") ? f : `./${f}`))],
    { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } },
  );
  const chunks: string[] = [];
  const take = (d: Buffer) => chunks.push(d.toString());
  child.stdout!.on("data", take);
  child.stderr!.on("data", take);
  const pgid = child.pid;
  const done = new Promise<ShardResult>((resolve) => {
    let spawnError = "";
    child.once("error", (e) => {
      spawnError = `could not start bun test: ${e.message}\n`;
    });
    // "exit", not "close": a grandchild that kept the pipes open must not hold the runner.
    child.once("exit", async (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      const left = pgid ? leftovers(pgid, env.TMPDIR) : [];
      for (const pid of left) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {}
      }
      await Bun.sleep(100); // the last output still in the pipes
      child.stdout!.destroy();
      child.stderr!.destroy();
      resolve({
        index,
        files,
        code,
        signal,
        seconds,
        output: spawnError + chunks.join(""),
        leftovers: left.length,
      });
    });
    if (!pgid) child.emit("exit", null, null);
  });
  return {
    index,
    files,
    done,
    output: () => chunks.join(""),
    kill: (signal: NodeJS.Signals) => killGroup(pgid, signal),
  };
}

/** bun's closing lines: "N pass", "N fail", "Ran N tests across N files. […]". */
export function bunSummary(output: string): string {
  const lines = output.split("\n");
  const at = lines.findLastIndex((l) => /^\s*\d+ pass$/.test(l));
  if (at < 0) return "(no bun summary: the process ended before its last test file finished)";
  return lines
    .slice(at)
    .map((l) => l.trim())
    .filter(Boolean)
    .join(", ");
}

/** "(fail) …" lines of a shard's output, once each (bun repeats them under "N tests failed:"). */
export function failedTests(output: string): string[] {
  return [...new Set(output.split("\n").filter((l) => l.startsWith("(fail)")))];
}

/**
 * Which test files each shard runs: the files bun test would find, spread over N shards by their
 * recorded durations, longest first, each onto the shard with the least work so far.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";

/** What bun test picks up: *.test.*, *_test.*, *.spec.*, *_spec.* (js, jsx, ts, tsx, mjs, cjs). */
const TEST_FILE = /(\.|_)(test|spec)\.(c|m)?(j|t)sx?$/;
/** Folders bun test skips too, and ours that never hold tests. */
const SKIP_DIR = /^(node_modules|dist|data|\..*)$/;

/** Test files under `root`, relative, with "/" separators, sorted. */
export function findTestFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!SKIP_DIR.test(e.name)) walk(path);
      } else if (e.isFile() && TEST_FILE.test(e.name)) out.push(path);
    }
  };
  walk("");
  return out.sort();
}

export interface Shard {
  files: string[];
  /** Sum of the files' expected seconds. */
  expected: number;
}

/** Seconds a file without a recorded timing is expected to take: the median of the others. */
export function defaultSeconds(timings: Record<string, number>): number {
  const v = Object.values(timings).sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)] : 5;
}

/**
 * Longest-first greedy assignment. Ties keep the file order, so a plan is the same every run.
 * @example planShards(["a.test.ts", "b.test.ts", "c.test.ts"], { "a.test.ts": 10 }, 2)
 * // → [{ files: ["a.test.ts"], expected: 10 }, { files: ["b.test.ts", "c.test.ts"], … }]
 */
export function planShards(files: string[], timings: Record<string, number>, count: number): Shard[] {
  const fallback = defaultSeconds(timings);
  const cost = (f: string) => timings[f] ?? fallback;
  const shards: Shard[] = Array.from({ length: Math.max(1, Math.min(count, files.length)) }, () => ({
    files: [],
    expected: 0,
  }));
  const byCost = files.map((f, i) => ({ f, i, c: cost(f) })).sort((a, b) => b.c - a.c || a.i - b.i);
  for (const { f, c } of byCost) {
    const least = shards.reduce((min, s) => (s.expected < min.expected ? s : min));
    least.files.push(f);
    least.expected += c;
  }
  for (const s of shards) s.files.sort();
  return shards.filter((s) => s.files.length > 0);
}

import { isSecretKey, MASK } from "./masking.ts";
import type { Logger } from "./sdk/types.ts";

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof LEVELS;
let threshold: number = LEVELS.info;

export function setLogLevel(level: Level): void {
  threshold = LEVELS[level];
}

// Anything that looks like a secret is masked before a log line leaves the process (the same
// rule set as pages and logs: see masking.ts).
function scrub(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = isSecretKey(k) ? MASK : v;
  return out;
}

/** One JSON-ish line per event on stderr: `time level scope message {fields}`. */
export function createLogger(scope: string): Logger {
  const write = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < threshold) return;
    const extra = fields && Object.keys(fields).length ? ` ${JSON.stringify(scrub(fields))}` : "";
    process.stderr.write(
      `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} [${scope}] ${msg}${extra}\n`,
    );
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
  };
}

import type { SettingsSchema } from "odoodeck/sdk";

export const logsSettings = {
  max_records: {
    type: "number",
    label: "Records shown in a view",
    default: 2000,
    min: 50,
    max: 20_000,
    help: "The newest matching records of the window; older ones are reached with a time range or search",
  },
  window_mb: {
    type: "number",
    label: "Bytes read for a view (MB)",
    default: 16,
    min: 1,
    max: 256,
    help: "A view reads at most this much of the end of a file (or from the jump time); search reads everything",
  },
  search_max_results: {
    type: "number",
    label: "Search results at most",
    default: 5000,
    min: 10,
    max: 1_000_000,
  },
  scan_minutes: {
    type: "number",
    label: "Scan for new errors every (minutes)",
    default: 5,
    min: 0,
    max: 1440,
    help: "Looks for error signatures not seen before and announces them (logs.new_error); 0 turns the loop off (the logs.scan-errors job still works)",
  },
  scan_hours: {
    type: "number",
    label: "Errors window (hours)",
    default: 24,
    min: 1,
    max: 24 * 31,
    help: "How far back the scan and the instance card count errors",
  },
} satisfies SettingsSchema;

export type LogsSettings = typeof logsSettings;

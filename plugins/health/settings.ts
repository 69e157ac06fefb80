import type { SettingsSchema } from "../../server/sdk/index.ts";

export const healthSettings = {
  interval_seconds: {
    type: "number",
    label: "Check interval (seconds)",
    default: 60,
    min: 0,
    max: 86_400,
    help: "How often all instances are checked in the background; 0 turns the loop off (the health.check job still works)",
  },
  consecutive: {
    type: "number",
    label: "Results in a row before a state changes",
    default: 3,
    min: 1,
    max: 20,
    help: "Prevents flapping alerts from one slow answer",
  },
  check_timeout_ms: {
    type: "number",
    label: "Default check time limit (ms)",
    default: 15_000,
    min: 100,
    max: 300_000,
  },
  retention_days: {
    type: "number",
    label: "Keep results for (days)",
    default: 31,
    min: 1,
    max: 400,
    help: "Uptime over 30 days needs at least 30",
  },
  mail_stuck_minutes: {
    type: "number",
    label: "Outgoing mail is stuck after (minutes)",
    default: 30,
    min: 1,
    max: 10_000,
  },
} satisfies SettingsSchema;

export type HealthSettings = typeof healthSettings;

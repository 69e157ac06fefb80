import type { SettingsSchema, SettingsValues } from "../../server/sdk/index.ts";

export const settings = {
  retainCount: {
    type: "number",
    label: "Messages kept per mailbox",
    default: 1000,
    min: 1,
    max: 1_000_000,
    help: "The oldest go first; a mailbox can set its own",
  },
  retainMb: { type: "number", label: "MB kept per mailbox", default: 200, min: 1, max: 100_000 },
  retainDays: { type: "number", label: "Days kept", default: 14, min: 1, max: 3650 },
  maxMessageMb: {
    type: "number",
    label: "Largest message accepted (MB)",
    default: 25,
    min: 1,
    max: 200,
    help: "Larger ones are refused with 552 while they arrive; nothing is buffered past this",
  },
  floodPerMinute: {
    type: "number",
    label: "Messages per minute from one client address",
    default: 6000,
    min: 10,
    max: 1_000_000,
    help: "Past this a client gets 421 and is disconnected for the rest of the minute",
  },
  releaseHost: { type: "string", label: "Release: SMTP host", default: "" },
  releasePort: { type: "number", label: "Release: SMTP port", default: 587, min: 1, max: 65535 },
  releaseUser: { type: "string", label: "Release: SMTP user", default: "" },
  releasePassword: { type: "secret", label: "Release: SMTP password", default: "" },
  releaseAllow: {
    type: "string",
    label: "Release: allowed recipients",
    default: "",
    help: "Comma-separated addresses or @domains; a release to anyone else is refused. Empty: nobody",
  },
  inboundUser: {
    type: "string",
    label: "Inbound: Odoo login",
    default: "admin",
    help: "The user odoo-mailgate would run message_process as",
  },
  inboundPassword: { type: "secret", label: "Inbound: password or API key", default: "" },
} satisfies SettingsSchema;

export type MailSettings = typeof settings;
export type MailSettingsValues = SettingsValues<MailSettings>;

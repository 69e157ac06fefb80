/** The plugin's settings (editable on /settings). Secrets are stored sealed by the core. */
import type { SettingsSchema } from "../../server/sdk/index.ts";

export const settings = {
  localDir: {
    type: "string",
    label: "Local backup folder",
    default: "",
    help: "On the odoodeck machine; empty: <data dir>/backups",
  },
  serverDir: {
    type: "string",
    label: "Folder on servers",
    default: "/var/backups/odoodeck",
    help: "Used by the 'server:<instance id>' destination",
  },
  defaultDestinations: {
    type: "string",
    label: "Default destinations",
    default: "local",
    help: "Comma-separated: local, s3, server:<instance id>",
  },
  s3Endpoint: {
    type: "string",
    label: "S3 endpoint",
    default: "",
    help: "e.g. https://s3.eu-west-1.amazonaws.com",
  },
  s3Bucket: { type: "string", label: "S3 bucket", default: "" },
  s3Region: { type: "string", label: "S3 region", default: "us-east-1" },
  s3Prefix: { type: "string", label: "S3 key prefix", default: "odoodeck/" },
  s3AccessKey: { type: "string", label: "S3 access key id", default: "" },
  s3Secret: { type: "secret", label: "S3 secret access key", default: "" },
  filestoreStore: {
    type: "select",
    label: "Filestore in native backups",
    default: "tar",
    options: ["tar", "cas"],
    help: "cas: each file stored once per destination (objects/), a daily backup moves only new files",
  },
  encryptRemote: {
    type: "boolean",
    label: "Encrypt backups that leave this machine",
    default: true,
    help: "age encryption for server and S3 destinations; export the key (backup key export) and keep it safe",
  },
  keepDaily: { type: "number", label: "Keep daily", default: 7, min: 0 },
  keepWeekly: { type: "number", label: "Keep weekly", default: 4, min: 0 },
  keepMonthly: { type: "number", label: "Keep monthly", default: 6, min: 0 },
  pitrKeepBases: {
    type: "number",
    label: "Continuous WAL: base backups kept (here and at each destination)",
    default: 7,
    min: 1,
    help: "Older base backups, and the WAL only they need, are deleted; WAL a destination has not received yet stays here",
  },
  pitrPartialSeconds: {
    type: "number",
    label: "Continuous WAL: ship the segment being written every (seconds)",
    default: 60,
    min: 0,
    help: "A quiet server's last commits reach the destinations within this time, not only when a 16 MB segment fills",
  },
  overdueHours: {
    type: "number",
    label: "Overdue after (hours)",
    default: 26,
    min: 1,
    help: "Alert when no verified backup is this old",
  },
  uploadTtlDays: {
    type: "number",
    label: "Keep uploads (days)",
    default: 7,
    min: 1,
    help: "Uploaded backups older than this are deleted (their uploader can delete them sooner)",
  },
  restoreTestStaleDays: {
    type: "number",
    label: "Restore tests stale after (days)",
    default: 8,
    min: 1,
    help: "Alert (backup.restore_test_stale) when an instance with backups has no passed restore test this old",
  },
  restoreTestOdooBin: {
    type: "string",
    label: "odoo-bin for restore tests",
    default: "",
    help: "Path on the restore-test target; empty: next to its addons_path, then odoo-bin on PATH. Used to boot Odoo on the scratch copy (health, sign-in, measured RTO); skipped when none is found",
  },
} satisfies SettingsSchema;

export type BackupSettings = typeof settings;

import type { PluginContext, SettingsSchema } from "../../server/sdk/index.ts";

export const previewSettings = {
  preview_domain: {
    type: "string",
    label: "Preview domain",
    default: "",
    help: "Wildcard DNS *.<domain> pointing at odoodeck; a preview is served at <name>.<domain>",
  },
  max_running: { type: "number", label: "Running previews at most", default: 5, min: 1 },
  ttl_hours: { type: "number", label: "Lifetime of a preview (hours)", default: 72, min: 1 },
  min_free_disk_mb: { type: "number", label: "Free disk kept (MB)", default: 2048, min: 0 },
  min_free_memory_mb: { type: "number", label: "Free memory kept (MB)", default: 512, min: 0 },
  warm_spare: {
    type: "boolean",
    label: "Keep a warm spare database per template",
    default: true,
    help: "A new preview's database is then ready in milliseconds whatever its size; costs one more copy of each template's database on disk",
  },
  work_root: {
    type: "string",
    label: "Preview folders on the server",
    default: "/var/lib/odoodeck-previews",
    help: "Checkouts, filestores, conf and logs of each preview live under <folder>/<name>",
  },
  odoo_bin: {
    type: "string",
    label: "odoo-bin",
    default: "",
    help: "Empty: the one the instance runs",
  },
  smoke_login: { type: "string", label: "Smoke test user (login)", default: "admin" },
  smoke_password: { type: "secret", label: "Smoke test user's password", default: "admin" },
  webhook_secret: {
    type: "secret",
    label: "Webhook secret (HMAC)",
    default: "",
    help: "Pull-request webhooks go to <odoodeck>/pub/previews/hooks/<github|gitlab|gitea>/<template>",
  },
  status_api_base: {
    type: "string",
    label: "Provider API base URL",
    default: "https://api.github.com",
    help: "Commit statuses are posted here (GitHub, GitLab /api/v4 or Gitea /api/v1)",
  },
  status_api_token: { type: "secret", label: "Provider API token", default: "" },
  preview_certificates: {
    type: "select",
    label: "HTTPS certificates of the previews",
    default: "file",
    options: ["none", "file", "acme"],
    help: "file: the certificate below; acme: one per preview from an ACME CA (HTTP-01: port 80 of each preview name must reach odoodeck's HTTP port)",
  },
  preview_tls_cert: {
    type: "string",
    label: "TLS certificate (PEM path)",
    default: "",
    help: "A certificate for *.<preview domain> (with its chain), on odoodeck's machine",
  },
  preview_tls_key: { type: "string", label: "TLS key (PEM path)", default: "" },
  preview_https_port: {
    type: "number",
    label: "HTTPS port of the previews",
    default: 8443,
    min: 0,
    max: 65535,
    help: "Served with the certificate above; 443 needs root or CAP_NET_BIND_SERVICE",
  },
  acme_ca: {
    type: "select",
    label: "ACME CA",
    default: "letsencrypt",
    options: ["letsencrypt", "letsencrypt-staging", "custom"],
    help: "Let's Encrypt, its staging CA (untrusted certificates, generous limits: for trials), or the directory URL below",
  },
  acme_directory_url: {
    type: "string",
    label: "ACME directory URL (custom CA)",
    default: "",
    help: "e.g. https://ca.internal/acme/acme/directory for step-ca",
  },
  acme_ca_cert: {
    type: "string",
    label: "CA of the ACME server (PEM path)",
    default: "",
    help: "Only for a private ACME server whose own HTTPS certificate is not publicly trusted",
  },
  acme_email: {
    type: "string",
    label: "ACME account e-mail",
    default: "",
    help: "The CA writes here about expiring certificates and changes to its terms",
  },
  acme_challenge: {
    type: "select",
    label: "ACME challenge",
    default: "http-01",
    options: ["http-01"],
    help: "HTTP-01: odoodeck answers /.well-known/acme-challenge/ on each preview name itself",
  },
} as const satisfies SettingsSchema;

export type PreviewsCtx = PluginContext<typeof previewSettings>;
export type PreviewSettings = Awaited<ReturnType<PreviewsCtx["settings"]>>;

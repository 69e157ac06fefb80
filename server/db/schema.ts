import type { Generated, Kysely } from "kysely";

/**
 * The core's tables as migrations/ leave them (0001–0008; notifications_* belong to the
 * notifications plugin since 0008). Hand-written from the migrations: a new core migration
 * updates this file too. Columns with a default or an autoincrement are `Generated`. Text columns
 * holding enumerations are typed by what the code writes; SQLite does not enforce them.
 * Plugins declare their own tables (prefixed with their id) and never see these.
 */
export interface CoreDatabase {
  users: {
    id: Generated<number>;
    username: string;
    password_hash: string;
    role: Generated<"admin" | "operator" | "viewer" | "none">;
    created_at: string;
    password_changed_at: string;
    disabled: Generated<number>;
  };
  grants: { user_id: number; instance_id: number; role: "admin" | "operator" | "viewer" };
  sessions: {
    id: string;
    user_id: number;
    csrf: string;
    created_at: string;
    expires_at: string;
    last_seen_at: string;
    ip: string | null;
    user_agent: string | null;
  };
  api_tokens: {
    id: Generated<number>;
    user_id: number;
    name: string;
    prefix: string;
    token_hash: string;
    role: "admin" | "operator" | "viewer";
    created_at: string;
    last_used_at: string | null;
    revoked_at: string | null;
    /** JSON array of instance ids; null: every instance the user may see (0007). */
    instances: string | null;
    /** JSON array of MCP tool tags; null: all (0007). */
    tools: string | null;
    allow_destructive: Generated<number>;
  };
  /** Append-only (triggers refuse UPDATE and DELETE). */
  audit_log: {
    id: Generated<number>;
    at: string;
    actor: string;
    actor_id: number | null;
    ip: string | null;
    action: string;
    target: string | null;
    instance_id: number | null;
    result: "ok" | "error";
    details: string | null;
  };
  settings: { scope: string; key: string; value: string };
  kv: { key: string; value: string };
  /** Failed sign-ins per (username, address); times in ms since the epoch. */
  login_failures: { username: string; ip: string; failures: number; last_at: number; locked_until: number };
  job_schedules: {
    id: Generated<number>;
    /** "<plugin>.<name>" */
    job: string;
    instance_id: number | null;
    cron: string;
    timezone: Generated<string>;
    /** JSON object */
    params: Generated<string>;
    enabled: Generated<number>;
    created_at: string;
    last_run_at: string | null;
  };
  job_runs: {
    id: Generated<number>;
    schedule_id: number | null;
    job: string;
    instance_id: number | null;
    trigger: string;
    status: string;
    started_at: string;
    finished_at: string | null;
    summary: string | null;
    log: string | null;
    /** The process running it (server/process-owner.ts), 0005. */
    owner: string | null;
  };
  operations: {
    id: string;
    plugin: string;
    kind: string;
    title: string;
    instance_id: number | null;
    actor: string;
    status: string;
    started_at: string;
    finished_at: string | null;
    /** JSON of the operation's snapshot (steps, progress, result) */
    snapshot: string;
    log: string | null;
    owner: string | null;
  };
  locks: {
    instance_id: number;
    holder: string;
    operation_id: string | null;
    since: string;
    owner: string | null;
  };
  servers: {
    id: Generated<number>;
    name: string;
    kind: "local" | "ssh";
    host: string | null;
    port: number | null;
    username: string | null;
    auth: "key" | "password" | null;
    /** sealed JSON {privateKey?, passphrase?, password?} */
    secret: string | null;
    /** pinned SHA256 fingerprint */
    host_key: string | null;
    /** a changed key waiting for an admin */
    pending_host_key: string | null;
    jump_server_id: number | null;
    group_name: string | null;
    created_at: string;
  };
  instances: {
    id: Generated<number>;
    name: string;
    server_id: number;
    conf_path: string;
    db_name: string | null;
    service: string | null;
    container: string | null;
    public_url: string | null;
    production: Generated<number>;
    group_name: string | null;
    /** JSON array of strings */
    tags: Generated<string>;
    created_at: string;
  };
}

/** The core store, typed: what server/* receives. Plugins get a Kysely scoped to their own tables. */
export type CoreDb = Kysely<CoreDatabase>;

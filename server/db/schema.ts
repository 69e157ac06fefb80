import type { Generated } from "kysely";

/** Tables owned by the core. Plugins declare their own (prefixed with their id). */
export interface CoreTables {
  users: {
    id: Generated<number>;
    username: string;
    password_hash: string;
    role: "admin" | "operator" | "viewer" | "none";
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
  };
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
}

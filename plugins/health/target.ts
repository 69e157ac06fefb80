import type { InstanceHandle } from "../../server/sdk/index.ts";
import type { CheckTarget } from "./types.ts";

/** Host part of an SSH connection label ("user@host:22"), for instances without a public URL. */
export function hostFromLabel(label: string): string | null {
  const m = /^(?:[^@]+@)?(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(label);
  return m ? m[1] : null;
}

/**
 * Lazily shared facts for one run over one instance: odoo.conf is read once even when several
 * checks need it, and only when one does.
 */
export function makeTarget(instance: InstanceHandle): CheckTarget {
  let odoo: ReturnType<InstanceHandle["odoo"]> | null = null;
  const memo = new Map<string, Promise<unknown>>();
  const target: CheckTarget = {
    instance,
    shared<T>(key: string, fn: () => Promise<T>): Promise<T> {
      let p = memo.get(key) as Promise<T> | undefined;
      if (!p) {
        p = fn();
        memo.set(key, p);
      }
      return p;
    },
    odoo: () => {
      odoo ??= instance.odoo();
      return odoo;
    },
    async baseUrl() {
      if (instance.publicUrl) return instance.publicUrl.replace(/\/+$/, "");
      const { settings } = await target.odoo();
      const conn = await instance.connection();
      let host = conn.kind === "local" ? "127.0.0.1" : hostFromLabel(conn.label);
      const iface = settings.httpInterface;
      if (iface && iface !== "0.0.0.0" && iface !== "::" && conn.kind === "local") host = iface;
      if (!host) throw new Error("no public URL and no host to reach the instance on");
      return `http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${settings.httpPort}`;
    },
  };
  return target;
}

/**
 * DNS-01 through an admin-set hook command, the generic mechanism certbot's manual hooks and
 * lego's `exec` provider offer: odoodeck knows no DNS provider's API, the hook does. The command is
 * an argument array (never a shell string), run on odoodeck's machine as
 *   <command…> present|cleanup _acme-challenge.<domain> <txt value>
 * with ODOODECK_DNS_ACTION, ODOODECK_DNS_NAME and ODOODECK_DNS_VALUE in its environment too.
 * After `present`, the TXT record is looked up through the resolver the admin named (until it
 * shows or the wait runs out), then the fixed delay is waited, before the CA is asked to check it.
 */
import { Resolver } from "node:dns/promises";
import { isIP } from "node:net";
import { masking } from "../../../server/sdk/index.ts";
import { AcmeFailure, type ChallengeSolver } from "./acme.ts";

export interface DnsHookOptions {
  command: string[];
  timeoutMs: number;
  /** "ip" or "ip:port" ("[v6]:port") of a DNS server to see the record at; null: no check. */
  resolver: string | null;
  /** Longest wait for the record to show at the resolver. */
  propagationTimeoutMs: number;
  /** Waited after the record is in place (and seen), for the zone's other servers. */
  delayMs: number;
  log?: { info(m: string): void; warn(m: string): void };
}

/**
 * The hook setting: a JSON array of arguments (`["/usr/local/bin/dns-hook", "--zone", "example.com"]`)
 * or a single program path. Anything else is refused: a shell string would be split by guesswork.
 */
export function parseHookCommand(text: string): string[] {
  const t = text.trim();
  if (!t)
    throw new AcmeFailure("E_PREVIEWS_ACME_DNS_HOOK", "no DNS hook command is set in the previews settings");
  if (t.startsWith("[")) {
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch (e) {
      throw new AcmeFailure(
        "E_PREVIEWS_ACME_DNS_HOOK",
        `the DNS hook is not a valid JSON array: ${(e as Error).message}`,
      );
    }
    if (!Array.isArray(v) || !v.length || !v.every((a) => typeof a === "string") || !v[0])
      throw new AcmeFailure(
        "E_PREVIEWS_ACME_DNS_HOOK",
        "the DNS hook must be a JSON array of strings, program first",
      );
    return v;
  }
  if (/\s/.test(t))
    throw new AcmeFailure(
      "E_PREVIEWS_ACME_DNS_HOOK",
      `the DNS hook "${t}" has spaces: write it as a JSON array of arguments, e.g. ["/usr/local/bin/dns-hook", "--zone", "example.com"]`,
    );
  return [t];
}

/** Runs the hook once; a non-zero exit, a timeout or a missing program is E_PREVIEWS_ACME_DNS_HOOK with its stderr. */
export async function runDnsHook(
  o: Pick<DnsHookOptions, "command" | "timeoutMs">,
  action: "present" | "cleanup",
  name: string,
  value: string,
): Promise<void> {
  const argv = [...o.command, action, name, value];
  let p: ReturnType<typeof Bun.spawn>;
  try {
    p = Bun.spawn(argv, {
      env: {
        ...process.env,
        ODOODECK_DNS_ACTION: action,
        ODOODECK_DNS_NAME: name,
        ODOODECK_DNS_VALUE: value,
      },
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
      // its own process group: at its end or the timeout, what it started goes too
      detached: true,
    });
  } catch (e) {
    throw new AcmeFailure(
      "E_PREVIEWS_ACME_DNS_HOOK",
      `${action}: ${o.command[0]} cannot be run: ${(e as Error).message}`,
    );
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(p.pid);
  }, o.timeoutMs);
  // A child the hook left running may keep its stderr open: read what came until the hook exits,
  // and a second more, never longer.
  let stderr = "";
  const decoder = new TextDecoder();
  const reading = (async () => {
    for await (const chunk of p.stderr as ReadableStream<Uint8Array>)
      if (stderr.length < 64 * 1024) stderr += decoder.decode(chunk, { stream: true });
  })().catch(() => {});
  const code = await p.exited.finally(() => clearTimeout(timer));
  // What the hook left running (`sleep 600 &`, a stuck curl) is stopped with it: its group only,
  // never the pid alone, which may be another process's by now.
  try {
    process.kill(-p.pid, "SIGKILL");
  } catch {} // nothing left in the group
  await Promise.race([reading, Bun.sleep(1000)]);
  // A hook talks to a DNS provider's API: whatever token it prints is masked.
  const said = masking.maskText(stderr.trim()).slice(-2000);
  if (timedOut)
    throw new AcmeFailure(
      "E_PREVIEWS_ACME_DNS_HOOK",
      `${action}: ${o.command[0]} did not finish within ${Math.round(o.timeoutMs / 1000)} s${said ? `: ${said}` : ""}`,
    );
  if (code !== 0)
    throw new AcmeFailure(
      "E_PREVIEWS_ACME_DNS_HOOK",
      `${action}: ${o.command[0]} exited with ${code}${said ? `: ${said}` : " and printed nothing on stderr"}`,
    );
}

/** SIGKILL to the hook's whole process group; the hook alone if the group is gone already. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}

/** "1.2.3.4", "1.2.3.4:5353", "::1" or "[::1]:5353", as node's Resolver takes it; else an error. */
export function resolverAddress(text: string): string {
  const t = text.trim();
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  const v4 = /^([^:]+)(?::(\d+))?$/.exec(t);
  const [ip, port] = v6 ? [v6[1], v6[2]] : v4 ? [v4[1], v4[2]] : [t, undefined];
  if (!isIP(ip) || (port && !(Number(port) > 0 && Number(port) < 65536)))
    throw new AcmeFailure(
      "E_PREVIEWS_ACME_DNS_PROPAGATION",
      `the DNS resolver "${t}" is not an IP address with an optional port (e.g. 192.0.2.53 or 192.0.2.53:5353)`,
    );
  if (!port) return ip;
  return isIP(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Polls `resolver` until `name` has a TXT record `value`, or throws E_PREVIEWS_ACME_DNS_PROPAGATION. */
export async function waitForTxt(
  resolver: string,
  name: string,
  value: string,
  timeoutMs: number,
): Promise<void> {
  const r = new Resolver({ timeout: Math.min(3000, Math.max(500, timeoutMs)), tries: 1 });
  r.setServers([resolverAddress(resolver)]);
  const until = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    try {
      const records = await r.resolveTxt(name);
      if (records.some((chunks) => chunks.join("") === value)) return;
      last = `it has ${records.length} other TXT record(s)`;
    } catch (e) {
      last = `${(e as { code?: string }).code ?? (e as Error).message}`;
    }
    if (Date.now() >= until)
      throw new AcmeFailure(
        "E_PREVIEWS_ACME_DNS_PROPAGATION",
        `${resolver} did not answer ${name} TXT with the value within ${Math.round(timeoutMs / 1000)} s (last: ${last})`,
      );
    await Bun.sleep(Math.min(2000, Math.max(0, until - Date.now())));
  }
}

/** DNS-01 by the hook: present, see it propagate, wait; cleanup whatever happened. */
export function dns01Solver(o: DnsHookOptions): ChallengeSolver {
  const recordName = (identifier: string) => `_acme-challenge.${identifier.replace(/^\*\./, "")}`;
  return {
    type: "dns-01",
    async present(identifier, _token, value) {
      const name = recordName(identifier);
      o.log?.info(`DNS hook: present ${name} TXT`);
      await runDnsHook(o, "present", name, value);
      if (o.resolver) await waitForTxt(o.resolver, name, value, o.propagationTimeoutMs);
      if (o.delayMs > 0) await Bun.sleep(o.delayMs);
    },
    async cleanup(identifier, _token, value) {
      const name = recordName(identifier);
      try {
        await runDnsHook(o, "cleanup", name, value);
      } catch (e) {
        // A record left behind is harmless to the next issuance; the certificate still counts.
        o.log?.warn(`DNS hook: cleanup of ${name} failed: ${(e as Error).message}`);
      }
    },
  };
}

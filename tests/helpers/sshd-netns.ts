/**
 * An SSH server with a loopback of its own, as a real remote server has: the test sshd's config
 * run as `sshd -i` inside a private network namespace, one per SSH connection, behind a TCP
 * listener on odoodeck's loopback. What a session starts on 127.0.0.1 there (a preview's Odoo) is
 * out of odoodeck's reach except through the SSH link; files and PostgreSQL's Unix socket are
 * shared (same filesystem). Needs root (unshare, nsenter). Stopped through registerCleanup.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readlinkSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { registerCleanup } from "./cleanup.ts";
import { getSshd, SSHD_BIN, type TestSshd } from "./sshd.ts";

export interface IsolatedSshd extends Omit<TestSshd, "restart" | "rotateHostKey" | "stop" | "port"> {
  port: number;
  /** The namespace's id as /proc/<pid>/ns/net reads ("net:[…]"). */
  netns: string;
  /** Runs a command inside the namespace (what the server sees), e.g. ["ss", "-ltn"]. */
  inside(cmd: string[]): Promise<{ code: number; out: string }>;
  /** An outage: new connections are refused and every SSH session is cut (the link drops). */
  down(): Promise<void>;
  /** The server answers again on the same port. */
  up(): Promise<void>;
}

let started: Promise<IsolatedSshd> | null = null;

export function getIsolatedSshd(): Promise<IsolatedSshd> {
  started ??= start();
  return started;
}

/** Pids whose network namespace is `netns`. */
function pidsIn(netns: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readlinkSync(`/proc/${name}/ns/net`) === netns) out.push(Number(name));
    } catch {}
  }
  return out;
}

async function start(): Promise<IsolatedSshd> {
  const sshd: TestSshd = await getSshd();
  const holder = Bun.spawn(
    ["unshare", "--net", "sh", "-c", "ip link set lo up && echo up && exec sleep infinity"],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const first = await holder.stdout.getReader().read();
  if (!new TextDecoder().decode(first.value).startsWith("up"))
    throw new Error(`no network namespace: ${await new Response(holder.stderr).text()}`);
  const nsPath = `/proc/${holder.pid}/ns/net`;
  const netns = readlinkSync(nsPath);
  const sessions = new Set<ChildProcess>();
  const sockets = new Set<Socket>();

  const accept = (sock: Socket) => {
    sockets.add(sock);
    const p = spawn("nsenter", [`--net=${nsPath}`, SSHD_BIN, "-i", "-e", "-f", sshd.configPath], {
      stdio: ["pipe", "pipe", "ignore"],
    });
    sessions.add(p);
    sock.pipe(p.stdin!);
    p.stdout!.pipe(sock);
    const end = () => {
      sock.destroy();
      p.kill("SIGKILL");
    };
    sock.on("error", end).once("close", () => {
      sockets.delete(sock);
      end();
    });
    p.stdin!.on("error", () => {});
    p.once("exit", () => {
      sessions.delete(p);
      sock.destroy();
    });
  };

  let server: Server = createServer(accept);
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
    });
  const port = await listen(0);

  const down = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.destroy();
    // sshd gone, what it ran sees its channels end (a managed Odoo's lifeline stops it).
    for (const p of sessions) p.kill("SIGKILL");
    await closed;
  };
  const up = async () => {
    server = createServer(accept);
    await listen(port);
  };

  registerCleanup(async () => {
    await down().catch(() => {});
    for (const pid of pidsIn(netns)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
    await holder.exited;
  });

  return {
    host: "127.0.0.1",
    port,
    username: sshd.username,
    privateKey: sshd.privateKey,
    privateKeyPath: sshd.privateKeyPath,
    encryptedKey: sshd.encryptedKey,
    passphrase: sshd.passphrase,
    hostKeyPath: sshd.hostKeyPath,
    configPath: sshd.configPath,
    netns,
    async inside(cmd) {
      const p = Bun.spawn(["nsenter", `--net=${nsPath}`, ...cmd], { stdout: "pipe", stderr: "pipe" });
      const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
      return { code, out };
    },
    down,
    up,
  };
}

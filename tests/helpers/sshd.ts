/**
 * A real OpenSSH server on loopback, shared by the whole `bun test` run: fresh host key, an
 * authorized ED25519 client key and a passphrase-protected one, for the current user. Started
 * on first use, stopped through registerCleanup.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registerCleanup } from "./cleanup.ts";

export const SSHD_BIN = "/usr/sbin/sshd";

export interface TestSshd {
  host: string;
  port: number;
  username: string;
  /** Unencrypted OpenSSH private key (authorized). */
  privateKey: string;
  privateKeyPath: string;
  /** Passphrase-protected private key (authorized). */
  encryptedKey: string;
  passphrase: string;
  hostKeyPath: string;
  /** Its sshd_config (another sshd may run with it, e.g. `sshd -i` in a network namespace). */
  configPath: string;
  /** Kills the server and every session it holds, then starts it again on the same port. */
  restart(): Promise<void>;
  /** Replaces the host key with a new one and restarts. */
  rotateHostKey(): Promise<void>;
  stop(): Promise<void>;
}

async function run(cmd: string[]): Promise<void> {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${cmd[0]} exited ${code}: ${err.trim()}`);
}

function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

/** Pids of every process below `root` (the per-connection sshd children and their sessions). */
function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parentOf.set(Number(name), ppid);
    } catch {}
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const [child, ppid] of parentOf) {
      if (ppid !== pid) continue;
      out.push(child);
      walk(child);
    }
  };
  walk(root);
  return out;
}

/** Resolves once the port answers with an SSH banner. */
async function waitForBanner(
  port: number,
  proc: ReturnType<typeof Bun.spawn>,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`sshd exited ${proc.exitCode}: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      Bun.connect({
        hostname: "127.0.0.1",
        port,
        socket: {
          data(s, d) {
            resolve(d.toString().startsWith("SSH-"));
            s.end();
          },
          error: () => resolve(false),
          connectError: () => resolve(false),
          close: () => resolve(false),
        },
      }).catch(() => resolve(false));
    });
    if (ok) return;
    await Bun.sleep(50);
  }
  throw new Error(`sshd did not answer on port ${port}: ${log()}`);
}

let started: Promise<TestSshd> | null = null;

export function getSshd(): Promise<TestSshd> {
  started ??= startSshd();
  return started;
}

async function startSshd(): Promise<TestSshd> {
  if (!existsSync(SSHD_BIN)) {
    throw new Error(
      `${SSHD_BIN} is missing: the SSH tests need a real OpenSSH server (CI must \`apt-get install openssh-server\`)`,
    );
  }
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // privilege separation directory
  const dir = mkdtempSync(join(tmpdir(), "odoodeck-sshd-"));
  const hostKeyPath = join(dir, "host_ed25519");
  const keyPath = join(dir, "client_ed25519");
  const encPath = join(dir, "client_enc_ed25519");
  const passphrase = `pp-${crypto.randomUUID()}`;
  await run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKeyPath]);
  await run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "odoodeck-test", "-f", keyPath]);
  await run([
    "ssh-keygen",
    "-q",
    "-t",
    "ed25519",
    "-N",
    passphrase,
    "-C",
    "odoodeck-test-enc",
    "-f",
    encPath,
  ]);
  writeFileSync(
    join(dir, "authorized_keys"),
    readFileSync(`${keyPath}.pub`, "utf8") + readFileSync(`${encPath}.pub`, "utf8"),
    { mode: 0o600 },
  );
  // os.userInfo().username is "unknown" under Bun; ask the system instead.
  let username = Bun.spawnSync(["id", "-un"]).stdout.toString().trim();
  // sshd runs commands through the login shell, and root's bash here sources ~/.bashrc (pyenv
  // init, which rehashes under a lock): slow, and a session killed mid-rehash leaves a stale lock
  // that hangs every later login. As root, log in as a uid-0 alias whose shell is plain /bin/sh.
  if (process.getuid?.() === 0) {
    const alias = "odoodeck-ssh";
    if (Bun.spawnSync(["getent", "passwd", alias]).exitCode !== 0)
      // "*" rather than useradd's locked "!": sshd refuses locked accounts even for keys.
      Bun.spawnSync([
        "useradd",
        "-o",
        "-u",
        "0",
        "-g",
        "0",
        "-M",
        "-d",
        "/",
        "-s",
        "/bin/sh",
        "-p",
        "*",
        alias,
      ]);
    if (Bun.spawnSync(["getent", "passwd", alias]).exitCode === 0) username = alias;
  }
  const port = freePort();
  const configPath = join(dir, "sshd_config");
  writeFileSync(
    configPath,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKeyPath}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "PermitRootLogin yes",
      "StrictModes no",
      "UsePAM no",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PubkeyAuthentication yes",
      "MaxSessions 64",
      "MaxStartups 64",
      "Subsystem sftp internal-sftp",
      `LogLevel ${process.env.SSHD_LOG_LEVEL ?? "ERROR"}`,
      "",
    ].join("\n"),
  );

  let proc: ReturnType<typeof Bun.spawn> | null = null;
  let stderr = "";
  const launch = async () => {
    stderr = "";
    const p = Bun.spawn([SSHD_BIN, "-D", "-e", "-f", configPath], { stdout: "ignore", stderr: "pipe" });
    proc = p;
    void (async () => {
      for await (const chunk of p.stderr as ReadableStream<Uint8Array>) {
        stderr += new TextDecoder().decode(chunk);
        if (process.env.SSHD_LOG_LEVEL) process.stderr.write(chunk); // debugging aid
      }
    })();
    await waitForBanner(port, p, () => stderr.trim());
  };
  const stop = async () => {
    const p = proc;
    if (!p) return;
    proc = null;
    const children = descendants(p.pid);
    p.kill("SIGKILL");
    for (const pid of children) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
    await p.exited;
  };

  await launch();
  registerCleanup(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  return {
    host: "127.0.0.1",
    port,
    username,
    privateKey: readFileSync(keyPath, "utf8"),
    privateKeyPath: keyPath,
    encryptedKey: readFileSync(encPath, "utf8"),
    passphrase,
    hostKeyPath,
    configPath,
    restart: async () => {
      await stop();
      await launch();
    },
    rotateHostKey: async () => {
      await stop();
      rmSync(hostKeyPath, { force: true });
      rmSync(`${hostKeyPath}.pub`, { force: true });
      await run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKeyPath]);
      await launch();
    },
    stop,
  };
}

/**
 * The Connection contract: one suite, run against every kind (local, and SSH to a real sshd on
 * loopback). sshd runs on this machine, so both kinds see the same files and processes and the
 * test checks their effects with node:fs directly.
 *
 * E_PERMISSION while running as root: root bypasses file modes, so the tests use sysctl files,
 * whose modes the kernel enforces even for root: /proc/sys/vm/compact_memory is write-only
 * (reading it fails), /proc/sys/kernel/osrelease is read-only (writing fails; EROFS in containers
 * that mount /proc/sys read-only, which is also a permission error to the user).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalConnection } from "../../server/connections/local.ts";
import { SshConnection } from "../../server/connections/ssh.ts";
import type { Connection } from "../../server/connections/types.ts";
import type { AppError } from "../../server/errors.ts";
import { getSshd } from "../helpers/sshd.ts";

/** Generous: a loaded CI box can take a second per SSH round trip. */
const T = 30_000;
const READ_DENIED = ["/proc/sys/vm/compact_memory", "/proc/sys/net/ipv4/route/flush"].find(existsSync)!;
const WRITE_DENIED = "/proc/sys/kernel/osrelease";

function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function gone(pid: number, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!isAlive(pid)) return true;
    await Bun.sleep(50);
  }
  return false;
}

async function waitForFile(path: string, ms = 5000): Promise<string> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const text = existsSync(path) ? readFileSync(path, "utf8").trim() : "";
    if (text) return text;
    await Bun.sleep(20);
  }
  throw new Error(`${path} never appeared`);
}

async function errorOf(p: Promise<unknown>): Promise<{ code?: string; message: string; hint?: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code?: string; message: string; hint?: string };
  }
  throw new Error("expected a failure, got success");
}

const text = (s: ReadableStream<Uint8Array>) => new Response(s).text();

const kinds: Array<[string, () => Promise<Connection>]> = [
  ["local", async () => new LocalConnection()],
  [
    "ssh",
    async () => {
      const s = await getSshd();
      return new SshConnection({
        host: s.host,
        port: s.port,
        username: s.username,
        privateKey: s.privateKey,
      });
    },
  ],
];

for (const [kind, make] of kinds) {
  describe(`Connection contract: ${kind}`, () => {
    let conn: Connection;
    let dir: string;
    beforeAll(async () => {
      conn = await make();
    });
    afterAll(async () => {
      await conn.close();
    });
    const dirs: string[] = [];
    const fresh = () => {
      dir = mkdtempSync(join(tmpdir(), `odoodeck-conn-${kind}-`));
      dirs.push(dir);
      return dir;
    };
    afterAll(() => {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    test(
      "arguments with spaces, quotes, $(...) and ; arrive literally",
      async () => {
        fresh();
        const marker = join(dir, "pwned");
        const args = [
          "a b",
          "it's",
          `"dq"`,
          `$(touch ${marker})`,
          "x; touch " + marker,
          "`id`",
          "",
          "*",
          "-n",
          "tab\there",
        ];
        const res = await conn.exec(["printf", "%s\\n", ...args]);
        expect(res.code).toBe(0);
        expect(res.stdout).toBe(args.map((a) => `${a}\n`).join(""));
        expect(existsSync(marker)).toBe(false);
      },
      T,
    );

    test(
      "run() fails on a non-zero exit with E_COMMAND_FAILED: first words, exit code, masked stderr tail",
      async () => {
        const ok = await conn.run(["sh", "-c", "echo fine"]);
        expect(ok).toEqual({ code: 0, stdout: "fine\n", stderr: "" });
        const script =
          "for i in 1 2 3 4 5 6 7; do echo line$i >&2; done; echo db_password=hunter2 >&2; exit 3";
        const e = (await errorOf(conn.run(["sh", "-c", script]))) as AppError;
        expect(e.code).toBe("E_COMMAND_FAILED");
        expect(e.message).toContain(`sh failed on ${conn.label} (exit 3)`);
        expect(e.message).not.toContain("hunter2");
        expect(e.message).not.toContain("for i in"); // the script is not echoed back
        expect(e.details).toEqual({
          command: "sh",
          exitCode: 3,
          stderrTail: "line4\nline5\nline6\nline7\ndb_password=••••••••",
        });
        expect(e.hint).toContain("line7");
        expect(e.hint).not.toContain("hunter2");
        const sub = (await errorOf(
          conn.run(["git", "frobnicate"], { what: "git's frobnication" }),
        )) as AppError;
        expect(sub.message).toStartWith(`git's frobnication failed on ${conn.label} (exit 1)`);
        expect((sub.details as { command: string }).command).toBe("git frobnicate");
        const grep = await conn.run(["grep", "-c", "nothing", "/etc/hostname"], { okCodes: [0, 1] });
        expect(grep.code).toBe(1);
      },
      T,
    );

    test(
      "exit codes and stderr come back as they are",
      async () => {
        const res = await conn.exec(["sh", "-c", "echo out; echo err >&2; exit 7"]);
        expect(res).toEqual({ code: 7, stdout: "out\n", stderr: "err\n" });
      },
      T,
    );

    test(
      "stdin as a string, bytes and a stream",
      async () => {
        expect((await conn.exec(["cat"], { stdin: "hello\n" })).stdout).toBe("hello\n");
        expect((await conn.exec(["wc", "-c"], { stdin: new Uint8Array(12345) })).stdout.trim()).toBe("12345");
        const chunks = ["one ", "two ", "three"];
        const stream = new ReadableStream<Uint8Array>({
          pull(c) {
            const next = chunks.shift();
            if (next === undefined) c.close();
            else c.enqueue(new TextEncoder().encode(next));
          },
        });
        expect((await conn.exec(["cat"], { stdin: stream })).stdout).toBe("one two three");
        // No stdin given: a command reading it sees end-of-file rather than hanging.
        expect((await conn.exec(["cat"], { timeoutMs: 5000 })).stdout).toBe("");
      },
      T,
    );

    test(
      "stdin as a file of this machine: every byte arrives, progress is reported while it is read",
      async () => {
        fresh();
        const path = join(dir, "big.bin");
        const data = crypto.getRandomValues(new Uint8Array(8 * 1024 * 1024));
        writeFileSync(path, data);
        const seen: number[] = [];
        // Reads exactly 4 MiB, pauses (progress is sampled twice a second), then reads the rest.
        const res = await conn.exec(
          [
            "sh",
            "-c",
            'dd bs=1048576 count=4 2>/dev/null > "$1"; sleep 1.2; cat "$1" - | sha256sum',
            "x",
            join(dir, "head.part"),
          ],
          { stdin: Bun.file(path), onStdinProgress: (n) => seen.push(n) },
        );
        expect(res.stdout.slice(0, 64)).toBe(new Bun.CryptoHasher("sha256").update(data).digest("hex"));
        // During the pause: at least the 4 MiB read, not yet all (the sender runs ahead by its buffers).
        expect(seen.some((n) => n >= 4 * 1024 * 1024 && n < data.byteLength)).toBe(true);
        expect(seen).toEqual([...seen].sort((a, b) => a - b));
        expect(seen.at(-1)).toBe(data.byteLength);
        const early = await conn.exec(["head", "-c", "10"], { stdin: Bun.file(path), timeoutMs: 10_000 });
        expect(early.stdout.length).toBeGreaterThan(0);
        expect(early.code).toBe(0);
      },
      T,
    );

    test(
      "a reader that quits early (EPIPE): the process lives on, every call ends with a clear result",
      async () => {
        fresh();
        const crashes: unknown[] = [];
        const note = (e: unknown) => void crashes.push(e);
        process.on("unhandledRejection", note);
        process.on("uncaughtException", note);
        try {
          const path = join(dir, "big.bin");
          writeFileSync(path, new Uint8Array(32 * 1024 * 1024));
          // Endless input, a chunk at a time, with pauses so the reader is gone between writes.
          const endless = () =>
            new ReadableStream<Uint8Array>({
              async pull(c) {
                await Bun.sleep(2);
                c.enqueue(new Uint8Array(1024 * 1024));
              },
            });
          for (const stdin of [endless(), Bun.file(path), new Uint8Array(32 * 1024 * 1024)]) {
            const r = await conn.exec(["head", "-c", "1"], { stdin, timeoutMs: 20_000 });
            expect({ code: r.code, out: r.stdout.length }).toEqual({ code: 0, out: 1 });
          }
          // A writable stdin: once the command is gone, a write is refused with a clear error.
          const p = conn.spawn(["head", "-c", "1"], { stdin: true });
          const out = new Response(p.stdout).text();
          const w = p.stdin!.getWriter();
          let refused: { code?: string; message: string } | null = null;
          for (let i = 0; i < 512 && !refused; i++)
            await w.write(new Uint8Array(1024 * 1024)).catch((e) => void (refused = e));
          await w.close().catch(() => {});
          expect(refused).toMatchObject({
            code: "E_COMMAND_FAILED",
            message: "head stopped reading its input",
          });
          expect(await p.exited).toBe(0);
          expect((await out).length).toBe(1);
          await Bun.sleep(300); // a late rejection would land here
          expect(crashes).toEqual([]);
        } finally {
          process.off("unhandledRejection", note);
          process.off("uncaughtException", note);
        }
      },
      T * 2,
    );

    test(
      "env and cwd are applied",
      async () => {
        fresh();
        const res = await conn.exec(["sh", "-c", 'printf "%s|%s" "$ODOODECK_X" "$(pwd)"'], {
          env: { ODOODECK_X: "va'l ue$(x)" },
          cwd: dir,
        });
        expect(res.stdout).toBe(`va'l ue$(x)|${dir}`);
      },
      T,
    );

    test(
      "a missing working directory is E_FILE_NOT_FOUND",
      async () => {
        const e = await errorOf(conn.exec(["true"], { cwd: "/nonexistent/odoodeck" }));
        expect(e.code).toBe("E_FILE_NOT_FOUND");
      },
      T,
    );

    test(
      "a missing program is E_COMMAND_FAILED naming it",
      async () => {
        const e = await errorOf(conn.exec(["odoodeck-no-such-program", "--version"]));
        expect(e.code).toBe("E_COMMAND_FAILED");
        expect(e.message).toContain("odoodeck-no-such-program not found on");
        const p = conn.spawn(["odoodeck-no-such-program"]);
        expect((await errorOf(p.exited)).code).toBe("E_COMMAND_FAILED");
      },
      T,
    );

    test(
      "a timeout stops the command (E_TIMEOUT) and the process is gone",
      async () => {
        fresh();
        const pidFile = join(dir, "pid");
        const t0 = Date.now();
        const e = await errorOf(
          conn.exec(["sh", "-c", `echo $$ > ${pidFile}; exec sleep 30`], { timeoutMs: 600 }),
        );
        expect(e.code).toBe("E_TIMEOUT");
        expect(Date.now() - t0).toBeLessThan(5000);
        expect(await gone(Number(await waitForFile(pidFile)))).toBe(true);
      },
      T,
    );

    test(
      "an abort stops the command (E_CANCELLED) and the process is gone",
      async () => {
        fresh();
        const pidFile = join(dir, "pid");
        const ac = new AbortController();
        const run = conn.exec(["sh", "-c", `echo $$ > ${pidFile}; exec sleep 30`], { signal: ac.signal });
        const pid = Number(await waitForFile(pidFile));
        ac.abort();
        expect((await errorOf(run)).code).toBe("E_CANCELLED");
        expect(await gone(pid)).toBe(true);
        const already = await errorOf(conn.exec(["true"], { signal: ac.signal }));
        expect(already.code).toBe("E_CANCELLED");
      },
      T,
    );

    test(
      "output beyond maxOutputBytes is dropped, the command still completes",
      async () => {
        const res = await conn.exec(["head", "-c", "200000", "/dev/zero"], { maxOutputBytes: 1000 });
        expect(res.code).toBe(0);
        expect(res.stdout.length).toBe(1000);
      },
      T,
    );

    test(
      "spawn streams a 50 MB output completely",
      async () => {
        const p = conn.spawn(["head", "-c", String(50 * 1024 * 1024), "/dev/urandom"]);
        const hash = createHash("sha256");
        let bytes = 0;
        for await (const chunk of p.stdout) {
          bytes += chunk.byteLength;
          hash.update(chunk);
        }
        expect(await p.exited).toBe(0);
        expect(bytes).toBe(50 * 1024 * 1024);
      },
      T,
    );

    test(
      "spawn with a writable stdin, and kill",
      async () => {
        const p = conn.spawn(["tr", "a-z", "A-Z"], { stdin: true });
        const w = p.stdin!.getWriter();
        await w.write(new TextEncoder().encode("hello "));
        await w.write(new TextEncoder().encode("world"));
        await w.close();
        expect(await text(p.stdout)).toBe("HELLO WORLD");
        expect(await p.exited).toBe(0);

        const sleeper = conn.spawn(["sleep", "30"]);
        await Bun.sleep(200);
        sleeper.kill("SIGTERM");
        expect(await sleeper.exited).toBe(143);
      },
      T,
    );

    test(
      "readFile streams the whole file, or from an offset",
      async () => {
        fresh();
        const data = randomBytes(3 * 1024 * 1024 + 17);
        const file = join(dir, "data.bin");
        writeFileSync(file, data);
        const whole = new Uint8Array(await new Response(conn.readFile(file)).arrayBuffer());
        expect(Buffer.from(whole).equals(data)).toBe(true);
        const tail = new Uint8Array(
          await new Response(conn.readFile(file, { start: 1_000_000 })).arrayBuffer(),
        );
        expect(Buffer.from(tail).equals(data.subarray(1_000_000))).toBe(true);
        writeFileSync(join(dir, "small.txt"), "0123456789");
        expect(await text(conn.readFile(join(dir, "small.txt"), { start: 3 }))).toBe("3456789");
      },
      T,
    );

    test(
      "readFile errors: missing, not permitted, a directory",
      async () => {
        fresh();
        expect((await errorOf(text(conn.readFile(join(dir, "nope.txt"))))).code).toBe("E_FILE_NOT_FOUND");
        expect((await errorOf(text(conn.readFile(READ_DENIED)))).code).toBe("E_PERMISSION");
        expect((await errorOf(text(conn.readFile(dir)))).code).toBe("E_VALIDATION");
      },
      T,
    );

    test(
      "writeFile is atomic: content, modes, no temporary file left",
      async () => {
        fresh();
        const file = join(dir, "conf file.txt");
        await conn.writeFile(file, "first\n");
        expect(readFileSync(file, "utf8")).toBe("first\n");
        expect(statSync(file).mode & 0o777).toBe(0o600);
        chmodSync(file, 0o640);
        await conn.writeFile(file, new TextEncoder().encode("second\n"));
        expect(readFileSync(file, "utf8")).toBe("second\n");
        expect(statSync(file).mode & 0o777).toBe(0o640); // overwriting keeps the mode
        await conn.writeFile(file, "third\n", { mode: 0o644 });
        expect(statSync(file).mode & 0o777).toBe(0o644);
        const big = randomBytes(5 * 1024 * 1024);
        await conn.writeFile(join(dir, "big.bin"), new Response(big).body!);
        expect(readFileSync(join(dir, "big.bin")).equals(big)).toBe(true);
        await conn.writeFile(join(dir, "direct.txt"), "direct", { atomic: false });
        expect(readFileSync(join(dir, "direct.txt"), "utf8")).toBe("direct");
        expect(readdirSync(dir).sort()).toEqual(["big.bin", "conf file.txt", "direct.txt"]);
      },
      T,
    );

    test(
      "writeFile failing mid-stream leaves the target untouched and no temporary file",
      async () => {
        fresh();
        const file = join(dir, "target.txt");
        writeFileSync(file, "original");
        let sent = 0;
        const broken = new ReadableStream<Uint8Array>({
          async pull(c) {
            if (sent++ < 3) return c.enqueue(new Uint8Array(64 * 1024).fill(65));
            await Bun.sleep(50);
            c.error(new Error("source broke"));
          },
        });
        const e = await errorOf(conn.writeFile(file, broken));
        expect(e.message).toContain("source broke");
        expect(readFileSync(file, "utf8")).toBe("original");
        expect(readdirSync(dir)).toEqual(["target.txt"]);
      },
      T,
    );

    test(
      "writeFile errors: missing directory, not permitted",
      async () => {
        fresh();
        expect((await errorOf(conn.writeFile(join(dir, "no/such/dir/f"), "x"))).code).toBe(
          "E_FILE_NOT_FOUND",
        );
        expect((await errorOf(conn.writeFile(WRITE_DENIED, "x", { atomic: false }))).code).toBe(
          "E_PERMISSION",
        );
        expect(readFileSync(WRITE_DENIED, "utf8")).not.toBe("x");
      },
      T,
    );

    test(
      "stat, list, mkdir, rename, remove",
      async () => {
        fresh();
        await conn.mkdir(join(dir, "a/b/c"), { recursive: true });
        expect((await errorOf(conn.mkdir(join(dir, "a")))).code).toBe("E_CONFLICT");
        writeFileSync(join(dir, "a/with space.txt"), "12345");
        symlinkSync("with space.txt", join(dir, "a/link"));
        symlinkSync("missing", join(dir, "a/dangling"));

        const s = await conn.stat(join(dir, "a/with space.txt"));
        expect(s).toMatchObject({ name: "with space.txt", type: "file", size: 5, uid: process.getuid!() });
        expect(Math.abs(s!.mtimeMs - statSync(join(dir, "a/with space.txt")).mtimeMs)).toBeLessThan(1000);
        expect((await conn.stat(join(dir, "a/link")))?.type).toBe("file");
        expect((await conn.stat(join(dir, "a/link"), { lstat: true }))?.type).toBe("symlink");
        expect(await conn.stat(join(dir, "a/dangling"))).toBeNull();
        expect(await conn.stat(join(dir, "nope"))).toBeNull();

        const entries = await conn.list(join(dir, "a"));
        expect(entries.map((e) => [e.name, e.type])).toEqual([
          ["b", "dir"],
          ["dangling", "symlink"],
          ["link", "symlink"],
          ["with space.txt", "file"],
        ]);
        expect(entries[3].path).toBe(join(dir, "a/with space.txt"));
        expect((await errorOf(conn.list(join(dir, "nope")))).code).toBe("E_FILE_NOT_FOUND");

        await conn.rename(join(dir, "a/with space.txt"), join(dir, "moved.txt"));
        expect(readFileSync(join(dir, "moved.txt"), "utf8")).toBe("12345");
        expect((await errorOf(conn.rename(join(dir, "nope"), join(dir, "x")))).code).toBe("E_FILE_NOT_FOUND");

        expect((await errorOf(conn.remove(join(dir, "a")))).code).toBe("E_CONFLICT"); // not empty
        await conn.remove(join(dir, "a/b/c"));
        await conn.remove(join(dir, "a"), { recursive: true });
        await conn.remove(join(dir, "moved.txt"));
        await conn.remove(join(dir, "already-gone"));
        expect(readdirSync(dir)).toEqual([]);
      },
      T,
    );

    test(
      "tunnel: odoodeck reaches a port of the server (bodies both ways); closed, it is gone",
      async () => {
        // sshd runs on this machine: the server's loopback is this one.
        const upstream = Bun.serve({
          hostname: "127.0.0.1",
          port: 0,
          fetch: async (req) => new Response(await req.arrayBuffer(), { headers: { "x-via": "upstream" } }),
        });
        try {
          const tunnel = await conn.tunnel(upstream.port!);
          expect(tunnel.open).toBe(true);
          expect(tunnel.url).toBe(`http://127.0.0.1:${tunnel.port}`);
          if (kind === "local") expect(tunnel.port).toBe(upstream.port!);
          else expect(tunnel.port).not.toBe(upstream.port!);
          const body = randomBytes(1024 * 1024);
          const answers = await Promise.all(
            [0, 1, 2].map(() => fetch(`${tunnel.url}/echo`, { method: "POST", body })),
          );
          for (const res of answers) {
            expect(res.headers.get("x-via")).toBe("upstream");
            expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
          }
          await tunnel.close();
          expect(tunnel.open).toBe(false);
          if (kind === "ssh") {
            const refused = await fetch(`${tunnel.url}/`).then(
              () => false,
              () => true,
            );
            expect(refused).toBe(true);
          }
          expect((await errorOf(conn.tunnel(0))).code).toBe("E_VALIDATION");
          expect((await errorOf(conn.tunnel(70_000))).code).toBe("E_VALIDATION");
          expect((await errorOf(conn.tunnel(80, { host: "a b" }))).code).toBe("E_VALIDATION");
        } finally {
          upstream.stop(true);
        }
      },
      T,
    );
  });
}

describe("SSH only: tunnels", () => {
  const sshConn = async () => {
    const s = await getSshd();
    return new SshConnection({ host: s.host, port: s.port, username: s.username, privateKey: s.privateKey });
  };

  test(
    "a connection to a port nobody listens on is closed at once, not left waiting",
    async () => {
      const conn = await sshConn();
      try {
        const free = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
        const port = free.port!;
        free.stop(true);
        const tunnel = await conn.tunnel(port);
        const failed = await fetch(`${tunnel.url}/`, { signal: AbortSignal.timeout(20_000) }).then(
          () => "answered",
          (e: Error) => e.name,
        );
        expect(failed).not.toBe("answered");
        expect(failed).not.toBe("TimeoutError");
      } finally {
        await conn.close();
      }
    },
    T,
  );

  test(
    "closing the connection closes its tunnels; the connection itself is reusable",
    async () => {
      const conn = await sshConn();
      const upstream = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("up") });
      try {
        const a = await conn.tunnel(upstream.port!);
        expect(await (await fetch(a.url)).text()).toBe("up");
        await conn.close();
        expect(a.open).toBe(false);
        const refused = await fetch(a.url).then(
          () => false,
          () => true,
        );
        expect(refused).toBe(true);
        const b = await conn.tunnel(upstream.port!);
        expect(await (await fetch(b.url)).text()).toBe("up");
      } finally {
        await conn.close();
        upstream.stop(true);
      }
    },
    T,
  );
});

describe("SSH only: host keys, credentials, reachability, drops", () => {
  const open: SshConnection[] = [];
  const ssh = async (extra: Partial<ConstructorParameters<typeof SshConnection>[0]> = {}) => {
    const s = await getSshd();
    const c = new SshConnection({
      host: s.host,
      port: s.port,
      username: s.username,
      privateKey: s.privateKey,
      ...extra,
    });
    open.push(c);
    return c;
  };
  afterAll(async () => {
    for (const c of open) await c.close();
  });
  const keygenFingerprint = async (pubPath: string) => {
    const out = await new Response(
      Bun.spawn(["ssh-keygen", "-l", "-E", "sha256", "-f", pubPath]).stdout,
    ).text();
    return out.split(" ")[1];
  };

  test(
    "the host key is pinned on first use",
    async () => {
      const s = await getSshd();
      const pinned: string[] = [];
      const c = await ssh({ onHostKeyPinned: (fp) => pinned.push(fp) });
      await c.exec(["true"]);
      const expected = await keygenFingerprint(`${s.hostKeyPath}.pub`);
      expect(pinned).toEqual([expected]);
      expect(c.hostFingerprint).toBe(expected);
      const again = await ssh({ hostKeyFingerprint: expected, onHostKeyPinned: (fp) => pinned.push(fp) });
      expect((await again.exec(["echo", "ok"])).stdout).toBe("ok\n");
      expect(pinned.length).toBe(1); // an already pinned key is not re-announced
    },
    T,
  );

  test(
    "wrong key, encrypted key with right and wrong passphrase",
    async () => {
      const s = await getSshd();
      const dir = mkdtempSync(join(tmpdir(), "odoodeck-key-"));
      Bun.spawnSync(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", join(dir, "k")]);
      const stranger = await ssh({ privateKey: readFileSync(join(dir, "k"), "utf8") });
      rmSync(dir, { recursive: true, force: true });
      const e = await errorOf(stranger.exec(["true"]));
      expect(e.code).toBe("E_AUTH_FAILED");
      expect(e.message).toContain(`${s.username}@127.0.0.1:${s.port}`);

      const right = await ssh({ privateKey: s.encryptedKey, passphrase: s.passphrase });
      expect((await right.exec(["echo", "in"])).stdout).toBe("in\n");
      for (const passphrase of ["wrong", undefined]) {
        const wrong = await ssh({ privateKey: s.encryptedKey, passphrase });
        const err = await errorOf(wrong.exec(["true"]));
        expect(err.code).toBe("E_AUTH_FAILED");
        expect(err.hint).toMatch(/passphrase/);
        expect(err.message).not.toContain(s.passphrase);
      }
    },
    T,
  );

  test(
    "a closed port is E_UNREACHABLE, quickly, naming host:port",
    async () => {
      const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
      const port = s.port;
      s.stop(true);
      const c = await ssh({ port });
      const t0 = Date.now();
      const e = await errorOf(c.exec(["true"]));
      expect(e.code).toBe("E_UNREACHABLE");
      expect(e.message).toContain(`127.0.0.1:${port}`);
      expect(Date.now() - t0).toBeLessThan(3000);
    },
    T,
  );

  test(
    "through a jump host",
    async () => {
      const s = await getSshd();
      const jump = { host: s.host, port: s.port, username: s.username, privateKey: s.privateKey };
      const c = await ssh({ jump });
      expect((await c.exec(["echo", "via jump"])).stdout).toBe("via jump\n");
    },
    T,
  );

  test(
    "an sshd restart: the next call reconnects; a running command fails with E_CONNECTION_LOST",
    async () => {
      const s = await getSshd();
      const c = await ssh();
      expect((await c.exec(["echo", "before"])).stdout).toBe("before\n");
      const p = c.spawn(["sleep", "30"]);
      const out = new Response(p.stdout).text().catch((e) => e);
      await Bun.sleep(300);
      const t0 = Date.now();
      await s.restart();
      expect((await errorOf(p.exited)).code).toBe("E_CONNECTION_LOST");
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(((await out) as { code?: string }).code).toBe("E_CONNECTION_LOST"); // no silent short output
      expect((await c.exec(["echo", "after"])).stdout).toBe("after\n");
    },
    T,
  );

  // Last: it replaces the shared server's host key.
  test(
    "a changed host key is refused with E_HOSTKEY_MISMATCH",
    async () => {
      const s = await getSshd();
      const c = await ssh();
      await c.exec(["true"]);
      const old = c.hostFingerprint!;
      await s.rotateHostKey();
      const fresh = await keygenFingerprint(`${s.hostKeyPath}.pub`);
      for (const conn of [c, await ssh({ hostKeyFingerprint: old })]) {
        const e = await errorOf(conn.exec(["true"]));
        expect(e.code).toBe("E_HOSTKEY_MISMATCH");
        expect(e.message).toContain(old);
        expect(e.message).toContain(fresh);
        expect(e.hint).toMatch(/admin must accept the new key/);
      }
    },
    T,
  );
});

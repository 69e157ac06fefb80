/**
 * Opens one authenticated ssh2 Client (optionally through a jump host) and turns every way
 * that can fail into a catalogue error a person can act on.
 */
import { createHash } from "node:crypto";
import type { Duplex } from "node:stream";
import { Client, type ConnectConfig, utils } from "ssh2";
import { AppError } from "../errors.ts";
import type { SshConnectionConfig } from "./types.ts";

/** "SHA256:<base64 without padding>" of the raw host key, as `ssh-keygen -lf` prints it. */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

export function endpointOf(cfg: Pick<SshConnectionConfig, "host" | "port" | "username">): string {
  return `${cfg.username}@${cfg.host}:${cfg.port ?? 22}`;
}

function parsePrivateKey(cfg: SshConnectionConfig): void {
  if (!cfg.privateKey) return;
  const parsed = utils.parseKey(cfg.privateKey, cfg.passphrase);
  if (!(parsed instanceof Error)) return;
  const encrypted = /encrypted|passphrase|bad decrypt|integrity check/i.test(parsed.message);
  throw new AppError(
    "E_AUTH_FAILED",
    `The private key for ${endpointOf(cfg)} cannot be used: ${parsed.message}`,
    {
      hint: encrypted
        ? "The key is encrypted: check its passphrase (a missing or wrong passphrase gives this error)"
        : "Paste the whole private key, including its BEGIN/END lines",
    },
  );
}

const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ECONNRESET",
  "EPIPE",
]);

/**
 * Connects and authenticates. `onDrop` fires once when an established client goes away
 * (close, end or error), so the owner can forget it and fail what was running.
 */
export function connectSsh(
  cfg: SshConnectionConfig,
  sock: Duplex | undefined,
  onDrop: (err: AppError) => void,
): Promise<{ client: Client; fingerprint: string }> {
  parsePrivateKey(cfg);
  const where = `${cfg.host}:${cfg.port ?? 22}`;
  return new Promise((resolve, reject) => {
    const client = new Client();
    let ready = false;
    let presented = "";
    let mismatch = false;
    let dropped = false;
    const drop = (why: string) => {
      if (!ready || dropped) return;
      dropped = true;
      onDrop(
        new AppError("E_CONNECTION_LOST", `The SSH connection to ${where} dropped (${why})`, {
          hint: "It reconnects on the next command; check the server and the network if it keeps happening",
        }),
      );
    };
    const fail = (err: Error & { level?: string; code?: string }) => {
      if (ready) return drop(err.message);
      client.end();
      if (mismatch) {
        return reject(
          new AppError(
            "E_HOSTKEY_MISMATCH",
            `The host key of ${where} changed: expected ${cfg.hostKeyFingerprint}, the server presented ${presented}`,
            {
              hint: "This can mean the server was reinstalled, or that someone is intercepting the connection: an admin must accept the new key before odoodeck connects again",
              details: { expected: cfg.hostKeyFingerprint, presented },
            },
          ),
        );
      }
      if (err.level === "client-authentication") {
        return reject(
          new AppError("E_AUTH_FAILED", `${endpointOf(cfg)} refused the credentials`, {
            hint: "Check the username, and that the public key is in the user's ~/.ssh/authorized_keys",
          }),
        );
      }
      if (
        err.level === "client-timeout" ||
        UNREACHABLE.has(err.code ?? "") ||
        err.level === "client-socket"
      ) {
        return reject(
          new AppError("E_UNREACHABLE", `Cannot reach ${where}: ${err.code ?? err.message}`, {
            hint: "Check the host name, the port, that sshd runs and that a firewall lets odoodeck through",
          }),
        );
      }
      reject(
        new AppError("E_UNREACHABLE", `SSH handshake with ${where} failed: ${err.message}`, { cause: err }),
      );
    };
    client
      .on("ready", () => {
        ready = true;
        if (!cfg.hostKeyFingerprint) cfg.onHostKeyPinned?.(presented);
        resolve({ client, fingerprint: presented });
      })
      .on("error", fail)
      .on("end", () => drop("the server ended it"))
      .on("close", () => {
        drop("closed");
        if (!ready)
          fail(Object.assign(new Error("connection closed during the handshake"), { code: "ECONNRESET" }));
      });
    const options: ConnectConfig = {
      host: cfg.host,
      port: cfg.port ?? 22,
      username: cfg.username,
      privateKey: cfg.privateKey,
      passphrase: cfg.passphrase,
      password: cfg.password,
      sock,
      readyTimeout: cfg.readyTimeoutMs ?? 15_000,
      keepaliveInterval: cfg.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        presented = fingerprintOf(key);
        mismatch = !!cfg.hostKeyFingerprint && cfg.hostKeyFingerprint !== presented;
        return !mismatch;
      },
    };
    try {
      client.connect(options);
    } catch (e) {
      fail(e as Error);
    }
  });
}

/** Opens a direct-tcpip stream from an established jump client to the target. */
export function forwardThrough(jump: Client, host: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    jump.forwardOut("127.0.0.1", 0, host, port, (err, stream) => {
      if (err)
        reject(
          new AppError("E_UNREACHABLE", `The jump host cannot reach ${host}:${port}: ${err.message}`, {
            hint: "Check that the jump host can open TCP connections to the target",
          }),
        );
      else resolve(stream);
    });
  });
}

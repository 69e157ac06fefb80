/**
 * One pooled ssh2 client per SshConnection: created on first use, shared by every exec and
 * spawn, forgotten when it drops so the next call reconnects. Channels are capped below
 * OpenSSH's default MaxSessions (10) and queue beyond that instead of failing.
 */
import type { Duplex } from "node:stream";
import type { Client, ClientChannel } from "ssh2";
import { AppError, isAppError } from "../errors.ts";
import { connectSsh, forwardThrough } from "./ssh-connect.ts";
import type { SshConnectionConfig } from "./types.ts";

const MAX_CHANNELS = 8;

export interface Link {
  client: Client;
  /** Registers a callback for when this link drops; returns an unsubscribe function. */
  onDrop(fn: (err: AppError) => void): () => void;
}

export class SshPool {
  #link: Promise<Link> | null = null;
  #clients: Client[] = [];
  #fingerprint: string | undefined;
  #open = 0;
  #waiting: Array<() => void> = [];

  private readonly cfg: SshConnectionConfig;

  constructor(cfg: SshConnectionConfig) {
    this.cfg = { ...cfg }; // we pin the first host key on our copy, not the caller's object
  }

  get fingerprint(): string | undefined {
    return this.#fingerprint;
  }

  link(): Promise<Link> {
    if (!this.#link) {
      const p = this.#connect();
      this.#link = p;
      p.catch(() => {
        if (this.#link === p) this.#link = null; // a failed attempt is not cached
      });
    }
    return this.#link;
  }

  async #connect(): Promise<Link> {
    const listeners = new Set<(err: AppError) => void>();
    let current: Promise<Link> | null = null;
    const dropped = (err: AppError) => {
      if (this.#link === current) this.#link = null;
      for (const c of clients) c.end();
      for (const fn of [...listeners]) fn(err);
      listeners.clear();
    };
    const clients: Client[] = [];
    let sock: Duplex | undefined;
    if (this.cfg.jump) {
      const jump = await connectSsh(this.cfg.jump, undefined, dropped);
      clients.push(jump.client);
      try {
        sock = await forwardThrough(jump.client, this.cfg.host, this.cfg.port ?? 22);
      } catch (e) {
        jump.client.end();
        throw e;
      }
    }
    let target: Awaited<ReturnType<typeof connectSsh>>;
    try {
      target = await connectSsh(this.cfg, sock, dropped);
    } catch (e) {
      for (const c of clients) c.end();
      throw e;
    }
    clients.push(target.client);
    this.#clients = clients;
    if (!this.cfg.hostKeyFingerprint) this.cfg.hostKeyFingerprint = target.fingerprint; // pinned for reconnects
    this.#fingerprint = target.fingerprint;
    const link: Link = {
      client: target.client,
      onDrop(fn) {
        listeners.add(fn);
        return () => listeners.delete(fn);
      },
    };
    current = this.#link;
    return link;
  }

  /** Opens an exec channel, waiting for a free slot; `release` must be called when it closes. */
  async exec(command: string): Promise<{ link: Link; channel: ClientChannel; release: () => void }> {
    if (this.#open >= MAX_CHANNELS) await new Promise<void>((r) => this.#waiting.push(r));
    this.#open++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#open--;
      this.#waiting.shift()?.();
    };
    for (let attempt = 0; ; attempt++) {
      try {
        const link = await this.link();
        const channel = await new Promise<ClientChannel>((resolve, reject) => {
          link.client.exec(command, (err, ch) => {
            if (err) return reject(err);
            // A fast command's exit-status (and close) can arrive in the same read as the channel
            // confirmation, before the caller's continuation attaches listeners: remember them here.
            const early = ch as ClientChannel & EarlyChannelState;
            ch.on("exit", (code: number | null, sig?: string) => (early.earlyExit = { code, sig }));
            ch.once("close", () => (early.earlyClosed = true));
            resolve(ch);
          });
        });
        return { link, channel, release };
      } catch (e) {
        if (isAppError(e) || attempt > 0) {
          release();
          throw isAppError(e)
            ? e
            : new AppError(
                "E_CONNECTION_LOST",
                `Cannot open a channel to ${this.cfg.host}: ${(e as Error).message}`,
              );
        }
        // The client died before we noticed (no FIN seen yet): start over once with a fresh one.
        await this.close();
      }
    }
  }

  async close(): Promise<void> {
    const p = this.#link;
    this.#link = null;
    await p?.catch(() => {});
    for (const c of this.#clients) c.end();
    this.#clients = [];
  }
}

/** What ssh-pool records on a channel before its user attaches listeners. */
export interface EarlyChannelState {
  earlyExit?: { code: number | null; sig?: string };
  earlyClosed?: boolean;
}

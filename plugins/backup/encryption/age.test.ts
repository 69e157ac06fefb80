/**
 * age through a child process: a wrong key must say so (E_BACKUP_KEY) whatever the object's size.
 * age stops reading at the header when no identity matches, so on an object bigger than a pipe's
 * buffer the bytes still being fed meet a closed pipe: that EPIPE is an echo of age's failure, not
 * the cause to report. A source that fails is its own cause.
 */
import { describe, expect, test } from "bun:test";
import { decryptBytes, decryptStream, encryptBytes, encryptStream } from "./age.ts";
import { identityFrom, recipientOf } from "./keys.ts";

async function newKey() {
  const p = Bun.spawn(["age-keygen"], { stdout: "pipe", stderr: "pipe" });
  const identity = identityFrom(await new Response(p.stdout).text());
  return { identity, recipient: await recipientOf(identity) };
}

/** `bytes` as a stream of 64 KiB chunks, as a destination's read gives them. */
function chunks(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.subarray(at, at + 65536));
      at += 65536;
    },
  });
}

describe("age decrypt", () => {
  test("a wrong key on a 5 MB object: E_BACKUP_KEY, not the pipe's EPIPE", async () => {
    const [mine, other] = await Promise.all([newKey(), newKey()]);
    const plain = crypto.getRandomValues(new Uint8Array(5 * 1024 * 1024));
    const cipher = new Uint8Array(
      await new Response(encryptStream(mine.recipient, chunks(plain))).arrayBuffer(),
    );
    const back = new Uint8Array(
      await new Response(decryptStream(mine.identity, chunks(cipher), "obj")).arrayBuffer(),
    );
    expect(Buffer.from(back).equals(Buffer.from(plain))).toBe(true);
    for (let i = 0; i < 5; i++) {
      const err = await new Response(decryptStream(other.identity, chunks(cipher), "obj")).arrayBuffer().then(
        () => null,
        (e) => e,
      );
      expect({ code: err?.code, epipe: /EPIPE|broken pipe/i.test(String(err?.message)) }).toEqual({
        code: "E_BACKUP_KEY",
        epipe: false,
      });
    }
  });

  test("a source that fails mid-object is the error, not age's short read", async () => {
    const mine = await newKey();
    const plain = crypto.getRandomValues(new Uint8Array(1024 * 1024));
    const cipher = new Uint8Array(
      await new Response(encryptStream(mine.recipient, chunks(plain))).arrayBuffer(),
    );
    let sent = 0;
    const failing = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent > 256 * 1024)
          return c.error(Object.assign(new Error("link dropped"), { code: "E_CONNECTION_LOST" }));
        c.enqueue(cipher.subarray(sent, sent + 65536));
        sent += 65536;
      },
    });
    const err = await new Response(decryptStream(mine.identity, failing, "obj")).arrayBuffer().then(
      () => null,
      (e) => e,
    );
    expect(err?.code).toBe("E_CONNECTION_LOST");
  });
});

describe("small objects sealed in-process (typage)", () => {
  test("the age tool opens what odoodeck sealed (the recovery without odoodeck), and the reverse", async () => {
    const mine = await newKey();
    const plain = crypto.getRandomValues(new Uint8Array(200_000)); // several 64 KiB chunks
    const sealed = await encryptBytes(mine.recipient, plain);
    expect(Buffer.from(sealed.subarray(0, 21)).toString()).toBe("age-encryption.org/v1");
    const dir = await import("node:fs/promises").then((f) => f.mkdtemp("/tmp/odoodeck-agekey-"));
    try {
      await Bun.write(`${dir}/key.txt`, `${mine.identity}\n`);
      const p = Bun.spawn(["age", "-d", "-i", `${dir}/key.txt`], {
        stdin: new Blob([sealed as Uint8Array<ArrayBuffer>]),
        stdout: "pipe",
        stderr: "pipe",
      });
      const out = new Uint8Array(await new Response(p.stdout).arrayBuffer());
      expect(await p.exited).toBe(0);
      expect(Buffer.from(out).equals(Buffer.from(plain))).toBe(true);
    } finally {
      await import("node:fs/promises").then((f) => f.rm(dir, { recursive: true, force: true }));
    }
    const byTool = new Uint8Array(
      await new Response(encryptStream(mine.recipient, chunks(plain))).arrayBuffer(),
    );
    const back = await decryptBytes(mine.identity, byTool, "obj");
    expect(Buffer.from(back).equals(Buffer.from(plain))).toBe(true);
  });

  test("another key: E_BACKUP_KEY; a flipped byte: E_BACKUP_CORRUPT", async () => {
    const [mine, other] = await Promise.all([newKey(), newKey()]);
    const sealed = await encryptBytes(mine.recipient, crypto.getRandomValues(new Uint8Array(5000)));
    const code = (p: Promise<unknown>) =>
      p.then(
        () => "opened",
        (e) => e?.code,
      );
    expect(await code(decryptBytes(other.identity, sealed, "obj"))).toBe("E_BACKUP_KEY");
    const damaged = sealed.slice();
    damaged[damaged.length - 30] ^= 1;
    expect(await code(decryptBytes(mine.identity, damaged, "obj"))).toBe("E_BACKUP_CORRUPT");
    expect(await code(decryptBytes(mine.identity, sealed.subarray(0, sealed.length - 100), "obj"))).toBe(
      "E_BACKUP_CORRUPT",
    );
  });
});

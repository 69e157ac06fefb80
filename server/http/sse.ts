/**
 * A Server-Sent Events stream with heartbeats (Bun closes idle connections, proxies too) that
 * ends cleanly when the client goes away.
 * @example
 * return sseStream(c.req.raw.signal, (send) => bus.on("x", (p) => send({ event: "x", data: p })));
 */
export function sseStream(
  signal: AbortSignal,
  subscribe: (send: (msg: { event?: string; data: unknown; id?: string }) => void) => (() => void) | void,
  opts: { heartbeatMs?: number; retryMs?: number } = {},
): Response {
  const enc = new TextEncoder();
  let cleanup: (() => void) | void;
  let timer: ReturnType<typeof setInterval> | undefined;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      const write = (s: string) => {
        if (closed) return;
        try {
          controller.enqueue(enc.encode(s));
        } catch {
          close();
        }
      };
      const close = () => {
        if (closed) return;
        closed = true;
        clearInterval(timer);
        cleanup?.();
        try {
          controller.close();
        } catch {}
      };
      write(`retry: ${opts.retryMs ?? 2000}\n\n`);
      cleanup = subscribe((msg) => {
        let out = "";
        if (msg.id) out += `id: ${msg.id}\n`;
        if (msg.event) out += `event: ${msg.event}\n`;
        const text = typeof msg.data === "string" ? msg.data : JSON.stringify(msg.data);
        for (const line of text.split("\n")) out += `data: ${line}\n`;
        write(`${out}\n`);
      });
      timer = setInterval(() => write(": ping\n\n"), opts.heartbeatMs ?? 15000);
      signal.addEventListener("abort", close, { once: true });
    },
    cancel() {
      clearInterval(timer);
      cleanup?.();
    },
  });
  return new Response(stream, {
    headers: {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache",
      "X-Accel-Buffering": "no",
    },
  });
}

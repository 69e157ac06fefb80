import { afterAll, expect, test } from "bun:test";
import { getSshd, SshConnection } from "../../../server/sdk/testing.ts";
import { PreviewTunnels } from "./tunnels.ts";

const conns: SshConnection[] = [];
afterAll(async () => {
  for (const c of conns) await c.close();
});

async function sshConnection() {
  const s = await getSshd();
  const c = new SshConnection({ host: s.host, port: s.port, username: s.username, privateKey: s.privateKey });
  conns.push(c);
  return c;
}

test("concurrent requests share one tunnel; a new port or a tunnel closed under us opens another", async () => {
  const conn = await sshConnection();
  let opened = 0;
  const connection = async () => {
    opened++;
    return conn;
  };
  const up = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("odoo") });
  const other = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("other") });
  const tunnels = new PreviewTunnels();
  try {
    const base = `http://127.0.0.1:${up.port}`;
    const urls = await Promise.all([1, 2, 3, 4].map(() => tunnels.url("p", base, connection)));
    expect(new Set(urls).size).toBe(1);
    expect(opened).toBe(1);
    expect(await (await fetch(urls[0])).text()).toBe("odoo");

    // Odoo restarted on another port: the old tunnel goes, a new one reaches the new port.
    const moved = await tunnels.url("p", `http://127.0.0.1:${other.port}`, connection);
    expect(moved).not.toBe(urls[0]);
    expect(await (await fetch(moved)).text()).toBe("other");
    expect(
      await fetch(urls[0]).then(
        () => "answered",
        () => "refused",
      ),
    ).toBe("refused");

    // The server's connection was reset (its tunnels closed with it): the next request reopens.
    await conn.close();
    expect(tunnels.get("p")).toBeUndefined();
    const again = await tunnels.url("p", `http://127.0.0.1:${other.port}`, connection);
    expect(await (await fetch(again)).text()).toBe("other");

    await tunnels.closeAll();
    expect(tunnels.get("p")).toBeUndefined();
    expect(
      await fetch(again).then(
        () => "answered",
        () => "refused",
      ),
    ).toBe("refused");
  } finally {
    await tunnels.closeAll();
    up.stop(true);
    other.stop(true);
  }
}, 60_000);

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Connection } from "../../server/connections/types.ts";
import { discoverOdooConfs } from "../../server/odoo/discovery.ts";
import { findConfigArg, parseUnitFile, splitCommandLine } from "../../server/odoo/odoo-argv.ts";
import { FIXTURES } from "../helpers/fixtures.ts";
import { localConnection } from "../helpers/local-connection.ts";

let root: string;
let conn: Connection;

const UNIT = `[Unit]
Description=Odoo 17 (production)
After=network.target postgresql.service

[Service]
Type=simple
User=odoo
# the real command line, split over two lines
ExecStart=/opt/odoo/venv/bin/python3 /opt/odoo/odoo17/odoo-bin \\
    --config=/etc/odoo/odoo-prod.conf --logfile /var/log/odoo/odoo.log
Restart=always
`;

beforeAll(async () => {
  conn = await localConnection();
  root = mkdtempSync(join(tmpdir(), "odoodeck-discovery-"));
  for (const d of ["etc/odoo", "etc/systemd/system", "lib/systemd/system"])
    mkdirSync(join(root, d), { recursive: true });
  copyFileSync(FIXTURES.prodConf, join(root, "etc/odoo/odoo-prod.conf"));
  copyFileSync(FIXTURES.stagingConf, join(root, "etc/odoo-staging.conf"));
  writeFileSync(join(root, "etc/odoo/README.txt"), "not a conf");
  writeFileSync(join(root, "etc/systemd/system/odoo-prod.service"), UNIT);
  writeFileSync(
    join(root, "lib/systemd/system/odoo-staging.service"),
    "[Service]\nUser=odoo-staging\nExecStart=/usr/bin/odoo -c/etc/odoo-staging.conf\n",
  );
  writeFileSync(
    join(root, "lib/systemd/system/odoo-rc.service"),
    "[Service]\nEnvironment=ODOO_RC=/etc/odoo/from-env.conf\nExecStart=/usr/bin/odoo --http-port 8070\n",
  );
  writeFileSync(
    join(root, "lib/systemd/system/nginx.service"),
    "[Service]\nExecStart=/usr/sbin/nginx -c /etc/nginx/nginx.conf\n",
  );
  // A unit enabled through a symlink, as `systemctl enable` leaves them.
  mkdirSync(join(root, "etc/systemd/system/multi-user.target.wants"));
  symlinkSync(
    join(root, "etc/systemd/system/odoo-prod.service"),
    join(root, "etc/systemd/system/multi-user.target.wants/odoo-prod.service"),
  );
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("discoverOdooConfs", () => {
  test("finds confs in /etc, in systemd units (all -c spellings, ODOO_RC) and nothing from unrelated units", async () => {
    const found = await discoverOdooConfs(conn, { root, processes: false, docker: false });
    const byPath = Object.fromEntries(found.map((c) => [c.confPath, c]));
    expect(Object.keys(byPath).sort()).toEqual([
      "/etc/odoo-staging.conf",
      "/etc/odoo/from-env.conf",
      "/etc/odoo/odoo-prod.conf",
    ]);
    expect(byPath["/etc/odoo/odoo-prod.conf"]).toEqual({
      confPath: "/etc/odoo/odoo-prod.conf",
      source: "systemd",
      serviceName: "odoo-prod",
      user: "odoo",
      // how the unit runs Odoo, interpreter included: what module actions and restore tests run
      command: ["/opt/odoo/venv/bin/python3", "/opt/odoo/odoo17/odoo-bin"],
    });
    expect(byPath["/etc/odoo-staging.conf"]).toMatchObject({
      source: "systemd",
      serviceName: "odoo-staging",
      user: "odoo-staging",
    });
    expect(byPath["/etc/odoo/from-env.conf"]).toMatchObject({ source: "systemd", serviceName: "odoo-rc" });
  });

  test("finds a running odoo process and its -c argument", async () => {
    const bin = join(root, "odoo-bin");
    writeFileSync(bin, "#!/bin/sh\nread _\n"); // a builtin: killing the shell leaves no child behind
    chmodSync(bin, 0o755);
    const confPath = join(root, "etc/odoo/odoo-prod.conf");
    const proc = Bun.spawn([bin, "-c", confPath, "--workers=2"], {
      stdin: "pipe",
      stdout: "ignore",
      stderr: "ignore",
    });
    try {
      await Bun.sleep(100);
      const found = await discoverOdooConfs(conn, { root: join(root, "empty"), docker: false });
      expect(found).toContainEqual(expect.objectContaining({ confPath, source: "process" }));
    } finally {
      proc.kill("SIGKILL");
    }
  });

  test("finds ~/.odoorc, Odoo's default config when no -c is given, in the homes it is told", async () => {
    mkdirSync(join(root, "home/erp"), { recursive: true });
    copyFileSync(FIXTURES.prodConf, join(root, "home/erp/.odoorc"));
    const found = await discoverOdooConfs(conn, {
      root,
      processes: false,
      docker: false,
      homes: ["/home/erp", "/home/nobody"],
    });
    expect(found).toContainEqual({ confPath: "/home/erp/.odoorc", source: "home" });
    expect(found.filter((f) => f.source === "home")).toHaveLength(1);
  });

  test("an empty or missing root yields nothing, not an error", async () => {
    expect(
      await discoverOdooConfs(conn, { root: join(root, "nowhere"), processes: false, docker: false }),
    ).toEqual([]);
  });
});

describe("command lines", () => {
  test("findConfigArg reads every way of passing the config", () => {
    expect(findConfigArg(["odoo-bin", "-c", "/a.conf"])).toBe("/a.conf");
    expect(findConfigArg(["odoo-bin", "-c/b.conf"])).toBe("/b.conf");
    expect(findConfigArg(["/usr/bin/odoo", "--config=/c.conf"])).toBe("/c.conf");
    expect(findConfigArg(["python3", "-u", "/opt/odoo/odoo-bin", "--config", "/d.conf"])).toBe("/d.conf");
    expect(findConfigArg(["/bin/sh", "-c", "exec /opt/odoo/odoo-bin -c '/e f.conf'"])).toBe("/e f.conf");
    expect(findConfigArg(["python3", "-c", "print(1)"])).toBeNull();
    expect(findConfigArg(["odoo-bin", "--http-port", "8069"])).toBeNull();
  });

  test("splitCommandLine and parseUnitFile follow systemd quoting and continuation lines", () => {
    expect(splitCommandLine(`a "b c" 'd e' f\\ g`)).toEqual(["a", "b c", "d e", "f g"]);
    expect(parseUnitFile(UNIT).execStart[0]).toEqual([
      "/opt/odoo/venv/bin/python3",
      "/opt/odoo/odoo17/odoo-bin",
      "--config=/etc/odoo/odoo-prod.conf",
      "--logfile",
      "/var/log/odoo/odoo.log",
    ]);
    expect(parseUnitFile("[Service]\nExecStart=-/usr/bin/odoo -c /x.conf\n").execStart[0][0]).toBe(
      "/usr/bin/odoo",
    );
  });
});

/**
 * pg_restore's session settings for a one-job load into a temporary database, against a cluster
 * with PostgreSQL's default durability (fsync and synchronous_commit on, as a real target has;
 * the test cluster that bench/pitr.ts restores into has both off, so it cannot show this). The
 * dump is the Odoo 17 fixture: Odoo's shape, thousands of small TOC entries, one commit each.
 * Rounds are interleaved; the cluster is a throwaway one (initdb, random port, socket only).
 *
 * Run: node_modules/.bin/bun bench/pitr-restore-settings.ts [--rounds 3]
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { FIXTURES } from "../tests/helpers/fixtures.ts";
import { PG_BIN } from "../tests/helpers/pg.ts";

const argv = process.argv;
const ROUNDS = Number(argv.includes("--rounds") ? argv[argv.indexOf("--rounds") + 1] : "3");
const VARIANTS: Record<string, string[]> = {
  default: [],
  "synchronous_commit=off": ["synchronous_commit=off"],
  "maintenance_work_mem=512MB": ["maintenance_work_mem=512MB"],
};
const asPostgres = (c: string[]) =>
  process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...c] : c;
async function run(cmd: string[], env: Record<string, string> = {}) {
  const p = Bun.spawn(cmd, { env: { ...process.env, ...env }, stdout: "ignore", stderr: "pipe" });
  const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
  // a non-superuser's COMMENT ON EXTENSION is the only error a restore may ignore
  if (code !== 0 && !/errors ignored on restore: 1\b/.test(err)) throw new Error(`${cmd[0]}: ${err}`);
}

const dir = mkdtempSync(join(tmpdir(), "odoodeck-bench-restore-settings-"));
chmodSync(dir, 0o755);
if (process.getuid?.() === 0) Bun.spawnSync(["chown", "postgres", dir]);
const data = join(dir, "data");
const port = 20000 + Math.floor(Math.random() * 20000);
const at = ["-h", dir, "-p", String(port)];
try {
  await run(asPostgres([`${PG_BIN}/initdb`, "-D", data, "-A", "trust", "-U", "postgres"]));
  await run(
    asPostgres([`${PG_BIN}/pg_ctl`, "-D", data, "-l", join(dir, "log"), "-w", "start", "-o"]).concat(
      `-p ${port} -k ${dir} -c listen_addresses=''`,
    ),
  );
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(", ")}`,
  );
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(VARIANTS).map((k) => [k, []]));
  for (let r = 1; r <= ROUNDS; r++)
    for (const [name, settings] of Object.entries(VARIANTS)) {
      const db = `r${r}_${Object.keys(VARIANTS).indexOf(name)}`;
      await run(["createdb", ...at, "-U", "postgres", db]);
      const t = performance.now();
      await run(
        [
          "pg_restore",
          "--no-owner",
          "--no-acl",
          ...at,
          "-U",
          "postgres",
          "-d",
          db,
          FIXTURES.dump("acme_prod"),
        ],
        settings.length ? { PGOPTIONS: settings.map((s) => `-c ${s}`).join(" ") } : {},
      );
      times[name]!.push((performance.now() - t) / 1000);
    }
  const base = times.default!.reduce((a, b) => a + b) / ROUNDS;
  for (const [name, ts] of Object.entries(times)) {
    const mean = ts.reduce((a, b) => a + b) / ROUNDS;
    console.log(
      `${name}: ${ts.map((t) => t.toFixed(2)).join(", ")} s (mean ${mean.toFixed(2)} s, ${(mean / base).toFixed(2)}× default)`,
    );
  }
  console.log(
    `load average at end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(", ")}`,
  );
} finally {
  await run(asPostgres([`${PG_BIN}/pg_ctl`, "-D", data, "-m", "immediate", "-w", "stop"])).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}

/**
 * A stand-in odoo-bin written in Python, as the real one is, so it runs both as `./odoo-bin` and
 * as `python3 odoo-bin` (a checkout whose odoo-bin has no execute bit). It prints its arguments,
 * echoes a `shell` script fed on stdin, and answers `neutralize -c <conf> -d <db> --stdout` the
 * way Odoo 17 does: the installed modules' data/neutralize.sql, looked up in Odoo's order
 * (<its folder>/odoo/addons, data_dir/addons/17.0, addons_path), between BEGIN; and COMMIT;.
 */
import { chmodSync, writeFileSync } from "node:fs";

const SCRIPT = `#!/usr/bin/env python3
import configparser, os, subprocess, sys

args = sys.argv[1:]
def opt(flag):
    return args[args.index(flag) + 1] if flag in args else None

if args[:1] == ["neutralize"] and "--stdout" in args:
    conf = configparser.ConfigParser(interpolation=None)
    conf.read(opt("-c"))
    o = conf["options"]
    env = dict(os.environ, PGPASSWORD=o.get("db_password", ""))
    out = subprocess.run(
        ["psql", "-X", "-qAt", "-h", o.get("db_host", "localhost"), "-p", o.get("db_port", "5432"),
         "-U", o.get("db_user", ""), "-d", opt("-d"), "-c",
         "SELECT name FROM ir_module_module WHERE state IN ('installed', 'to upgrade', 'to remove')"],
        env=env, capture_output=True, text=True, check=True)
    roots = [os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), "odoo", "addons")]
    if o.get("data_dir"):
        roots.append(os.path.join(o["data_dir"], "addons", "17.0"))
    roots += [p.strip() for p in o.get("addons_path", "").split(",") if p.strip()]
    print("BEGIN;")
    for module in out.stdout.split():
        for root in roots:
            path = os.path.join(root, module, "data", "neutralize.sql")
            if os.path.isfile(path):
                query = open(path).read().strip()
                if query:
                    print(query.rstrip(";") + ";")
                break
    print("COMMIT;")
    sys.exit(0)

print("fake odoo-bin called with: " + " ".join(args))
if args[:1] == ["shell"]:
    sys.stdout.write(sys.stdin.read())
print("odoo.modules.loading: done", file=sys.stderr)
sys.exit(int(os.environ.get("FAKE_ODOO_EXIT", "0")))
`;

/** Writes the stand-in at `path`; `executable: false` leaves it 0644 as a fresh checkout may. */
export function writeFakeOdooBin(path: string, opts: { executable?: boolean } = {}): string {
  writeFileSync(path, SCRIPT);
  chmodSync(path, opts.executable === false ? 0o644 : 0o755);
  return path;
}

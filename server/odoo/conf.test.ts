import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { FIXTURES } from "../../tests/helpers/fixtures.ts";
import { isAppError } from "../errors.ts";
import { deriveInstanceSettings, parseOdooConf } from "./conf.ts";
import { ODOO17_DEFAULTS } from "./conf-defaults.ts";
import { isSecretKey, MASK, maskOptions as maskSecrets, maskValue } from "../masking.ts";

const prod = () => parseOdooConf(readFileSync(FIXTURES.prodConf));
const staging = () => parseOdooConf(readFileSync(FIXTURES.stagingConf));

describe("parseOdooConf on the fixtures", () => {
  test("prod: values, line numbers, `$` and `:` kept literally", () => {
    const c = prod();
    expect(c.warnings).toEqual([]);
    expect(c.options.db_host).toBe("10.0.0.12");
    expect(c.options.db_password).toBe("pr0d-db-pass");
    expect(c.options.admin_passwd).toStartWith("$pbkdf2-sha512$600000$");
    expect(c.options.dbfilter).toBe("^acme_prod$");
    expect(c.options.log_handler).toBe(":INFO,werkzeug:WARNING");
    expect(c.options.list_db).toBe("False"); // a boolean: False is a value
    expect(c.lines.db_host).toBe(6);
    expect(c.lines.without_demo).toBe(30);
  });

  test("prod: derived settings", () => {
    const s = deriveInstanceSettings(prod());
    expect(s).toMatchObject({
      dbHost: "10.0.0.12",
      dbPort: 5432,
      dbUser: "odoo_prod",
      dbNames: ["acme_prod"],
    });
    expect(s.addonsPaths).toEqual([
      "/opt/odoo/odoo17/odoo/addons",
      "/opt/odoo/custom-addons",
      "/opt/odoo/oca/web",
    ]);
    expect(s.filestorePath("acme_prod")).toBe("/var/lib/odoo/filestore/acme_prod");
    expect(s).toMatchObject({
      listDb: false,
      proxyMode: true,
      workers: 4,
      geventPort: 8072,
      httpInterface: "127.0.0.1",
    });
    expect(s.smtp).toEqual({
      server: "smtp.acme-corp.example",
      port: 587,
      user: null,
      password: null,
      ssl: false,
    });
  });

  test("staging: keys without spaces, db_password=False is unset, [queue_job] kept apart", () => {
    const c = staging();
    expect(c.options.db_password).toBeNull();
    expect(c.raw.db_password).toBe("False");
    expect(c.options.without_demo).toBeNull();
    expect(c.options.channels).toBeUndefined();
    expect(c.sections).toEqual({ queue_job: { channels: "root:2" } });
    const s = deriveInstanceSettings(c);
    expect(s).toMatchObject({
      dbHost: "localhost",
      dbPassword: null,
      httpPort: 8169,
      listDb: true,
      workers: 0,
      maxCronThreads: 0,
    });
    expect(s.dataDir).toBe("/var/lib/odoo-staging");
    expect(s.smtp.port).toBe(1025);
  });
});

describe("parseOdooConf on nasty input", () => {
  test("`key: value`, case-insensitive keys, continuation lines, comments inside values", () => {
    const c = parseOdooConf(
      "[options]\nDB_Host: db.example\naddons_path = /a,\n  /b,\n; note\n  /c\n\nhttp_port=9000\n",
    );
    expect(c.options.db_host).toBe("db.example");
    expect(c.options.addons_path).toBe("/a,\n/b,\n/c");
    expect(c.lines.http_port).toBe(8);
    expect(deriveInstanceSettings(c).addonsPaths).toEqual(["/a", "/b", "/c"]);
  });

  test("duplicate key: an error (Odoo does not start) naming both lines, last value shown", () => {
    const c = parseOdooConf("[options]\nhttp_port = 8069\nhttp_port = 9069\n");
    expect(c.options.http_port).toBe("9069");
    expect(c.lines.http_port).toBe(3);
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toMatchObject({ severity: "error", line: 3 });
    expect(c.warnings[0].message).toContain("line 2 and line 3");
    expect(c.warnings[0].message).toContain("DuplicateOptionError");
  });

  test("configparser's duplicates: keys differing only in case, `:` against `=`, any section", () => {
    const dup = (text: string) => parseOdooConf(text).warnings.map((w) => [w.severity, w.line]);
    expect(dup("[options]\nWorkers = 2\nworkers: 4\n")).toEqual([["error", 3]]);
    expect(dup("[options]\nx = 1\n[queue_job]\nchannels = root:1\nCHANNELS=root:2\n")).toEqual([
      ["error", 5],
    ]);
    expect(dup("[options]\nx = 1\n[options]\ny = 2\n")).toEqual([["error", 3]]);
    // An indented line continues the value; an inline `;` is part of it: neither is a duplicate.
    expect(dup("[options]\naddons_path = /a,\n  workers = 3\nworkers = 2 ; two\n")).toEqual([]);
    expect(parseOdooConf("[options]\nworkers = 2 ; two\n").options.workers).toBe("2 ; two");
  });

  test("%, None, empty and inline `;` are literal / unset exactly as Python reads them", () => {
    const c = parseOdooConf("[options]\ndbfilter = %d_prod\ndb_user = None\ndb_name =\nsmtp_user = a ; b\n");
    expect(c.options.dbfilter).toBe("%d_prod");
    expect(c.options.db_user).toBeNull();
    expect(c.options.db_name).toBeNull();
    expect(c.options.smtp_user).toBe("a ; b");
  });

  test("CRLF line endings and a BOM", () => {
    const c = parseOdooConf("\ufeff[options]\r\ndb_port = 5433\r\n");
    expect(c.options.db_port).toBe("5433");
    expect(c.warnings[0].message).toContain("byte-order mark");
  });

  test("non-UTF-8 bytes fall back to Latin-1 with a warning", () => {
    const bytes = new Uint8Array([...new TextEncoder().encode("[options]\nemail_from = caf"), 0xe9, 0x0a]);
    const c = parseOdooConf(bytes);
    expect(c.options.email_from).toBe("café");
    expect(c.warnings.map((w) => w.message).join()).toContain("Latin-1");
  });

  test("garbage lines are errors with their line number", () => {
    const c = parseOdooConf("[options]\nhttp_port = 1\nthis is not a setting\n");
    expect(c.warnings).toEqual([expect.objectContaining({ severity: "error", line: 3 })]);
  });

  test("missing [options] and oversized input are E_CONF_INVALID with a hint", () => {
    for (const input of ["[server]\nhttp_port = 1\n", "http_port = 1\n", new Uint8Array(1024 * 1024 + 1)]) {
      try {
        parseOdooConf(input);
        throw new Error("should have failed");
      } catch (e) {
        expect(isAppError(e) && e.code).toBe("E_CONF_INVALID");
        expect(isAppError(e) && e.hint).toBeTruthy();
      }
    }
  });

  test("defaults: data_dir under the service user's home, longpolling_port as fallback", () => {
    const c = parseOdooConf("[options]\nlongpolling_port = 9072\n");
    const s = deriveInstanceSettings(c, { serviceUserHome: "/opt/odoo/" });
    expect(s.dataDir).toBe("/opt/odoo/.local/share/Odoo");
    expect(s).toMatchObject({
      geventPort: 9072,
      httpPort: 8069,
      dbPort: 5432,
      dbHost: null,
      listDb: true,
      proxyMode: false,
    });
    expect(s.smtp).toMatchObject({ server: "localhost", port: 25 });
  });
});

describe("secrets and defaults", () => {
  test("isSecretKey / maskValue", () => {
    for (const k of ["admin_passwd", "db_password", "smtp_password", "proxy_access_token", "some_api_key"])
      expect(isSecretKey(k)).toBe(true);
    for (const k of ["db_maxconn", "db_host", "smtp_ssl_private_key_filename", "http_port"])
      expect(isSecretKey(k)).toBe(false);
    expect(maskValue("pr0d-db-pass")).toBe(MASK);
    expect(maskValue("")).toBe("");
    const masked = maskSecrets(prod().options);
    expect(JSON.stringify(masked)).not.toContain("pr0d-db-pass");
    expect(masked.db_host).toBe("10.0.0.12");
  });

  test("the defaults table matches Odoo 17's config.py on the facts that matter", () => {
    expect(ODOO17_DEFAULTS.limit_request.default).toBe("65536");
    expect(ODOO17_DEFAULTS.db_template.default).toBe("template0");
    expect(ODOO17_DEFAULTS.limit_memory_hard.default).toBe("2684354560");
    for (const v of Object.values(ODOO17_DEFAULTS)) expect(v.help.length).toBeGreaterThan(10);
  });
});

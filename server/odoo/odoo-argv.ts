/**
 * Reading an Odoo command line (from a systemd ExecStart= or from `ps`) to find which config
 * file it runs with.
 */

/** Splits a command line the way systemd does for ExecStart: whitespace, '…' and "…" quotes, backslash escapes. */
export function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === "\\" && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

const ODOO_EXE = /(^|\/)(odoo-bin|odoo|odoo\.py|openerp-server|odoo-server)$/;
const SHELLS = /(^|\/)(sh|bash|dash|zsh)$/;

/** The config file an Odoo command line passes (-c X, -cX, --config X, --config=X); null if none. */
export function findConfigArg(argv: string[]): string | null {
  const exe = argv.findIndex((a) => ODOO_EXE.test(a));
  if (exe === -1) {
    // `sh -c "… odoo-bin -c /etc/odoo.conf"`: look inside the script.
    const sh = argv.findIndex((a) => SHELLS.test(a));
    const script = sh !== -1 && argv[sh + 1] === "-c" ? argv[sh + 2] : undefined;
    return script ? findConfigArg(splitCommandLine(script)) : null;
  }
  const args = argv.slice(exe + 1);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") break;
    if (a === "-c" || a === "--config") return args[i + 1] ?? null;
    if (a.startsWith("--config=")) return a.slice("--config=".length) || null;
    if (a.startsWith("-c") && !a.startsWith("--")) return a.slice(2);
  }
  return null;
}

/** True when the command line runs Odoo (odoo-bin, odoo, openerp-server…), directly or through a shell. */
export function isOdooCommand(argv: string[]): boolean {
  if (argv.some((a) => ODOO_EXE.test(a))) return true;
  const sh = argv.findIndex((a) => SHELLS.test(a));
  return (
    sh !== -1 && argv[sh + 1] === "-c" && !!argv[sh + 2] && isOdooCommand(splitCommandLine(argv[sh + 2]))
  );
}

/** The ExecStart= command lines, User= and Environment=ODOO_RC of a unit file. */
export function parseUnitFile(text: string): { execStart: string[][]; user?: string; odooRc?: string } {
  const joined = text.replace(/\\\r?\n/g, " ");
  const execStart: string[][] = [];
  let user: string | undefined;
  let odooRc: string | undefined;
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("#") || line.startsWith(";")) continue;
    const m = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    const [, key, value] = m;
    if (key === "ExecStart" && value) execStart.push(splitCommandLine(value.replace(/^[-@+!:]+/, "")));
    else if (key === "User") user = value.trim();
    else if (key === "Environment") {
      for (const kv of splitCommandLine(value)) if (kv.startsWith("ODOO_RC=")) odooRc = kv.slice(8);
    }
  }
  return { execStart, user, odooRc };
}

const PYTHON = /(^|\/)python[0-9.]*$/;

/**
 * The part of an Odoo command line that runs Odoo, without its options: the interpreter when one
 * is named (`/opt/venv/bin/python3 /opt/odoo/odoo-bin`) and the script. null when it is not Odoo.
 * @example odooExecutableOf(["python3", "-u", "/opt/odoo/odoo-bin", "-c", "/etc/odoo.conf"]) // ["python3", "-u", "/opt/odoo/odoo-bin"]
 */
export function odooExecutableOf(argv: string[]): string[] | null {
  const exe = argv.findIndex((a) => ODOO_EXE.test(a));
  if (exe === -1) {
    const sh = argv.findIndex((a) => SHELLS.test(a));
    const script = sh !== -1 && argv[sh + 1] === "-c" ? argv[sh + 2] : undefined;
    return script ? odooExecutableOf(splitCommandLine(script)) : null;
  }
  // python3 [interpreter options] odoo-bin: keep the interpreter and its options (-u, -X…)
  const py = argv.slice(0, exe).findLastIndex((a) => PYTHON.test(a));
  const opts = py === -1 ? [] : argv.slice(py + 1, exe);
  return py !== -1 && opts.every((a) => a.startsWith("-")) ? argv.slice(py, exe + 1) : [argv[exe]];
}

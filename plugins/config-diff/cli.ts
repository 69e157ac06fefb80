import { AppError, type CliCommand, type PluginContext } from "odoodeck/sdk";
import type { Comparison, ConfigView } from "./present.ts";
import { comparison, configView } from "./service.ts";

/** An instance by id or by name, as a user types it. */
async function resolveInstance(ctx: PluginContext, ref: string | undefined): Promise<number> {
  if (!ref) throw new AppError("E_VALIDATION", "Missing instance", { hint: "Give an instance name or id" });
  const all = await ctx.instances.list();
  const hit = all.find((i) => String(i.id) === ref) ?? all.find((i) => i.name === ref);
  if (!hit)
    throw new AppError("E_NOT_FOUND", `No instance "${ref}"`, {
      hint: `Known instances: ${all.map((i) => i.name).join(", ") || "none"}`,
    });
  return hit.id;
}

const cell = (v: string | null) => (v == null ? "(not set)" : v);

function columns(rows: string[][]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(w[i]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function showText(v: ConfigView): string {
  if (v.error)
    return `${v.instance.name}: ${v.error.message}${v.error.hint ? `\n  hint: ${v.error.hint}` : ""}`;
  const out = [`${v.instance.name} — ${v.confPath}`];
  for (const n of v.notices) out.push(`${n.severity}: ${n.line ? `line ${n.line}: ` : ""}${n.message}`);
  out.push(
    columns([
      ["KEY", "VALUE", "DEFAULT", "DIFFERS"],
      ...v.rows.map((r) => [r.key, cell(r.value), r.known ? cell(r.default) : "-", r.differs ? "yes" : ""]),
    ]),
  );
  if (v.findings.length)
    out.push("", "Findings:", ...v.findings.map((f) => `  [${f.severity}] ${f.message}`));
  return out.join("\n");
}

export function diffText(cmp: Comparison): string {
  const out: string[] = [];
  for (const p of cmp.problems) out.push(`${p.side}: ${p.what}: ${p.message}`);
  const section = (title: string, rows: Comparison["conf"]) => {
    out.push("", title);
    if (!rows) return out.push("  (not comparable)");
    if (!rows.length) return out.push("  identical");
    out.push(
      columns([
        ["KEY", cmp.left.name, cmp.right.name, "STATUS"],
        ...rows.map((r) => [
          r.key,
          cell(r.left),
          cell(r.right),
          r.status + (r.expected ? " (expected)" : ""),
        ]),
      ]),
    );
  };
  section("odoo.conf", cmp.conf);
  out.push("", "addons paths");
  for (const a of cmp.addons) out.push(`  ${a.status.padEnd(10)} ${a.path}`);
  section("system parameters", cmp.params);
  return out.join("\n").trimStart();
}

/** `--json` reaches plugin commands with their other arguments. */
const wantsJson = (args: string[]) => args.includes("--json");
const positionals = (args: string[]) => args.filter((a) => !a.startsWith("--"));

export const cliCommands: CliCommand[] = [
  {
    name: "config show",
    summary: "Show an instance's odoo.conf against Odoo's defaults, with findings (secrets masked)",
    usage: "config show <instance> [--json]",
    async run(args, ctx) {
      const v = await configView(ctx, await resolveInstance(ctx, positionals(args)[0]), "cli");
      console.log(wantsJson(args) ? JSON.stringify(v, null, 2) : showText(v));
      return v.error ? 1 : 0;
    },
  },
  {
    name: "config diff",
    summary: "Compare two instances: odoo.conf, addons paths, system parameters (secrets masked)",
    usage: "config diff <a> <b> [--json]",
    async run(args, ctx) {
      const [a, b] = positionals(args);
      const cmp = await comparison(ctx, await resolveInstance(ctx, a), await resolveInstance(ctx, b), "cli");
      console.log(wantsJson(args) ? JSON.stringify(cmp, null, 2) : diffText(cmp));
      return cmp.problems.length ? 1 : 0;
    },
  },
];

import { AppError } from "../errors.ts";

const camel = (s: string) => s.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** Turns one flag's text into the type its JSON Schema asks for; the executor checks the rest. */
function coerce(text: string | true, schema: Record<string, any> | undefined): unknown {
  const types = new Set<string>(
    [schema?.type, ...(schema?.anyOf ?? []).map((s: any) => s.type)].flat().filter(Boolean),
  );
  if (text === true) return true;
  if (types.has("boolean") && (text === "true" || text === "false")) return text === "true";
  if ((types.has("integer") || types.has("number")) && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (types.has("array")) return text === "" ? [] : text.split(",").map((x) => coerce(x, schema?.items));
  if (types.has("object")) {
    try {
      return JSON.parse(text);
    } catch {
      throw new AppError("E_VALIDATION", `The value ${text} is not JSON`);
    }
  }
  return text;
}

/**
 * `op <id> [instance] --field value --flag --no-flag --items a,b` → the input object, typed by
 * the operation's JSON Schema (`--dry-run` fills `dryRun` when that is the field's name).
 */
export function inputFromArgs(
  args: string[],
  schema: { properties: Record<string, any> },
  positionalField: string | null,
): { input: Record<string, unknown>; json: boolean; help: boolean } {
  const input: Record<string, unknown> = {};
  let json = false;
  let help = false;
  const field = (flag: string) => (flag in schema.properties ? flag : camel(flag));
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--json") json = true;
    else if (a === "--help" || a === "-h") help = true;
    else if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const flag = eq > 0 ? a.slice(2, eq) : a.slice(2);
      const negated = eq < 0 && flag.startsWith("no-") && !(field(flag) in schema.properties);
      const name = field(negated ? flag.slice(3) : flag);
      const prop = schema.properties[name];
      let value: string | true;
      if (eq > 0) value = a.slice(eq + 1);
      else if (negated) value = "false";
      else if (prop?.type === "boolean" || i + 1 >= args.length || args[i + 1].startsWith("--")) value = true;
      else value = args[++i];
      input[name] = coerce(value, prop);
    } else positionals.push(a);
  }
  if (positionals.length && positionalField && !(positionalField in input))
    input[positionalField] = coerce(positionals.shift()!, schema.properties[positionalField]);
  if (positionals.length)
    throw new AppError("E_VALIDATION", `Unexpected argument ${positionals[0]}`, {
      hint: "Fields are given as --name value; see --help",
    });
  return { input, json, help };
}

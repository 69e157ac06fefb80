import type { Core } from "../../core.ts";
import type { Principal } from "../../sdk/types.ts";
import { Field } from "../../../views/components/ui.tsx";

/** A token's limits as the form sends them (instances may repeat: one checkbox each). */
export function tokenLimitsFrom(form: Record<string, string | File | (string | File)[]>) {
  const all = (v: unknown) => (Array.isArray(v) ? v : v == null ? [] : [v]).map(String);
  const tools = String(form.tools ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    instances: all(form.instances).map(Number),
    tools,
    // An unchecked box is absent from the form: destructive operations refused.
    allowDestructive: form.allowDestructive === "on",
  };
}

/** The instances a new token may be limited to: those its owner may view. */
export async function visibleInstances(core: Core, p: Principal) {
  const out = [];
  for (const r of await core.registry.instanceRows()) if (await core.can(p, "viewer", r.id)) out.push(r);
  return out;
}

/** The limits column: "all instances", else their names; presets; "no destructive". */
export function limitsText(
  t: { instances: string | null; tools: string | null; allow_destructive: number },
  names: Map<number, string>,
): string {
  const ids = t.instances ? (JSON.parse(t.instances) as number[]) : null;
  const parts = [
    ids ? `instances: ${ids.map((id) => names.get(id) ?? `#${id}`).join(", ")}` : "all instances",
    t.tools ? `tools: ${(JSON.parse(t.tools) as string[]).join(", ")}` : "",
    t.allow_destructive ? "" : "no destructive",
  ];
  return parts.filter(Boolean).join(" · ");
}

/** Fields of the create form for the limits (instances, MCP tool presets, destructive switch). */
export function TokenLimitFields(props: { instances: Array<{ id: number; name: string }> }) {
  return (
    <>
      <fieldset class="field" id="token-instances">
        <legend>Instances (none ticked: every instance your role reaches)</legend>
        {props.instances.map((i) => (
          <label>
            <input type="checkbox" name="instances" value={String(i.id)} /> {i.name}
          </label>
        ))}
      </fieldset>
      <Field
        label="Tool presets"
        name="tools"
        placeholder="e.g. read,backup"
        pattern="[a-z0-9,\- ]*"
        hint="MCP tools by tag (read, write, backup…); empty: all"
      />
      <label class="field">
        <span>
          <input type="checkbox" name="allowDestructive" checked /> May run destructive operations
        </span>
        <small>Unticked: dropping or replacing data is refused to this token on every surface</small>
      </label>
    </>
  );
}

import { PythonSyntaxError, parsePythonLiteral } from "./python-literal.ts";

/** The parts of `__manifest__.py` odoodeck shows and compares. */
export interface Manifest {
  name: string | null;
  version: string | null;
  author: string | null;
  license: string | null;
  depends: string[];
  installable: boolean;
}

export type ManifestResult = { ok: true; manifest: Manifest } | { ok: false; error: string };

const str = (v: unknown): string | null =>
  typeof v === "string" ? v : typeof v === "number" ? String(v) : null;

/**
 * Reads a manifest without executing it. A syntax error or a non-dict is returned as a reason,
 * so one broken module never breaks the page.
 * @example parseManifest("{'version': '1.2', 'depends': ['base']}") // { ok: true, manifest: {...} }
 */
export function parseManifest(text: string): ManifestResult {
  let v: unknown;
  try {
    v = parsePythonLiteral(text);
  } catch (e) {
    if (e instanceof PythonSyntaxError) return { ok: false, error: e.message };
    throw e;
  }
  if (!v || typeof v !== "object" || Array.isArray(v))
    return { ok: false, error: "the manifest is not a dict" };
  const d = v as Record<string, unknown>;
  return {
    ok: true,
    manifest: {
      name: str(d.name),
      version: str(d.version),
      author: str(d.author),
      license: str(d.license),
      depends: Array.isArray(d.depends) ? d.depends.filter((x): x is string => typeof x === "string") : [],
      installable: d.installable !== false,
    },
  };
}

import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { OperationSteps, STATUS_KIND, StatusBadge } from "./ui.tsx";

const ROOT = join(import.meta.dir, "..", "..");
const render = (el: unknown) => String(el);

/** Views other helpers own right now; they switch to ui.StatusBadge when they land (see the report). */
const NOT_YET: Record<string, string> = {
  "plugins/backup/views/restore-tests-page.tsx": "sec-backup restructures plugins/backup",
};
/** Colours of categories that are not statuses (no status word fits them). */
const NOT_A_STATUS: Record<string, string> = {
  "plugins/config-diff/views/parts.tsx": "diff categories: same, changed, only on one side",
  "plugins/config-diff/views/diff-page.tsx": "addons folders: in both, or on one side only",
};

/** A colour picked by hand from a status: the raw class, a Badge kind computed from a status, a local map. */
const HAND_PICKED = [
  /class=["'`][^"'`]*\bbadge-(ok|warn|error|muted|info)\b/,
  /Badge\s+kind=\{[^}]*\bstatus\b/,
  /\b(ok|critical|cancelled|interrupted|running|failed)\s*:\s*"(ok|warn|error|muted|info)"/,
];

function tsxFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "node_modules" || name.startsWith(".")) return [];
    if (statSync(path).isDirectory()) return tsxFiles(path);
    return name.endsWith(".tsx") && !name.includes(".test.") ? [path] : [];
  });
}

describe("ui.StatusBadge", () => {
  test("the same status has the same colour, whoever renders it", () => {
    for (const [status, kind] of Object.entries(STATUS_KIND)) {
      const html = render(<StatusBadge status={status} />);
      expect(html).toContain(`badge badge-${kind}`);
      expect(html).toContain(`icon-${kind}`);
      expect(html).toContain(`>${status}</span>`);
    }
    // The statuses the old maps disagreed on.
    expect(STATUS_KIND.cancelled).toBe("muted");
    expect(STATUS_KIND.unknown).toBe("muted");
    expect(STATUS_KIND.interrupted).toBe("error");
    expect(STATUS_KIND.running).toBe("info");
    expect(render(<StatusBadge status="something new" />)).toContain("badge-muted");
    expect(render(<StatusBadge status="ok" label="running" />)).toMatch(/badge-ok.*>running</s);
  });

  test("OperationSteps shows each step's status and an error not already shown above", () => {
    const html = render(
      <OperationSteps
        shownError="dump failed"
        steps={[
          { name: "dump", status: "error", error: { message: "dump failed" } },
          { name: "upload", status: "cancelled", error: { message: "stopped by ann" } },
          { name: "verify", status: "pending" },
        ]}
      />,
    );
    expect(html).toMatch(/badge-error.*error<\/span><\/span> dump<\/li>/s);
    expect(html).not.toContain("— dump failed");
    expect(html).toMatch(/badge-muted.*cancelled.*upload.*— stopped by ann/s);
    expect(html).toMatch(/badge-muted.*pending.*verify/s);
  });

  test("no view picks a status colour by hand outside ui.tsx", () => {
    const offenders: string[] = [];
    for (const dir of ["server", "views", "plugins"])
      for (const path of tsxFiles(join(ROOT, dir))) {
        const rel = relative(ROOT, path);
        if (rel.startsWith("views/components/") || NOT_YET[rel] || NOT_A_STATUS[rel]) continue;
        readFileSync(path, "utf8")
          .split("\n")
          .forEach((line, i) => {
            if (HAND_PICKED.some((re) => re.test(line))) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
          });
      }
    expect(offenders).toEqual([]);
  });
});

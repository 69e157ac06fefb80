/**
 * A fresh ed25519 deploy key, made by ssh-keygen on the odoodeck machine in a private temporary
 * folder that is removed before this returns (the private half then lives only sealed in the store).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppError } from "../../../server/sdk/index.ts";

export async function generateDeployKey(comment: string): Promise<{ publicKey: string; privateKey: string }> {
  const dir = mkdtempSync(join(tmpdir(), "odoodeck-deploy-key-")); // 0700
  try {
    const file = join(dir, "id_ed25519");
    const p = Bun.spawn(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file], {
      stdout: "pipe",
      stderr: "pipe",
      stdin: "ignore",
    });
    const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
    if (code !== 0)
      throw new AppError("E_COMMAND_FAILED", `ssh-keygen failed: ${err.trim()}`, {
        hint: "Install openssh-client on the odoodeck machine",
      });
    return { publicKey: readFileSync(`${file}.pub`, "utf8").trim(), privateKey: readFileSync(file, "utf8") };
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT")
      throw new AppError("E_COMMAND_FAILED", "ssh-keygen is not installed on the odoodeck machine", {
        hint: "Install openssh-client, or use an HTTPS token instead",
      });
    throw e;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

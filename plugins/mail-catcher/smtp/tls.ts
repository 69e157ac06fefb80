/**
 * The catcher's STARTTLS certificate: self-signed, made once with openssl at first start and kept
 * in the data directory, so clients that pin it keep working across restarts.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { AppError } from "../../../server/sdk/index.ts";

export interface TlsFiles {
  key: string;
  cert: string;
}

/** Reads <dir>/smtp.key and smtp.crt, generating them first when absent. */
export async function ensureCertificate(dir: string, hostname: string): Promise<TlsFiles> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyPath = join(dir, "smtp.key");
  const certPath = join(dir, "smtp.crt");
  if (!existsSync(keyPath) || !existsSync(certPath)) {
    const proc = Bun.spawn(
      [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "3650",
        "-subj",
        `/CN=${hostname}`,
        "-keyout",
        keyPath,
        "-out",
        certPath,
      ],
      { stdout: "ignore", stderr: "pipe" },
    );
    const err = await new Response(proc.stderr).text();
    if ((await proc.exited) !== 0)
      throw new AppError("E_COMMAND_FAILED", "Could not make the mail catcher's TLS certificate", {
        hint: `openssl said: ${err.trim().split("\n").at(-1) ?? "nothing"}`,
      });
  }
  return { key: await Bun.file(keyPath).text(), cert: await Bun.file(certPath).text() };
}

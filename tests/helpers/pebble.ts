/**
 * A real ACME CA for tests: Let's Encrypt's pebble on loopback, with pebble-challtestsrv as its
 * DNS (every name resolves to 127.0.0.1 unless a test says otherwise). Pebble's own HTTPS
 * certificate comes from a CA made here, trusted by the code under test through its settings
 * only. HTTP-01 checks go to `httpPort`; DNS-01 checks ask challtestsrv, whose management API
 * (`challtestUrl`: POST /set-txt, /clear-txt) a DNS hook writes the TXT records with.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import tls from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

export interface Pebble {
  directoryUrl: string;
  /** PEM path of the CA that signed pebble's own HTTPS certificate. */
  httpsCaPath: string;
  httpsCa: string;
  /** Pebble's issuing root (PEM), made at its start: what issued certificates chain to. */
  root(): Promise<string>;
  /** Makes `host` resolve to `ip` for pebble's checks (e.g. an address nobody listens on). */
  resolve(host: string, ip: string): Promise<void>;
  /** `host` resolves to 127.0.0.1 again. */
  unresolve(host: string): Promise<void>;
  /** challtestsrv's DNS server, "127.0.0.1:<port>": what pebble resolves and checks TXT records at. */
  dnsServer: string;
  /** challtestsrv's management API (http://127.0.0.1:<port>). */
  challtestUrl: string;
  stop(): Promise<void>;
}

/** A free TCP port on loopback (asked of the kernel, then released for the child to take). */
function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = s;
  s.stop(true);
  return port;
}

function openssl(cwd: string, ...args: string[]): void {
  const r = Bun.spawnSync(["openssl", ...args], { cwd });
  if (r.exitCode !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr.toString()}`);
}

/** The certificate a TLS listener presents for this SNI name, and whether it chains to `ca`. */
export function presentedCertificate(port: number, servername: string, ca: string) {
  return new Promise<{ cert: tls.PeerCertificate; authorized: boolean; error: string | null }>(
    (resolve, reject) => {
      const s = tls.connect({ host: "127.0.0.1", port, servername, ca, rejectUnauthorized: false }, () => {
        resolve({
          cert: s.getPeerCertificate(),
          authorized: s.authorized,
          error: s.authorizationError ? String(s.authorizationError) : null,
        });
        s.end();
      });
      s.on("error", reject);
    },
  );
}

/** `httpPort`: where pebble makes its HTTP-01 checks (DNS-01 tests need none). */
export async function startPebble(opts: { httpPort?: number } = {}): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), "odoodeck-pebble-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl(
    dir,
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=pebble test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=keyCertSign",
  );
  openssl(dir, "req", ...ec, "-keyout", "key.pem", "-out", "csr.pem", "-subj", "/CN=localhost");
  writeFileSync(join(dir, "ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  openssl(
    dir,
    "x509",
    "-req",
    "-in",
    "csr.pem",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "cert.pem",
    "-days",
    "2",
    "-extfile",
    "ext.cnf",
  );
  const [acmePort, mgmtPort, dnsPort, challMgmtPort, tlsPort] = [1, 2, 3, 4, 5].map(freePort);
  writeFileSync(
    join(dir, "pebble.json"),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${mgmtPort}`,
        certificate: join(dir, "cert.pem"),
        privateKey: join(dir, "key.pem"),
        httpPort: opts.httpPort ?? freePort(),
        tlsPort,
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
      },
    }),
  );
  const procs: Subprocess[] = [];
  const log = (name: string) => Bun.file(join(dir, `${name}.log`));
  procs.push(
    Bun.spawn(
      [
        "pebble-challtestsrv",
        "-dns01",
        `127.0.0.1:${dnsPort}`,
        "-http01",
        "",
        "-https01",
        "",
        "-tlsalpn01",
        "",
        "-management",
        `127.0.0.1:${challMgmtPort}`,
        "-defaultIPv6",
        "",
      ],
      { stdout: log("challtestsrv"), stderr: log("challtestsrv") },
    ),
  );
  procs.push(
    Bun.spawn(["pebble", "-config", join(dir, "pebble.json"), "-dnsserver", `127.0.0.1:${dnsPort}`], {
      // No random sleeps, no nonce rejected on purpose, no authorization reused: each test's
      // challenge really happens.
      env: { ...process.env, PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0", PEBBLE_AUTHZREUSE: "0" },
      stdout: log("pebble"),
      stderr: log("pebble"),
    }),
  );
  const httpsCa = await Bun.file(join(dir, "ca.pem")).text();
  const tls = { ca: httpsCa } as never;
  const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
  const stop = async () => {
    for (const p of procs) p.kill();
    await Promise.all(procs.map((p) => p.exited));
    rmSync(dir, { recursive: true, force: true });
  };
  const challtest = async (what: string, body: unknown) => {
    const r = await fetch(`http://127.0.0.1:${challMgmtPort}/${what}`, {
      method: "POST",
      body: JSON.stringify(body),
    });
    if (!r.ok) throw new Error(`challtestsrv ${what}: ${r.status}`);
  };
  for (let i = 0; ; i++) {
    const up = await fetch(directoryUrl, { tls }).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (i > 100 || procs.some((p) => p.exitCode !== null)) {
      const text = await log("pebble")
        .text()
        .catch(() => "");
      await stop();
      throw new Error(`pebble did not start:\n${text}`);
    }
    await Bun.sleep(100);
  }
  return {
    directoryUrl,
    httpsCaPath: join(dir, "ca.pem"),
    httpsCa,
    root: () => fetch(`https://127.0.0.1:${mgmtPort}/roots/0`, { tls }).then((r) => r.text()),
    resolve: (host, ip) => challtest("add-a", { host: `${host}.`, addresses: [ip] }),
    unresolve: (host) => challtest("clear-a", { host: `${host}.` }),
    dnsServer: `127.0.0.1:${dnsPort}`,
    challtestUrl: `http://127.0.0.1:${challMgmtPort}`,
    stop,
  };
}

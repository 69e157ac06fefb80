/** The previews' HTTPS on the previews page: listener errors and each ACME certificate's state. */
import { ui } from "../../../server/sdk/index.ts";
import { ACME_ERRORS, type AcmeErrorCode } from "../serve/acme.ts";
import type { CertificateRecord } from "../serve/cert-store.ts";

export function HttpsStatus(props: {
  mode: string;
  /** acme_challenge: "dns-01" means one wildcard certificate for every preview. */
  challenge?: string;
  domain: string;
  error: string | null;
  certificates: CertificateRecord[];
}) {
  return (
    <section id="previews-https">
      {props.error ? (
        <ui.Flash kind="error" code="E_CONFIG" message={`HTTPS is not served: ${props.error}`} />
      ) : null}
      {props.mode === "acme" && props.challenge === "dns-01" && props.domain ? (
        <WildcardStatus certificates={props.certificates} domain={props.domain} />
      ) : props.mode === "acme" ? (
        <CertificateTable certificates={props.certificates} domain={props.domain} />
      ) : null}
    </section>
  );
}

/** The retry of the wildcard: the previews.wildcard-certificate operation (admin). */
const WILDCARD_RETRY = "/p/previews/wildcard-certificate";

/** DNS-01: one wildcard certificate, asked for with the first preview, or now by an admin. */
function WildcardStatus(props: { certificates: CertificateRecord[]; domain: string }) {
  if (props.certificates.length) return <CertificateTable {...props} />;
  return (
    <>
      <h2>Certificates</h2>
      <p>
        One wildcard certificate <code>*.{props.domain}</code> from the ACME CA by DNS-01, asked for when the
        first preview needs it.
      </p>
      <ui.Form action={WILDCARD_RETRY}>
        <button type="submit">Ask the CA for *.{props.domain} now</button>
      </ui.Form>
    </>
  );
}

function CertificateTable(props: { certificates: CertificateRecord[]; domain: string }) {
  if (!props.certificates.length) return null;
  const wildcard = props.certificates.some((c) => c.host.startsWith("*."));
  return (
    <>
      <h2>Certificates</h2>
      <p>
        {wildcard
          ? "From the ACME CA by DNS-01, one wildcard for every preview; without it previews are served over HTTP meanwhile."
          : "From the ACME CA, one per preview; a preview without one is served over HTTP meanwhile."}
      </p>
      <table class="table" id="previews-certificates">
        <thead>
          <tr>
            <th>Host</th>
            <th>Valid until</th>
            <th>Last attempt</th>
          </tr>
        </thead>
        <tbody>
          {props.certificates.map((c) => (
            <tr data-host={c.host}>
              <td>{c.host}</td>
              <td>{c.cert ? <ui.Time at={c.notAfter} /> : "—"}</td>
              <td class="acme-status">
                {c.errorCode ? (
                  <ui.Flash
                    kind="error"
                    code={c.errorCode}
                    message={c.error ?? c.errorCode}
                    hint={ACME_ERRORS[c.errorCode as AcmeErrorCode]?.hint}
                  />
                ) : null}
                {c.errorCode ? (
                  <ui.Form
                    action={
                      c.host.startsWith("*.")
                        ? WILDCARD_RETRY
                        : `/p/previews/${c.host.slice(0, -props.domain.length - 1)}/certificate`
                    }
                  >
                    <button type="submit">Ask the CA again</button>
                  </ui.Form>
                ) : (
                  <ui.Badge kind="ok">issued</ui.Badge>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

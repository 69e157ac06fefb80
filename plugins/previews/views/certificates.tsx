/** The previews' HTTPS on the previews page: listener errors and each ACME certificate's state. */
import { ui } from "../../../server/sdk/index.ts";
import { ACME_ERRORS, type AcmeErrorCode } from "../serve/acme.ts";
import type { CertificateRecord } from "../serve/cert-store.ts";

export function HttpsStatus(props: {
  mode: string;
  domain: string;
  error: string | null;
  certificates: CertificateRecord[];
}) {
  return (
    <section id="previews-https">
      {props.error ? (
        <ui.Flash kind="error" code="E_CONFIG" message={`HTTPS is not served: ${props.error}`} />
      ) : null}
      {props.mode === "acme" ? (
        <CertificateTable certificates={props.certificates} domain={props.domain} />
      ) : null}
    </section>
  );
}

function CertificateTable(props: { certificates: CertificateRecord[]; domain: string }) {
  if (!props.certificates.length) return null;
  return (
    <>
      <h2>Certificates</h2>
      <p>From the ACME CA, one per preview; a preview without one is served over HTTP meanwhile.</p>
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
                  <ui.Form action={`/p/previews/${c.host.slice(0, -props.domain.length - 1)}/certificate`}>
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

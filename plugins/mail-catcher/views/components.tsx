/** The inbox list and the message view, shared by signed-in pages and share links. */
import type { Child } from "hono/jsx";
import { ui } from "../../../server/sdk/index.ts";
import type { FullMessage } from "../store/full.ts";
import type { MessageRow } from "../store/messages.ts";

export function InboxList(props: { rows: MessageRow[]; total: number; listUrl: string; base: string }) {
  return (
    <div id="mc-list" hx-get={props.listUrl} hx-trigger="sse:mail" hx-swap="outerHTML">
      <p class="muted" id="mc-count">
        {props.total} message(s)
      </p>
      {props.rows.length ? (
        <table class="table" id="mc-messages">
          <thead>
            <tr>
              <th>Received</th>
              <th>From</th>
              <th>To</th>
              <th>Subject</th>
              <th>Size</th>
            </tr>
          </thead>
          <tbody>
            {props.rows.map((m) => (
              <tr class={m.read ? "mc-read" : "mc-unread"} data-id={m.id}>
                <td>
                  <ui.Time at={new Date(m.receivedAt).toISOString()} />
                </td>
                <td>{m.sender}</td>
                <td>{m.recipients.join(", ")}</td>
                <td>
                  <a href={`${props.base}/m/${m.id}`}>{m.subject || "(no subject)"}</a>
                  <small class="muted"> {m.snippet.slice(0, 80)}</small>
                </td>
                <td>{ui.bytes(m.size)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <ui.Empty title="No mail caught yet">
          Mail an Odoo sends from a neutralized database appears here, live.
        </ui.Empty>
      )}
    </div>
  );
}

/** Headers, origin, HTML in a sandboxed iframe, text, attachments; `urls` differ for share links. */
export function MessageView(props: {
  row: MessageRow;
  full: FullMessage;
  urls: { html: string; raw: string; part: (id: string) => string };
  remote: boolean;
  remoteUrl: string;
  actions?: Child;
}) {
  const { row, full } = props;
  return (
    <article id="mc-message">
      <h1 id="mc-subject">{row.subject || "(no subject)"}</h1>
      <dl class="mc-meta">
        <dt>From</dt>
        <dd id="mc-from">{row.sender}</dd>
        <dt>To</dt>
        <dd id="mc-to">{row.recipients.join(", ")}</dd>
        <dt>Received</dt>
        <dd>{new Date(row.receivedAt).toISOString()}</dd>
        {row.odooModel ? (
          <>
            <dt>Sent by</dt>
            <dd id="mc-origin">
              Odoo record {row.odooModel} #{row.odooResId}
            </dd>
          </>
        ) : null}
      </dl>
      {props.actions}
      <section>
        <h2>HTML</h2>
        {props.remote ? (
          <p class="muted">Remote content is loaded.</p>
        ) : (
          <p>
            Remote images and styles are blocked.{" "}
            <a id="mc-load-remote" href={props.remoteUrl}>
              Load remote content
            </a>
          </p>
        )}
        <iframe
          id="mc-html"
          title="Message HTML"
          sandbox=""
          referrerpolicy="no-referrer"
          src={props.urls.html + (props.remote ? "?remote=1" : "")}
          style="width:100%;min-height:24rem;border:1px solid #ccc;background:#fff"
        />
      </section>
      <section>
        <h2>Text</h2>
        <pre id="mc-text" style="white-space:pre-wrap">
          {full.text}
        </pre>
      </section>
      <section>
        <h2>Attachments</h2>
        {full.parts.length ? (
          <ul id="mc-attachments">
            {full.parts.map((p) => (
              <li>
                <a href={props.urls.part(p.partId)}>{p.filename}</a> {p.contentType}, {ui.bytes(p.size)}
              </li>
            ))}
          </ul>
        ) : (
          <p class="muted">None</p>
        )}
      </section>
      <section>
        <h2>Headers</h2>
        <table class="table" id="mc-headers">
          <tbody>
            {full.headers.map(([k, v]) => (
              <tr>
                <th>{k}</th>
                <td>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p>
          <a href={props.urls.raw}>Raw source</a>
        </p>
      </section>
    </article>
  );
}

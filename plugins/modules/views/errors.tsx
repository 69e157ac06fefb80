import { ui } from "../../../server/sdk/index.ts";

/** One flash per failed section: the rest of the page still renders below. */
export function SectionErrors(props: { errors: Array<{ code: string; message: string; hint?: string }> }) {
  return (
    <div class="section-errors">
      {props.errors.map((e) => (
        <ui.Flash kind="error" message={e.message} hint={e.hint} code={e.code} />
      ))}
    </div>
  );
}

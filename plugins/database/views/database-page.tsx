import type { Child } from "hono/jsx";
import { DATABASE_PARTS, type DatabasePartName, PartPlaceholder } from "./database-parts.tsx";

/** The Database tab: every card loads on its own after the page (see database-parts.tsx). */
export function DatabasePage(props: {
  base: string;
  /** e.g. "VACUUM ANALYZE res_partner started: follow it" */
  notice?: Child;
}) {
  return (
    <div>
      {props.notice}
      {(Object.keys(DATABASE_PARTS) as DatabasePartName[]).map((part) => (
        <PartPlaceholder base={props.base} part={part} />
      ))}
    </div>
  );
}

/**
 * Mailpit's search syntax, the part people use: `from:`, `to:`, `subject:`, quoted phrases, and
 * bare words that match sender, recipients, subject or body. Every term must match (AND).
 */
export type Field = "sender" | "recipients" | "subject" | "body";
export interface Term {
  fields: Field[];
  text: string;
}

const PREFIX: Record<string, Field[]> = {
  from: ["sender"],
  to: ["recipients"],
  subject: ["subject"],
};
const ANY: Field[] = ["sender", "recipients", "subject", "body"];

export function parseQuery(q: string): Term[] {
  const out: Term[] = [];
  for (const m of q.matchAll(/(?:(\w+):)?(?:"([^"]*)"|(\S+))/g)) {
    const [, prefix, quoted, bare] = m;
    const fields = prefix ? PREFIX[prefix.toLowerCase()] : ANY;
    // An unknown prefix ("is:read") is searched as the text it is
    const text = fields ? (quoted ?? bare) : m[0];
    if (text) out.push({ fields: fields ?? ANY, text });
  }
  return out;
}

/** `%`, `_` and `\` are literal in what the user typed. */
export const likePattern = (s: string) => `%${s.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The FTS5 MATCH expression for a term (trigram index: substring, case-insensitive), or null when
 * the term is shorter than a trigram and only a LIKE scan can find it.
 */
export function ftsMatch(term: Term): string | null {
  if ([...term.text].length < 3) return null;
  return `{${term.fields.join(" ")}} : "${term.text.replace(/"/g, '""')}"`;
}

/**
 * RFC 4180 CSV as psql --csv writes it: comma-separated, fields with commas, quotes or line
 * breaks are double-quoted with "" for a quote. psql writes NULL and '' alike (an empty field),
 * so callers set psql's null display to a random token and pass it here.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  const n = text.length;
  if (n === 0) return rows;
  while (i <= n) {
    let field: string;
    if (text[i] === '"') {
      let value = "";
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q === -1) throw new Error("unterminated quoted CSV field");
        value += text.slice(i, q);
        if (text[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      field = value;
    } else {
      let j = i;
      while (j < n && text[j] !== "," && text[j] !== "\n" && text[j] !== "\r") j++;
      field = text.slice(i, j);
      i = j;
    }
    row.push(field);
    if (text[i] === ",") {
      i++;
      continue;
    }
    if (text[i] === "\r") i++;
    if (text[i] === "\n") i++;
    rows.push(row);
    row = [];
    if (i >= n) break;
  }
  return rows;
}

/** CSV with a header line → one object per row; fields equal to nullToken become null. */
export function csvToObjects<T = Record<string, string | null>>(text: string, nullToken?: string): T[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) return [];
  const value = (v: string | undefined) => (v === undefined || v === nullToken ? null : v);
  return rows.map((r) => Object.fromEntries(header.map((h, k) => [h, value(r[k])])) as T);
}

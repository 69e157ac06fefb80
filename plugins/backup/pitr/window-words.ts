/**
 * The recoverable window as people read it ("from 6 Dec 2026, 22:40:05 UTC to …"), for the form,
 * the card and the E_PITR_WINDOW message, and the UTC picker's values both ways.
 */
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "6 Dec 2026, 22:40:05 UTC": a moment as a person reads it (the picker is in UTC too). */
export function inWords(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${p(d.getUTCHours())}:${p(
    d.getUTCMinutes(),
  )}:${p(d.getUTCSeconds())} UTC`;
}

/** "from 6 Dec 2026, 22:40:05 UTC to 6 Dec 2026, 23:01:10 UTC". */
export function windowInWords(w: { from: string; to: string | null }): string {
  return `from ${inWords(w.from)} to ${w.to ? inWords(w.to) : "now"}`;
}

/**
 * The value of a `datetime-local` input in UTC, to the second: "2026-12-06T22:40:05"; `up` rounds
 * to the next whole second (a window's start: its first second must be inside it).
 */
export const pickerValue = (iso: string, up = false) =>
  new Date(Math.ceil(new Date(iso).getTime() / (up ? 1000 : 1)) * (up ? 1000 : 1)).toISOString().slice(0, 19);

/**
 * What the picker posts ("2026-12-06T22:40:05", no zone: the form says UTC) as ISO 8601; a value
 * that already names its zone is passed on for the operation's own validation.
 */
export function pickedInstant(raw: unknown): string {
  const s = String(raw ?? "").trim();
  const local = /^(\d{4}-\d\d-\d\dT\d\d:\d\d)(:\d\d(\.\d+)?)?$/.exec(s);
  if (!local) return s;
  return `${local[1]}${local[2] ?? ":00"}Z`;
}

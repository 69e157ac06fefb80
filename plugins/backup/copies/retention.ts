/**
 * Grandfather-father-son retention as a pure function, so the page can show what will be deleted
 * before anything is (Dokploy#3855: retention deleted every backup). Periods are counted among
 * periods that have a backup, not on the calendar, so a long outage never empties the list; the
 * newest verified backup and at least `keepMin` backups always stay.
 */
export interface RetentionPolicy {
  daily: number;
  weekly: number;
  monthly: number;
  /** Never fewer than this many backups (at least 1 whatever is asked). */
  keepMin: number;
}

export interface Retainable {
  createdAt: string;
}

export interface Decision<T> {
  item: T;
  reason: string;
}

export interface RetentionPlan<T> {
  keep: Decision<T>[];
  delete: Decision<T>[];
}

const day = (d: Date) => d.toISOString().slice(0, 10);
const month = (d: Date) => d.toISOString().slice(0, 7);
function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const dow = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - dow); // the Thursday of this week decides its year
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86400000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
}

/**
 * @param backups good (published) backups only; failed attempts hold no data and are not counted.
 * @example planRetention(list, { daily: 7, weekly: 4, monthly: 6, keepMin: 1 }, new Date(), (b) => b.verified)
 */
export function planRetention<T extends Retainable>(
  backups: T[],
  policy: RetentionPolicy,
  now: Date,
  isVerified: (b: T) => boolean = () => false,
): RetentionPlan<T> {
  const sorted = [...backups].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  const reasons = new Map<T, string[]>();
  const add = (b: T, why: string) => reasons.set(b, [...(reasons.get(b) ?? []), why]);
  const bucket = (n: number, label: string, key: (d: Date) => string) => {
    const seen = new Set<string>();
    for (const b of sorted) {
      if (seen.size >= n) break;
      const k = key(new Date(b.createdAt));
      if (seen.has(k)) continue;
      seen.add(k); // the newest backup of each period represents it
      add(b, `${label} ${k}`);
    }
  };
  bucket(Math.max(0, policy.daily), "daily", day);
  bucket(Math.max(0, policy.weekly), "weekly", isoWeek);
  bucket(Math.max(0, policy.monthly), "monthly", month);
  const newestVerified = sorted.find(isVerified);
  if (newestVerified) add(newestVerified, "newest verified backup");
  const keepMin = Math.max(1, policy.keepMin);
  for (const b of sorted.slice(0, keepMin)) if (!reasons.has(b)) add(b, `keep at least ${keepMin}`);
  const plan: RetentionPlan<T> = { keep: [], delete: [] };
  for (const b of sorted) {
    const why = reasons.get(b);
    if (why) plan.keep.push({ item: b, reason: why.join(", ") });
    else {
      const ageDays = Math.floor((now.getTime() - Date.parse(b.createdAt)) / 86400000);
      plan.delete.push({
        item: b,
        reason: `${ageDays} days old, outside ${policy.daily} daily / ${policy.weekly} weekly / ${policy.monthly} monthly`,
      });
    }
  }
  return plan;
}

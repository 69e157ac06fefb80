/** Retention per mailbox: newest first, keep while within count, total size and age. */
export interface RetentionLimits {
  count: number;
  bytes: number;
  maxAgeMs: number;
}

export function expiredIds(
  newestFirst: Array<{ id: string; size: number; receivedAt: number }>,
  limits: RetentionLimits,
  now = Date.now(),
): string[] {
  const out: string[] = [];
  let kept = 0;
  let bytes = 0;
  for (const m of newestFirst) {
    const keep =
      kept < limits.count && bytes + m.size <= limits.bytes && now - m.receivedAt <= limits.maxAgeMs;
    if (keep) {
      kept++;
      bytes += m.size;
    } else out.push(m.id);
  }
  return out;
}

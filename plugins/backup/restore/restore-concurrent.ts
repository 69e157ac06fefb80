/**
 * Runs branches of one restore side by side (database and filestore). When one fails the others
 * are aborted and awaited, so cleanup never races a process still writing.
 */
import { AppError } from "../../../server/sdk/index.ts";

export async function allOrAbort(
  parent: AbortSignal | undefined,
  branches: Array<(signal: AbortSignal) => Promise<unknown>>,
): Promise<void> {
  const ac = new AbortController();
  const onParent = () => ac.abort();
  parent?.addEventListener("abort", onParent, { once: true });
  if (parent?.aborted) ac.abort();
  let first: unknown = null;
  try {
    await Promise.all(
      branches.map((b) =>
        b(ac.signal).catch((e) => {
          first ??= e;
          ac.abort();
        }),
      ),
    );
  } finally {
    parent?.removeEventListener("abort", onParent);
  }
  if (first) throw first;
  if (parent?.aborted) throw new AppError("E_CANCELLED");
}

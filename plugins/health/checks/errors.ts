import type { CheckDef, Measurement } from "../types.ts";

/** Payload the logs plugin is expected to emit as "logs.new_error". */
export interface NewErrorEvent {
  instanceId: number;
  signature: string;
  message?: string;
  at?: string;
}

/** Keeps the new error signatures of the last hour per instance, fed by events. */
export class ErrorSignatures {
  #seen = new Map<number, Array<{ signature: string; message: string; at: number }>>();
  #fed = false;

  record(e: NewErrorEvent): void {
    if (!e || typeof e.instanceId !== "number") return;
    this.#fed = true;
    const list = this.#seen.get(e.instanceId) ?? [];
    list.push({
      signature: String(e.signature),
      message: String(e.message ?? e.signature),
      at: e.at ? Date.parse(e.at) : Date.now(),
    });
    this.#seen.set(e.instanceId, list.slice(-100));
  }

  recent(instanceId: number, windowMs = 3_600_000) {
    const since = Date.now() - windowMs;
    return (this.#seen.get(instanceId) ?? []).filter((x) => x.at >= since);
  }

  get fed(): boolean {
    return this.#fed;
  }
}

export function errorsCheck(sigs: ErrorSignatures): CheckDef {
  return {
    id: "errors",
    label: "New error signatures",
    thresholds: { warning: 1, critical: 10, direction: "above" },
    async run(target): Promise<Measurement> {
      const recent = sigs.recent(target.instance.id);
      if (!recent.length && !sigs.fed)
        return {
          status: "unknown",
          message: "no error events received yet (is the logs plugin following this instance?)",
        };
      return {
        value: recent.length,
        message: recent.length
          ? `${recent.length} new in 1 h; last: ${recent[recent.length - 1].message.slice(0, 200)}`
          : "no new error signature in 1 h",
      };
    },
  };
}

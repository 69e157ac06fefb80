import { describe, expect, test } from "bun:test";
import { planRetention } from "./retention.ts";

type B = { name: string; createdAt: string; verified?: boolean };
const at = (iso: string, verified = false): B => ({ name: iso, createdAt: `${iso}Z`, verified });
const names = (xs: { item: B }[]) => xs.map((x) => x.item.name).sort();
const now = new Date("2024-06-30T12:00:00Z");

describe("planRetention", () => {
  test("keeps the newest backup of each of the last N days and deletes the rest", () => {
    const list = [
      at("2024-06-30T02:00:00"),
      at("2024-06-30T01:00:00"),
      at("2024-06-29T02:00:00"),
      at("2024-06-28T02:00:00"),
    ];
    const plan = planRetention(list, { daily: 2, weekly: 0, monthly: 0, keepMin: 1 }, now);
    expect(names(plan.keep)).toEqual(["2024-06-29T02:00:00", "2024-06-30T02:00:00"]);
    expect(names(plan.delete)).toEqual(["2024-06-28T02:00:00", "2024-06-30T01:00:00"]);
    expect(plan.delete[0].reason).toContain("outside 2 daily");
  });

  test("weekly and monthly buckets keep older representatives", () => {
    const list = [
      at("2024-06-30T01:00:00"),
      at("2024-06-20T01:00:00"),
      at("2024-05-10T01:00:00"),
      at("2024-04-10T01:00:00"),
      at("2024-03-10T01:00:00"),
    ];
    const plan = planRetention(list, { daily: 1, weekly: 2, monthly: 3, keepMin: 1 }, now);
    expect(names(plan.keep)).toEqual([
      "2024-04-10T01:00:00",
      "2024-05-10T01:00:00",
      "2024-06-20T01:00:00",
      "2024-06-30T01:00:00",
    ]);
    expect(names(plan.delete)).toEqual(["2024-03-10T01:00:00"]);
    expect(plan.keep.find((k) => k.item.name === "2024-06-30T01:00:00")!.reason).toContain(
      "daily 2024-06-30",
    );
    expect(plan.keep.find((k) => k.item.name === "2024-05-10T01:00:00")!.reason).toBe("monthly 2024-05");
  });

  test("a policy of zeros still keeps one backup, and never the newest verified one goes", () => {
    const list = [at("2024-06-30T01:00:00"), at("2024-06-01T01:00:00", true), at("2024-05-01T01:00:00")];
    const plan = planRetention(
      list,
      { daily: 0, weekly: 0, monthly: 0, keepMin: 0 },
      now,
      (b) => !!b.verified,
    );
    expect(names(plan.keep)).toEqual(["2024-06-01T01:00:00", "2024-06-30T01:00:00"]);
    expect(plan.keep.find((k) => k.item.name === "2024-06-01T01:00:00")!.reason).toBe(
      "newest verified backup",
    );
    expect(names(plan.delete)).toEqual(["2024-05-01T01:00:00"]);
  });

  test("after a long outage the old backups are the ones kept (periods with backups count)", () => {
    const list = [at("2023-01-03T01:00:00"), at("2023-01-02T01:00:00"), at("2023-01-01T01:00:00")];
    const plan = planRetention(list, { daily: 2, weekly: 0, monthly: 0, keepMin: 1 }, now);
    expect(plan.keep.length).toBe(2);
    expect(names(plan.delete)).toEqual(["2023-01-01T01:00:00"]);
  });

  test("ISO weeks: Sunday and the next Monday are different weeks", () => {
    const list = [at("2024-06-24T01:00:00"), at("2024-06-23T01:00:00"), at("2024-06-22T01:00:00")];
    const plan = planRetention(list, { daily: 0, weekly: 2, monthly: 0, keepMin: 1 }, now);
    expect(names(plan.keep)).toEqual(["2024-06-23T01:00:00", "2024-06-24T01:00:00"]);
  });
});

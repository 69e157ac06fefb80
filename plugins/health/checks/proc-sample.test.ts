import { describe, expect, test } from "bun:test";
import { parseProcSample, summarize } from "./proc-sample.ts";

// What PROC_SAMPLE_SCRIPT printed for a main process (27549) and three workers, the main one
// busy for part of the second: two readings, one second apart.
const OUTPUT = `how command lines with -c /etc/odoo/odoo.conf
clk 100
page 4096
cpus 2
memtotal_kb 24684092
elapsed 6231.96 6232.96
a 27553 27549 10 2990080 423
a 27549 27544 500 114422016 27007
a 27551 27549 0 2990080 414
a 27552 27549 7 2990080 387
a 27560 27549 3 2990080 387
b 27553 27549 10 2990080 423
b 27549 27544 601 115089408 28007
b 27551 27549 0 2990080 414
b 27552 27549 7 2990080 387
`;

describe("process sample", () => {
  test("pids, memory in bytes, CPU ticks between the readings; a process gone before the second is dropped", () => {
    const s = parseProcSample(OUTPUT);
    expect(s).toMatchObject({
      how: "command lines with -c /etc/odoo/odoo.conf",
      clockTicks: 100,
      pageSize: 4096,
      cpus: 2,
      memTotalBytes: 24684092 * 1024,
    });
    expect(s.elapsed).toBeCloseTo(1, 5);
    expect(s.processes.map((p) => [p.pid, p.ppid, p.cpuTicks])).toEqual([
      [27549, 27544, 101],
      [27551, 27549, 0],
      [27552, 27549, 0],
      [27553, 27549, 0],
    ]);
    expect(s.processes[0]).toMatchObject({ rssBytes: 28007 * 4096, vmsBytes: 115089408 });
    expect(summarize(s)).toEqual({
      count: 4,
      rssBytes: (28007 + 414 + 387 + 423) * 4096,
      largestVmsBytes: 115089408,
      cpuCorePercent: 101,
      cpuServerPercent: 50.5,
    });
  });

  test("nothing found: no process, no CPU figure invented", () => {
    const s = parseProcSample("how command lines with -c /x.conf\nclk 100\npage 4096\ncpus 4\n");
    expect(s.processes).toEqual([]);
    expect(s.hidden).toBe(false);
    expect(parseProcSample("how x\nhidden 1\n").hidden).toBe(true);
    expect(summarize(s)).toMatchObject({ count: 0, rssBytes: 0, cpuServerPercent: null });
  });
});

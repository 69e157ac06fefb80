/**
 * An odoodeck killed -9 in the middle of a cluster swap (cluster-rewind.test.ts): runs the swap
 * with the journal written to a file and, once the recovered cluster is in place and answers,
 * prints "swapped-in" and waits to be killed. argv: <JSON { live, recovered, discardAs, stamp,
 * pg, dbName, journalFile }>
 */
import { writeFileSync } from "node:fs";
import { LocalConnection } from "../../../server/sdk/testing.ts";
import { swapClusterIn } from "./cluster-rewind.ts";

const o = JSON.parse(process.argv[2]!);
await swapClusterIn({
  ...o,
  conn: new LocalConnection(),
  service: null,
  log: () => {},
  journal: async (stage) =>
    writeFileSync(o.journalFile, JSON.stringify({ stage, stamp: o.stamp, at: "T", live: o.live })),
  whileStopped: async () => {
    console.log("swapped-in");
    setInterval(() => {}, 1 << 30);
    await new Promise(() => {}); // until killed
  },
});

/**
 * An odoodeck that streams WAL and is then killed -9 by receiver.test.ts: prints the receiver's
 * process group and idles. argv: <JSON { pg, walDir, slot }>
 */
import { WalReceiver } from "./receiver.ts";

const o = JSON.parse(process.argv[2]!);
const rx = new WalReceiver(o);
await rx.start();
console.log(`group:${rx.pid}`);
setInterval(() => {}, 1 << 30); // until killed

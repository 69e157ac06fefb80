/**
 * Removing a backup at an S3 destination deletes every object under its prefix. A delete can fail
 * with S3's 500 "internal error, please try again" (s3rver answers deletes racing in one folder
 * so, every time): the remove tries again from a fresh listing instead of failing the prune.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { S3Destination } from "./s3.ts";
import { startS3rver } from "./s3-test-server.ts";

let s3: Awaited<ReturnType<typeof startS3rver>>;
let d: S3Destination;

beforeAll(async () => {
  s3 = await startS3rver(["b"]);
  d = new S3Destination({
    endpoint: s3.endpoint,
    bucket: "b",
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
    prefix: "odoodeck/",
  });
});
afterAll(() => s3?.stop());

const body = (s: string) => new Blob([s]).stream() as ReadableStream<Uint8Array>;

test("a backup of many objects is removed whole, and the others stay", async () => {
  const names = ["acme_acme_20260101T000000Z_full.odoodeck", "acme_acme_20260102T000000Z_full.odoodeck"];
  for (const n of names)
    for (const f of [
      "manifest.json",
      "db.dump",
      "filestore.tar.zst",
      ...Array.from({ length: 20 }, (_, i) => `x/${i}`),
    ])
      await d.write(`${n}/${f}`, body(`${n} ${f}`));
  await d.remove(names[0]);
  expect(await d.list()).toEqual([names[1]]);
  expect(await d.size(`${names[0]}/manifest.json`)).toBeNull();
  expect(await new Response(d.read(`${names[1]}/x/7`)).text()).toBe(`${names[1]} x/7`);
});

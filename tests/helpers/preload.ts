import { afterAll } from "bun:test";
import { runCleanups } from "./cleanup.ts";

// A global afterAll in a preload runs once, after every test file of the run.
afterAll(async () => {
  await runCleanups();
});
process.on("exit", () => {
  void runCleanups();
});

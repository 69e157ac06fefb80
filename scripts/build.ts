/**
 * Builds dist/odoodeck: one self-contained executable with views, CSS, htmx and migrations
 * inside (assets are text imports; migrations a static list). No .env/bunfig is read at run time.
 */
import { $ } from "bun";
import { mkdirSync, statSync } from "node:fs";

mkdirSync("dist", { recursive: true });
const bun = process.execPath;
const started = Date.now();
await $`${bun} build server/main.ts --compile --minify --sourcemap=none --no-compile-autoload-dotenv --no-compile-autoload-bunfig --outfile dist/odoodeck`;
const size = statSync("dist/odoodeck").size;
console.log(
  `dist/odoodeck: ${(size / 1024 / 1024).toFixed(1)} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);

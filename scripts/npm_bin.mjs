#!/usr/bin/env node
/**
 * `npx archlab <command> [flags]`: the lab's command line from the npm package. The lab runs on
 * Deno (its machines are child `deno` processes), so this runs the package's TypeScript sources
 * (`deno/lab/main.ts`) with the `deno` on PATH, or else with the `deno` package from npm
 * (`npx -y deno@2.9.6`). Exit code and output are the lab's.
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const DENO_VERSION = "2.9.6";
const root = new URL("../deno/", import.meta.url);
const args = [
  "run",
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env",
  "--allow-sys",
  "--config",
  fileURLToPath(new URL("deno.json", root)),
  "--node-modules-dir=none",
  fileURLToPath(new URL("lab/main.ts", root)),
  ...process.argv.slice(2),
];
const onPath = spawnSync("deno", ["--version"], { stdio: "ignore" }).error === undefined;
const [command, prefix] = onPath
  ? ["deno", []]
  : [process.platform === "win32" ? "npx.cmd" : "npx", ["-y", `deno@${DENO_VERSION}`]];
const child = spawn(command, [...prefix, ...args], { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("error", (error) => {
  console.error(
    `archlab: cannot start deno (${error.message}); install Deno ${DENO_VERSION} ` +
      `(npm i -g deno@${DENO_VERSION}) and run again`,
  );
  process.exit(1);
});
child.on("exit", (code, signal) => {
  process.exit(code ?? (signal === "SIGINT" ? 130 : 1));
});

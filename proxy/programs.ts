/**
 * Programs of the proxy architecture, by name, for the lab to start on any machine.
 * @module
 */
import type { Program } from "../core/process.ts";
import { cacheProxy } from "./cache_process.ts";
import { kvOrigin } from "./origin_process.ts";
import { zipfClient } from "./zipf_client.ts";

/**
 * Every program of this architecture, by name: `proxy-cache` ({@link cacheProxy}),
 * `proxy-origin` ({@link kvOrigin}) and `proxy-client` ({@link zipfClient}).
 *
 * @example Look up a program
 * ```ts
 * import assert from "node:assert/strict";
 * import { programs } from "./programs.ts";
 * assert.deepEqual(Object.keys(programs), ["proxy-cache", "proxy-origin", "proxy-client"]);
 * ```
 */
export const programs: Readonly<Record<string, Program>> = {
  "proxy-cache": cacheProxy,
  "proxy-origin": kvOrigin,
  "proxy-client": zipfClient,
};

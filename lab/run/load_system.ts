/**
 * Loading a user's system from its file: the `system` export (the full form) or the default
 * export (either form), checked by {@link planSystem}. Every machine of a real run loads the
 * same file itself, by URL; a loaded system is kept per URL, so a process started later (after
 * a restart) finds it at once, and the simulator's processes never wait on the host to load it.
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type MachineEntry, planSystem, type System, SystemError } from "./system.ts";

const loaded = new Map<string, Promise<MachineEntry[]>>();
const ready = new Map<string, MachineEntry[]>();

/**
 * The URL of a system module: a URL as it is (`file:`, `data:`, ...), a path resolved against
 * `base`.
 *
 * @example A relative path and a URL
 * ```ts
 * import assert from "node:assert/strict";
 * import { systemUrl } from "./load_system.ts";
 * assert.equal(systemUrl("sys.ts", "/home/me"), "file:///home/me/sys.ts");
 * assert.equal(systemUrl("file:///tmp/sys.ts"), "file:///tmp/sys.ts");
 * ```
 */
export function systemUrl(file: string | URL, base: string = Deno.cwd()): string {
  if (file instanceof URL) return file.href;
  if (/^[a-z][a-z0-9+.-]+:/i.test(file) && !isAbsolute(file)) return new URL(file).href;
  return pathToFileURL(resolve(base, file)).href;
}

/**
 * The system a module's exports give: `system`, else the default export.
 *
 * @example The full form wins over a default export
 * ```ts
 * import assert from "node:assert/strict";
 * import { systemOf } from "./load_system.ts";
 * const fn = async () => {};
 * const machines = systemOf({ system: { machines: { m1: { a: fn } } }, default: { "b@m2": fn } }, "sys.ts");
 * assert.deepEqual(machines.map((m) => m.name), ["m1.lab"]);
 * assert.throws(() => systemOf({}, "sys.ts"), /Cannot run "sys.ts": it exports neither/);
 * ```
 */
export function systemOf(
  exports: Readonly<Record<string, unknown>>,
  source: string,
): MachineEntry[] {
  const value = exports.system ?? exports.default;
  if (value === undefined) {
    throw new SystemError(
      source,
      "it exports neither `system` nor a default map of processes; write " +
        '`export default { "kv@m1.lab": async (ctx) => { ... } }`',
    );
  }
  return planSystem(value, { source });
}

/**
 * Loads the system module at `url` (once per URL) and checks it.
 *
 * @example A one-file system from a data URL
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadSystem } from "./load_system.ts";
 * const url = "data:text/javascript,export default { 'kv@m1.lab': async () => {} };";
 * const machines = await loadSystem(url);
 * assert.deepEqual(machines.map((m) => m.name), ["m1.lab"]);
 * await assert.rejects(loadSystem("data:text/javascript,export const x = 1;"), /exports neither/);
 * ```
 * @throws {SystemError} (as a rejection) when the module cannot be loaded or gives no valid
 * system; the message names the problem.
 */
export function loadSystem(
  url: string,
  options: {
    /** What to call the system in messages. @default the URL */
    readonly source?: string;
  } = {},
): Promise<MachineEntry[]> {
  let loading = loaded.get(url);
  if (loading === undefined) {
    const source = options.source ?? url;
    loading = import(url).then(
      (exports: Record<string, unknown>) => {
        const machines = systemOf(exports, source);
        ready.set(url, machines);
        return machines;
      },
      (error: unknown) => {
        throw new SystemError(
          source,
          `cannot load it: ${error instanceof Error ? error.message : String(error)}`,
        );
      },
    );
    loaded.set(url, loading);
    // A failed load may be retried (the file fixed); the caller sees the rejection.
    loading.catch(() => loaded.delete(url));
  }
  return loading;
}

/**
 * The system at `url` if it is loaded already, else `undefined`.
 *
 * @example Known once loaded
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadedSystem, loadSystem } from "./load_system.ts";
 * const url = "data:text/javascript,export default { 'a@m1.lab': async () => {} };";
 * assert.equal(loadedSystem(url), undefined);
 * await loadSystem(url);
 * assert.equal(loadedSystem(url)?.[0].name, "m1.lab");
 * ```
 */
export function loadedSystem(url: string): MachineEntry[] | undefined {
  return ready.get(url);
}

export type { System };

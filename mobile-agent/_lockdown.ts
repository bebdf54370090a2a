/**
 * The sandbox child's lockdown, done before the agent's module is imported.
 *
 * - Every capability denial is recorded as Deno builds its error, whether the agent catches it
 *   or not: Deno's denial classes set their `name` in their constructor, so a setter for `name`
 *   on their prototypes (which the agent cannot remove) sees each one. This covers every API
 *   that asks Deno's permissions: `Deno.*`, `fetch`, `WebSocket`, `process.env`, `node:fs`, ...
 * - Workers are refused: a Worker is a second isolate with a heap cap of its own and none of this
 *   file's watch. `globalThis.Worker` is replaced for good, `process.getBuiltinModule` refuses
 *   `worker_threads` and `module` (whose `require` reaches it), the import map the sandbox
 *   passes maps those modules to a refusal, and the runtime's internals (`Deno[Deno.internal]`,
 *   whose ops create Workers directly) are deleted.
 *
 * Security does not rest on this file: Deno's permissions refuse every access, and the kernel's
 * limits (memory, CPU time) bound what a Worker could take. This file makes the refusals
 * visible. An agent that rewrites the JavaScript built-ins the runner uses could hide its own
 * denials from the report; it cannot lift them.
 * @module
 */

/** Modules that reach `Worker`: refused by `process.getBuiltinModule` and the import map. */
export const REFUSED_MODULES: readonly string[] = [
  "node:worker_threads",
  "worker_threads",
  "node:module",
  "module",
];

const WORKER_REFUSED = "the sandbox refuses Workers (an agent runs alone in its child process)";

/**
 * Source of the module the import map gives instead of each of {@link REFUSED_MODULES}.
 *
 * @example The refusal names the module
 * ```ts
 * import assert from "node:assert/strict";
 * import { refusedModuleSource } from "./_lockdown.ts";
 * assert.match(refusedModuleSource("node:worker_threads"), /NotCapable\("Cannot import/);
 * ```
 */
export function refusedModuleSource(specifier: string): string {
  const text = `Cannot import ${JSON.stringify(specifier)}: ${WORKER_REFUSED}`;
  return `throw new Deno.errors.NotCapable(${JSON.stringify(text)});`;
}

function fix(target: object, key: PropertyKey, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: false, configurable: false });
}

function watchDenials(onDenied: (message: string) => void): void {
  const errors = Deno.errors as unknown as Record<string, unknown>;
  fix(Deno, "errors", errors);
  for (const name of ["NotCapable", "PermissionDenied"]) {
    const cls = errors[name] as { prototype: object };
    // The stubs of refused modules and the Worker refusal build this very class.
    fix(errors, name, cls);
    Object.defineProperty(cls.prototype, "name", {
      configurable: false,
      get: () => name,
      set(this: Error, value: unknown) {
        onDenied(`${value}: ${this.message}`);
        Object.defineProperty(this, "name", {
          value,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      },
    });
  }
}

function refuseWorkers(): void {
  const NotCapable = Deno.errors.NotCapable;
  const RefusedWorker = class Worker {
    constructor() {
      throw new NotCapable(`Cannot start a Worker: ${WORKER_REFUSED}`);
    }
  };
  fix(globalThis, "Worker", RefusedWorker);
  const process = (globalThis as unknown as { process?: Record<string, unknown> }).process;
  const original = process?.getBuiltinModule;
  if (process !== undefined && typeof original === "function") {
    fix(process, "getBuiltinModule", (id: string) => {
      const bare = String(id).replace(/^node:/, "");
      if (REFUSED_MODULES.includes(bare)) {
        throw new NotCapable(`Cannot load module ${JSON.stringify(id)}: ${WORKER_REFUSED}`);
      }
      return original.call(process, id);
    });
  }
  const deno = Deno as unknown as Record<PropertyKey, unknown>;
  const internal = deno.internal as PropertyKey | undefined;
  if (internal !== undefined && internal in deno && !delete deno[internal]) {
    throw new Error("Cannot lock the sandbox down: Deno's internals cannot be deleted");
  }
}

/**
 * Locks the child down (see the module's documentation); `onDenied` hears every capability
 * denial from now on, with its message.
 */
export function lockDown(onDenied: (message: string) => void): void {
  watchDenials(onDenied);
  refuseWorkers();
}

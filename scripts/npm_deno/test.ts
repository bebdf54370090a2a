/**
 * `Deno.test` on `node:test`, for running archlab's core test files under Node: the build copies
 * them next to the package's sources and makes each import `Deno` from here. Only the forms the
 * core's tests use: `Deno.test(name, fn)` and `Deno.test({ name, fn, ignore })`.
 * @module
 */
import { test as nodeTest } from "node:test";
import { Deno as base } from "./deno.ts";

/** What a test function receives: `step()` runs a sub-test. */
interface TestContext {
  step(name: string, fn: (t: TestContext) => unknown): Promise<boolean>;
}

type TestFn = (t: TestContext) => unknown;

interface TestDefinition {
  readonly name: string;
  readonly fn: TestFn;
  readonly ignore?: boolean;
}

// deno-lint-ignore no-explicit-any
function contextOf(t: any): TestContext {
  return {
    async step(name, fn) {
      await t.test(name, async (inner: unknown) => {
        await fn(contextOf(inner));
      });
      return true;
    },
  };
}

function test(nameOrDefinition: string | TestDefinition, maybeFn?: TestFn): void {
  const definition = typeof nameOrDefinition === "string"
    ? { name: nameOrDefinition, fn: maybeFn! }
    : nameOrDefinition;
  nodeTest(
    definition.name,
    { skip: definition.ignore === true },
    // deno-lint-ignore no-explicit-any
    async (t: any) => {
      await definition.fn(contextOf(t));
    },
  );
}

// The tests use `Promise.withResolvers` (ES2024), which Node 20 lacks.
const promises = Promise as unknown as { withResolvers?: unknown };
promises.withResolvers ??= <T>() => {
  let resolve!: (value: T | PromiseLike<T>) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

/** The package's `Deno` with `test` added. */
export const Deno: typeof base & { test: typeof test } = { ...base, test };

/**
 * Small @std/assert-style helpers over `node:assert/strict` (JSR is unreachable here).
 * @module
 */
import assert from "node:assert/strict";

/** Asserts deep equality. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  assert.deepStrictEqual(actual, expected, msg);
}

/** Asserts a truthy value. */
export function assertTrue(value: unknown, msg?: string): asserts value {
  assert.ok(value, msg);
}

/** Asserts that `fn` rejects with an error of `ErrorClass` whose message includes `includes`. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  ErrorClass: new (...args: never[]) => Error,
  includes?: string,
): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof ErrorClass, `expected ${ErrorClass.name}, got ${err}`);
    if (includes) assert.ok((err as Error).message.includes(includes), (err as Error).message);
    return err as Error;
  }
  throw new assert.AssertionError({ message: `expected ${ErrorClass.name} to be thrown` });
}

/** Asserts that `fn` throws an error of `ErrorClass` whose message includes `includes`. */
export function assertThrows(
  fn: () => unknown,
  ErrorClass: new (...args: never[]) => Error,
  includes?: string,
): Error {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ErrorClass, `expected ${ErrorClass.name}, got ${err}`);
    if (includes) assert.ok((err as Error).message.includes(includes), (err as Error).message);
    return err as Error;
  }
  throw new assert.AssertionError({ message: `expected ${ErrorClass.name} to be thrown` });
}

/**
 * Reading a program's JSON arguments with clear errors (private to the tiers).
 * @module
 */

/** Bounds of a number argument. */
export interface NumberRange {
  /** Value when the argument is absent. */
  readonly fallback: number;
  /** Smallest accepted value. @default 0 */
  readonly min?: number;
  /** Largest accepted value. @default Infinity */
  readonly max?: number;
  /** Whole numbers only. @default false */
  readonly integer?: boolean;
}

/** Typed accessors over one program's arguments. */
export interface ArgReader {
  /** A number in range, or the fallback when absent. */
  number(name: string, range: NumberRange): number;
  /** A non-empty string, or `fallback` (when given) when absent. */
  string(name: string, fallback?: string): string;
  /** A non-empty string, or `undefined` when absent. */
  optionalString(name: string): string | undefined;
  /** A boolean, or `fallback` when absent. */
  boolean(name: string, fallback: boolean): boolean;
}

/**
 * Reads the arguments of `program`; every accessor throws a `TypeError` quoting a bad value.
 *
 * @example A bad value is quoted
 * ```ts
 * import assert from "node:assert/strict";
 * import { argReader } from "./_args.ts";
 * const args = argReader("the data tier", { size: 4, name: "" });
 * assert.equal(args.number("size", { fallback: 1, integer: true }), 4);
 * assert.throws(() => args.string("name"), /argument name "" must be a non-empty string/);
 * ```
 */
export function argReader(program: string, args: Readonly<Record<string, unknown>>): ArgReader {
  const fail = (name: string, what: string): never => {
    throw new TypeError(
      `Cannot start ${program}: argument ${name} ${JSON.stringify(args[name])} must be ${what}`,
    );
  };
  const reader: ArgReader = {
    number(name, range) {
      const value = args[name];
      if (value === undefined) return range.fallback;
      const min = range.min ?? 0;
      const max = range.max ?? Infinity;
      if (
        typeof value !== "number" || Number.isNaN(value) || value < min || value > max ||
        (range.integer === true && !Number.isInteger(value))
      ) {
        fail(name, `a ${range.integer ? "whole number" : "number"} from ${min} to ${max}`);
      }
      return value as number;
    },
    string(name, fallback) {
      const value = args[name];
      if (value === undefined && fallback !== undefined) return fallback;
      if (typeof value !== "string" || value === "") fail(name, "a non-empty string");
      return value as string;
    },
    optionalString(name) {
      return args[name] === undefined ? undefined : reader.string(name);
    },
    boolean(name, fallback) {
      const value = args[name];
      if (value === undefined) return fallback;
      if (typeof value !== "boolean") fail(name, "true or false");
      return value as boolean;
    },
  };
  return reader;
}

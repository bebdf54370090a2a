/**
 * What a message body may be: exactly what survives JSON unchanged. {@link copyBody} walks a
 * body once, refusing anything JSON would reject or silently change and building a deep copy at
 * the same time, so that a receiver on the same machine sees what a receiver on another machine
 * would see, and neither side sees the other's later mutations.
 * @module
 */
import { canonical } from "./name.ts";

/** Why a value cannot cross the wire, and where. Thrown inside the walk, turned into a `TypeError`. */
class Refusal {
  /** Path segments from the body to the bad value, filled in while the walk unwinds. */
  readonly path: (string | number)[] = [];
  /** What the value is: `is a BigInt`. */
  readonly problem: string;
  /** What to send instead. */
  readonly hint: string;
  /** For a cycle: how many segments lead to the object the value refers back to. */
  readonly backTo: number;

  constructor(problem: string, hint: string, backTo = -1) {
    this.problem = problem;
    this.hint = hint;
    this.backTo = backTo;
  }
}

const INSTANCE_HINTS: Readonly<Record<string, readonly [string, string]>> = {
  Map: ["a Map", "send a plain object or an array of [key, value] pairs instead"],
  Set: ["a Set", "send an array instead"],
  Date: ["a Date", "send date.toISOString() or date.getTime() instead"],
  RegExp: ["a RegExp", "send its source as a string instead"],
  Promise: ["a Promise", "await it and send the result instead"],
  ArrayBuffer: ["an ArrayBuffer", "send an array of numbers or a base64 string instead"],
  DataView: ["a DataView", "send an array of numbers or a base64 string instead"],
};

function refuseInstance(value: object): Refusal {
  if (ArrayBuffer.isView(value)) {
    return new Refusal(
      `is a ${value.constructor.name}`,
      "send an array of numbers or a base64 string instead",
    );
  }
  if (value instanceof Error) {
    const what = value.name === "Error" ? "an Error" : `a ${value.name} (an Error)`;
    return new Refusal(`is ${what}`, "send its message as a string instead");
  }
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  const known = typeof name === "string" ? INSTANCE_HINTS[name] : undefined;
  if (known !== undefined) return new Refusal(`is ${known[0]}`, known[1]);
  return new Refusal(
    typeof name === "string" && name !== ""
      ? `is an instance of class ${name}`
      : "is an object with a prototype that is not Object.prototype",
    "JSON keeps only its own fields and loses its class; send a plain object instead",
  );
}

function refuseNumber(value: number): Refusal {
  const what = Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
  return new Refusal(`is ${what}`, "JSON turns it into null; send a finite number or null instead");
}

function refuseScalar(value: unknown): Refusal {
  switch (typeof value) {
    case "bigint":
      return new Refusal("is a BigInt", "send a string or number instead");
    case "symbol":
      return new Refusal("is a symbol", "send a string instead");
    case "function":
      return new Refusal("is a function", "send data instead: code does not cross the wire");
    default:
      return new Refusal(
        "is undefined in an array",
        "JSON turns it into null; send null instead",
      );
  }
}

/** Thrown by {@link quickCopy} to hand a body over to the careful walk. */
const UNUSUAL = Symbol("unusual body");

/** Depth past which the quick walk gives up (a cycle, or a deep body: the careful walk decides). */
const QUICK_DEPTH = 64;

/**
 * The common case, fast: a copy of a body of plain objects, arrays and JSON scalars no deeper
 * than {@link QUICK_DEPTH}; throws {@link UNUSUAL} at anything else, so that the careful walk
 * (which names the path, finds cycles and copies `__proto__` keys) has the last word.
 */
function quickCopy(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value)) throw UNUSUAL;
      return value === 0 ? 0 : value; // -0 becomes 0, as JSON makes it
    case "object": {
      if (value === null) return null;
      if (depth >= QUICK_DEPTH) throw UNUSUAL;
      if (Array.isArray(value)) {
        const out = new Array(value.length);
        for (let i = 0; i < value.length; i++) {
          const item = value[i];
          if (item === undefined) throw UNUSUAL;
          out[i] = quickCopy(item, depth + 1);
        }
        return out;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw UNUSUAL;
      const out: Record<string, unknown> = {};
      // for-in sees own enumerable fields here (a plain object inherits none), like JSON.
      for (const key in value) {
        const item = (value as Record<string, unknown>)[key];
        if (item === undefined) continue; // JSON drops undefined fields; so does the copy
        if (key === "__proto__") throw UNUSUAL;
        out[key] = quickCopy(item, depth + 1);
      }
      return out;
    }
    default:
      throw UNUSUAL;
  }
}

/** Copies `value` (not undefined: the caller decides about that); `ancestors` are the objects above it. */
function copyValue(value: unknown, ancestors: object[]): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value)) throw refuseNumber(value);
      return value === 0 ? 0 : value; // -0 becomes 0, as JSON makes it
    case "object":
      if (value === null) return null;
      return copyObject(value, ancestors);
    default:
      throw refuseScalar(value);
  }
}

function copyObject(value: object, ancestors: object[]): unknown {
  const depth = ancestors.indexOf(value);
  if (depth >= 0) {
    throw new Refusal("refers back to an object that contains it (a cycle)", "", depth);
  }
  const array = Array.isArray(value);
  if (!array) {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw refuseInstance(value);
  }
  let key: string | number = "";
  ancestors.push(value);
  try {
    if (array) {
      const out = new Array(value.length);
      for (key = 0; key < value.length; key++) {
        const item = value[key];
        if (item === undefined) throw refuseScalar(item);
        out[key] = copyValue(item, ancestors);
      }
      return out;
    }
    const out: Record<string, unknown> = {};
    for (key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined) continue; // JSON drops undefined fields; so does the copy
      if (key === "__proto__") {
        Object.defineProperty(out, key, {
          value: copyValue(item, ancestors),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else {
        out[key] = copyValue(item, ancestors);
      }
    }
    return out;
  } catch (error) {
    if (error instanceof Refusal) error.path.unshift(key);
    throw error;
  } finally {
    ancestors.pop();
  }
}

function pathOf(segments: readonly (string | number)[]): string {
  let out = "body";
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) out += `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function quoted(to: string): string {
  try {
    return JSON.stringify(canonical(to));
  } catch (error) {
    // A bad name is reported by the send itself; here it is only quoted as given.
    if (error instanceof TypeError) return JSON.stringify(to);
    throw error;
  }
}

/**
 * A deep copy of `body` that is exactly what JSON would carry: plain objects (own enumerable
 * fields; undefined fields dropped), arrays, strings, booleans, null and finite numbers (-0
 * becomes 0). A value that appears twice without a cycle is copied twice, as JSON does. A
 * top-level `undefined` body is allowed (the receiver reads `undefined` either way). One quick
 * walk copies the common body; anything unusual (or deeper than 64 levels) is walked again
 * carefully, which finds cycles and names the path of a bad value.
 *
 * Throws a `TypeError` that names the action, the receiver and the path of the first value JSON
 * would reject or change: BigInt, symbols, functions, undefined array items, NaN and ±Infinity,
 * Map, Set, Date, typed arrays, class instances (any prototype other than `Object.prototype` or
 * null) and cycles.
 *
 * @example A BigInt is refused with its path; the copy does not share the original's objects
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyBody } from "./_wire_body.ts";
 * const body = { kind: "put", tags: ["a"], skip: undefined };
 * const copy = copyBody(body, "send message", "b@m2.lab") as typeof body;
 * assert.deepEqual(copy, { kind: "put", tags: ["a"] });
 * assert.notEqual(copy.tags, body.tags);
 * assert.throws(() => copyBody({ n: 1n }, "send message", "b@m2.lab"), {
 *   name: "TypeError",
 *   message: 'Cannot send message to "b@m2.lab": body.n is a BigInt; send a string or number instead',
 * });
 * ```
 */
export function copyBody(body: unknown, action: string, to: string): unknown {
  if (body === undefined || body === null) return body;
  if (typeof body === "string" || typeof body === "boolean") return body;
  try {
    return quickCopy(body, 0);
  } catch (error) {
    if (error !== UNUSUAL) throw error;
  }
  try {
    return copyValue(body, []);
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    const where = pathOf(error.path);
    const what = error.backTo >= 0
      ? `${where} refers back to ${pathOf(error.path.slice(0, error.backTo))} (a cycle); ` +
        "JSON cannot carry cycles: send a tree, with ids where objects refer to each other"
      : `${where} ${error.problem}; ${error.hint}`;
    throw new TypeError(`Cannot ${action} to ${quoted(to)}: ${what}`);
  }
}

/**
 * Argument checks shared by the disks: store names, keys, JSON values.
 * @module
 */
import type { DiskOp } from "./disk.ts";

/**
 * Checks a store name, a key or a value and returns the value's JSON text.
 */
export function diskCheck(action: string, key: string, value?: unknown): string {
  if (typeof key !== "string") {
    throw new TypeError(`Cannot ${action}: key ${String(key)} must be a string`);
  }
  if (arguments.length < 3) return "";
  const text = JSON.stringify(value);
  if (text === undefined) {
    throw new TypeError(
      `Cannot ${action}: the value of "${key}" (${String(value)}) is not JSON; ` +
        "store a JSON value or delete the key",
    );
  }
  return text;
}

/**
 * Checks a store's name.
 */
export function diskStoreName(name: string): string {
  if (typeof name !== "string" || name === "") {
    throw new TypeError(
      `Cannot open disk store: name ${JSON.stringify(name)} must be a non-empty string`,
    );
  }
  return name;
}

/** A key and its new JSON text (`undefined`: deleted). */
export type DiskWrite = readonly [string, string | undefined];

/** Checks the ops of a batch on store `store` and returns them as writes. */
export function batchWrites(store: string, ops: readonly DiskOp[]): DiskWrite[] {
  const action = `write a batch to "${store}"`;
  if (!Array.isArray(ops)) throw new TypeError(`Cannot ${action}: ops must be an array`);
  return ops.map((op): DiskWrite => {
    if (op?.type === "put") return [op.key, diskCheck(action, op.key, op.value)];
    if (op?.type === "del") {
      diskCheck(action, op.key);
      return [op.key, undefined];
    }
    throw new TypeError(
      `Cannot ${action}: op ${JSON.stringify(op)} must be { type: "put" | "del", key }`,
    );
  });
}

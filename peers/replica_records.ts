/**
 * The records peers exchange to replicate their state: map entries and set tags, each stamped
 * with a dot (Lamport counter, origin), shipped as a {@link Delta} with the version vector they
 * bring the receiver up to, and named by {@link recordKey} in rumour feedback.
 * @module
 */
import type { VersionVector } from "./_version_vector.ts";

/** A JSON value stored in the map. */
export type Json =
  | null
  | boolean
  | number
  | string
  | readonly Json[]
  | { readonly [key: string]: Json };

/** A map record: `[key, value, counter, origin]`, with a trailing `1` for a tombstone. */
export type MapRecord = readonly [key: string, value: Json, c: number, o: string, deleted?: 1];

/** A set record: `[element, counter, origin]`, plus the remover's dot once it was removed. */
export type SetRecord = readonly [element: string, c: number, o: string, rc?: number, ro?: string];

/** Records another replica lacks, and the version vector they bring it up to. */
export interface Delta {
  /** After merging the records, the receiver has seen every update up to this vector. */
  readonly vv: VersionVector;
  /** Map entries (winners and tombstones). */
  readonly map?: readonly MapRecord[];
  /** Set tags (added, or added and removed). */
  readonly set?: readonly SetRecord[];
}

/**
 * The key that names a record in rumour feedback: its origin and counter (the remover's for a
 * removed set tag).
 *
 * @example Keys of records
 * ```ts
 * import assert from "node:assert/strict";
 * import { recordKey } from "./replica_records.ts";
 * assert.equal(recordKey(["x", 1, 3, "p1"]), "p1:3");
 * assert.equal(recordKey(["red", 3, "p1", 5, "p2"], true), "p2:5");
 * ```
 */
export function recordKey(record: MapRecord | SetRecord, isSet = false): string {
  if (isSet) {
    const r = record as SetRecord;
    return r[3] ? `${r[4]}:${r[3]}` : `${r[2]}:${r[1]}`;
  }
  const r = record as MapRecord;
  return `${r[3]}:${r[2]}`;
}

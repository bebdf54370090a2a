/**
 * The inside of a `Replica` (`replica.ts`): its map entries and set tags, which of two dots
 * wins, and the canonical hash of a state.
 * @module
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../core/canonical_json.ts";
import type { Json } from "./replica_records.ts";

/** A map entry: its value (or a tombstone) and the dot of the write. */
export interface Entry {
  value: Json;
  c: number;
  o: string;
  deleted: boolean;
}

/** A set tag: the dot of the add, and of the remove once removed (`rc` 0: live). */
export interface Tag {
  readonly c: number;
  readonly o: string;
  rc: number;
  ro: string;
}

/** Whether dot (c1, o1) wins over dot (c2, o2). */
export function newer(c1: number, o1: string, c2: number, o2: string): boolean {
  return c1 > c2 || (c1 === c2 && o1 > o2);
}

/**
 * A deterministic hash (SHA-256, 16 hex digits) of a replica's version vector `vv`, `map` and
 * `set`; tombstones only when `tombstones` is set.
 */
export function stateHash(
  vv: Readonly<Record<string, number>>,
  map: ReadonlyMap<string, Entry>,
  set: ReadonlyMap<string, ReadonlyMap<string, Tag>> | undefined,
  tombstones: boolean | undefined,
): string {
  const parts: string[] = [];
  for (const origin of Object.keys(vv).sort()) parts.push(`${origin}=${vv[origin]}`);
  parts.push("|map");
  for (const key of [...map.keys()].sort()) {
    const e = map.get(key)!;
    if (e.deleted && !tombstones) continue;
    parts.push(
      `${JSON.stringify(key)}:${e.deleted ? "-" : canonicalJson(e.value)}@${e.o}:${e.c}`,
    );
  }
  parts.push("|set");
  for (const element of [...(set?.keys() ?? [])].sort()) {
    const tags = set!.get(element)!;
    const kept: string[] = [];
    for (const [key, tag] of tags) {
      if (tag.rc === 0) kept.push(key);
      else if (tombstones) kept.push(`${key}-${tag.ro}:${tag.rc}`);
    }
    if (kept.length > 0) parts.push(`${JSON.stringify(element)}:${kept.sort().join(",")}`);
  }
  return createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 16);
}

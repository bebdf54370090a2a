/**
 * The key-value server's state: its data, its reply cache (the requests it executed, with their
 * replies, for at-most-once execution) and its counters. In the process's memory it is lost with
 * a crash; on the machine's disk (`ctx.disk`) it survives one: each execution writes the data,
 * the reply and the counters in one batch and syncs before the reply leaves, so a write the
 * server acknowledged is never lost and a retransmission after a restart gets the remembered
 * reply instead of a second execution.
 * @module
 */
import type { DiskOp, DiskStore } from "../../core/storage/disk.ts";
import type { KvReply, KvRequest } from "./messages.ts";

/** A request the server executes: not `stats`. */
export type KvCommand = Exclude<KvRequest, { kind: "stats" }>;

/** The server's counters. */
export interface KvCounters {
  /** Requests executed. */
  readonly executed: number;
  /** Retransmissions answered from the reply cache. */
  readonly deduplicated: number;
}

/** The key-value server's data, reply cache and counters. */
export interface KvState {
  /** The reply remembered for request `id` (`from rid`), counted as a retransmission. */
  remembered(id: string): KvReply | undefined;
  /** Executes `request` (id `id`) once and remembers its reply; durable when it returns. */
  execute(id: string, request: KvCommand): KvReply;
  /** The counters and the number of keys. */
  stats(): KvCounters & { readonly keys: number };
}

/** Data, replies and counters in the process's memory: lost with a crash. */
class MemoryKvState implements KvState {
  readonly #data = new Map<string, string>();
  readonly #replies = new Map<string, KvReply>();
  readonly #remember: number;
  #executed = 0;
  #deduplicated = 0;

  constructor(remember: number) {
    this.#remember = remember;
  }

  remembered(id: string): KvReply | undefined {
    const reply = this.#replies.get(id);
    if (reply !== undefined) this.#deduplicated++;
    return reply;
  }

  execute(id: string, request: KvCommand): KvReply {
    this.#executed++;
    const reply = apply(request, (key) => this.#data.get(key));
    if (request.kind === "put") this.#data.set(request.key, request.value);
    if (request.kind === "del") this.#data.delete(request.key);
    if (this.#remember > 0) {
      this.#replies.set(id, reply);
      if (this.#replies.size > this.#remember) {
        this.#replies.delete(this.#replies.keys().next().value!);
      }
    }
    return reply;
  }

  stats(): KvCounters & { readonly keys: number } {
    return { executed: this.#executed, deduplicated: this.#deduplicated, keys: this.#data.size };
  }
}

const DATA = "d/", REPLY = "r/", COUNTERS = "m/counters";

/** A remembered reply on the disk, with its place in the cache's eviction order. */
interface StoredReply {
  readonly seq: number;
  readonly reply: KvReply;
}

/** Data, replies and counters in a store on the machine's disk: they survive a crash. */
class DiskKvState implements KvState {
  readonly #store: DiskStore;
  readonly #remember: number;
  /** Remembered request ids, oldest first, with their sequence numbers. */
  readonly #order = new Map<string, number>();
  #counters: KvCounters;
  #seq = 0;

  constructor(store: DiskStore, remember: number) {
    this.#store = store;
    this.#remember = remember;
    const stored = store.scan<StoredReply>({ prefix: REPLY })
      .map(([key, value]) => [key.slice(REPLY.length), value.seq] as const)
      .sort((a, b) => a[1] - b[1]);
    for (const [id, seq] of stored) this.#order.set(id, seq);
    this.#seq = stored.at(-1)?.[1] ?? 0;
    this.#counters = store.get<KvCounters>(COUNTERS) ?? { executed: 0, deduplicated: 0 };
  }

  remembered(id: string): KvReply | undefined {
    if (!this.#order.has(id)) return undefined;
    const reply = this.#store.get<StoredReply>(REPLY + id)!.reply;
    this.#counters = { ...this.#counters, deduplicated: this.#counters.deduplicated + 1 };
    this.#store.put(COUNTERS, this.#counters);
    this.#store.sync();
    return reply;
  }

  execute(id: string, request: KvCommand): KvReply {
    const reply = apply(request, (key) => this.#store.get<string>(DATA + key));
    this.#counters = { ...this.#counters, executed: this.#counters.executed + 1 };
    const ops: DiskOp[] = [{ type: "put", key: COUNTERS, value: this.#counters }];
    if (request.kind === "put") {
      ops.push({ type: "put", key: DATA + request.key, value: request.value });
    }
    if (request.kind === "del") ops.push({ type: "del", key: DATA + request.key });
    if (this.#remember > 0) {
      const seq = ++this.#seq;
      ops.push({ type: "put", key: REPLY + id, value: { seq, reply } satisfies StoredReply });
      this.#order.set(id, seq);
      if (this.#order.size > this.#remember) {
        const oldest = this.#order.keys().next().value!;
        this.#order.delete(oldest);
        ops.push({ type: "del", key: REPLY + oldest });
      }
    }
    this.#store.batch(ops);
    this.#store.sync();
    return reply;
  }

  stats(): KvCounters & { readonly keys: number } {
    return { ...this.#counters, keys: this.#store.scan({ prefix: DATA }).length };
  }
}

function apply(request: KvCommand, read: (key: string) => string | undefined): KvReply {
  switch (request.kind) {
    case "get":
      return { kind: "value", key: request.key, value: read(request.key) ?? null };
    case "put":
    case "del":
      return { kind: "ok", key: request.key };
  }
}

/**
 * The server's state: on `store` (a store on a disk, which outlives the process) or, without
 * one, in memory; remembering the replies of the last `remember` executed requests.
 *
 * @example On a disk, the state outlives the process that wrote it
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryDisk } from "../../core/storage/memory_disk.ts";
 * import { kvState } from "./kv_store.ts";
 * const disk = new MemoryDisk({ volatileCache: true });
 * const first = kvState(1000, disk.open("kv"));
 * first.execute("c1@m2.lab r1", { kind: "put", key: "x", value: "1", rid: "r1" });
 * disk.loseUnsynced(); // a crash: the execution was synced before it returned
 * const again = kvState(1000, disk.open("kv"));
 * assert.deepEqual(again.remembered("c1@m2.lab r1"), { kind: "ok", key: "x" });
 * assert.deepEqual(again.stats(), { executed: 1, deduplicated: 1, keys: 1 });
 * assert.deepEqual(kvState(1000).stats(), { executed: 0, deduplicated: 0, keys: 0 });
 * ```
 */
export function kvState(remember: number, store?: DiskStore): KvState {
  return store === undefined ? new MemoryKvState(remember) : new DiskKvState(store, remember);
}

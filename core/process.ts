/**
 * The process API: what process code sees, written once and run in the simulator or on a host.
 * @module
 */
import type { Envelope } from "./envelope.ts";
import type { GroupCall, GroupRequestOptions } from "./group_request.ts";
import type { ReceiveFilter } from "./mailbox.ts";
import type { Address } from "./name.ts";
import type { Disk } from "./storage/disk.ts";

/** Options of {@link ProcessContext.send}. */
export interface SendOptions {
  /** Wait until the receiver's mailbox holds the message (or, at capacity 0, took it). @default false */
  readonly sync?: boolean;
  /** For a synchronous send: ms to wait before failing with a `TimeoutError`. @default 5000 */
  readonly timeout?: number;
}

/** Options of {@link ProcessContext.receive}. */
export interface ReceiveOptions extends ReceiveFilter {
  /** Ms to wait before failing with a `TimeoutError`. @default Infinity */
  readonly timeout?: number;
}

/** Options of {@link ProcessContext.request}. */
export interface RequestOptions {
  /** Ms to wait for the reply before failing with a `TimeoutError`. @default 5000 */
  readonly timeout?: number;
}

/** Options of spawning a process. */
export interface SpawnOptions {
  /** Mailbox capacity; 0 makes every send a rendezvous. @default Infinity */
  readonly capacity?: number;
}

/** The code of a process: it receives its context and runs until it returns. */
export type ProcessFn = (ctx: ProcessContext) => Promise<void> | void;

/** Everything a process may do. Time and randomness come from the runtime it runs on. */
export interface ProcessContext {
  /** This process's canonical address, `name@machine.domain`. */
  readonly self: Address;
  /** The machine it runs on, `machine.domain`. */
  readonly machine: string;
  /** `"sim"` in the simulator, `"real"` on a host. */
  readonly runtime: "sim" | "real";
  /**
   * The machine's disk: named stores that survive a crash and restart of the machine (in the
   * simulator, unless its `loseUnsynced` fault drops the writes not synced yet; on a real host,
   * a SQLite file when the host was given one, else memory that lasts as long as the OS
   * process). Throws a `TypeError` when the runtime has no disk.
   */
  readonly disk: Disk;
  /**
   * The incarnation of the machine it runs on: one number shared by every process of the
   * machine, unchanged while the machine stays up, and higher after each crash and restart
   * (1, 2, … in the simulator; on a real host the machine's epoch on the wire, which a
   * replacement OS process gets higher than its predecessor's). Epochs of a machine's life, such
   * as RPC reincarnation's, follow it.
   *
   * @example A restart gives a higher incarnation
   * ```ts
   * import assert from "node:assert/strict";
   * import { Simulator } from "./simulator/simulator.ts";
   * const sim = new Simulator({ seed: 1 });
   * const seen: number[] = [];
   * sim.machine("m1.lab").spawn("a", (ctx) => void seen.push(ctx.incarnation));
   * sim.machine("m1.lab").spawn("b", (ctx) => void seen.push(ctx.incarnation));
   * sim.crash("m1.lab", { at: 10, restartAt: 20 });
   * await sim.run();
   * assert.deepEqual(seen, [1, 1, 2, 2]);
   * ```
   */
  readonly incarnation: number;
  /** The process's Lamport clock. */
  lamport(): number;
  /**
   * Sends `body` to `to` (any accepted name form). Asynchronous by default: resolves once the
   * network has the message, or, on the same machine, once the mailbox admits it (backpressure).
   * The body must survive JSON unchanged, whether the receiver is local or remote: otherwise the
   * promise rejects with a `TypeError` naming the path of the bad value (`body.n is a BigInt`)
   * and nothing is sent. The receiver gets a copy: later changes on either side stay unseen.
   */
  send(to: string, body: unknown, options?: SendOptions): Promise<void>;
  /** Takes the oldest message matching the filter, waiting up to `timeout` ms. */
  receive<B = unknown>(options?: ReceiveOptions): Promise<Envelope<B>>;
  /**
   * Takes the oldest message matching `filter`, or gives `undefined` once `timeout` ms passed
   * without one (`Infinity` waits for ever): a receive whose timeout is expected (a protocol's
   * next deadline), with no `TimeoutError` made and thrown for it. The timeout is traced as
   * `receive`'s is.
   */
  receiveWithin<B = unknown>(
    timeout: number,
    filter?: ReceiveFilter,
  ): Promise<Envelope<B> | undefined>;
  /** Sends a request and waits for its reply (matched by correlation id). */
  request<B = unknown>(to: string, body: unknown, options?: RequestOptions): Promise<Envelope<B>>;
  /** Answers a request received earlier. */
  reply(request: Envelope, body: unknown): Promise<void>;
  /**
   * Sends one request to every process in `targets` (the lecture's group request) and returns
   * the call whose `getReply()` hands out the replies one at a time, in arrival order, until
   * `expected` replies are in, the targets left are unknown, or `timeout` ms passed. Every
   * reply carrying the call's correlation id is collected until then; replies after the end are
   * traced as late drops. Bad targets, options or body reject with a `TypeError` or `RangeError`.
   */
  requestGroup<B = unknown>(
    targets: readonly string[],
    body: unknown,
    options?: GroupRequestOptions,
  ): Promise<GroupCall<B>>;
  /** Waits `ms` milliseconds of runtime time. */
  sleep(ms: number): Promise<void>;
  /** Runtime time in ms. */
  now(): number;
  /** A float in [0, 1) from the runtime's seeded generator. */
  random(): number;
  /** Starts another process on this machine; returns its address. */
  spawn(name: string, fn: ProcessFn, options?: SpawnOptions): Address;
  /** Writes a line to the trace. */
  log(text: string): void;
}

/**
 * A named, parameterised process: how architectures publish process code that the lab can start
 * by name in the simulator or inside a machine that is its own OS process.
 */
export type Program = (args: Readonly<Record<string, unknown>>) => ProcessFn;

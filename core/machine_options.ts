/**
 * What a machine is made with: the network that reaches the other machines and the options of a
 * {@link Machine} (runtime, trace, reliable channel, incarnation, failure hooks).
 * @module
 */
import type { Address } from "./name.ts";
import type { RetransmitOptions } from "./retransmission.ts";
import type { Runtime } from "./runtime.ts";
import type { TraceSink } from "./trace.ts";
import type { WireFrame } from "./wire.ts";

/** How a machine reaches the others. */
export interface Network {
  /** Sends `frame` from machine `from` to machine `to`; may lose it on a lossy network. */
  send(from: string, to: string, frame: WireFrame): void;
  /**
   * The mailbox capacity of the process at `address` when the network's directory knows it
   * (`Infinity` for an unbounded mailbox or no such process); `undefined` when it cannot know.
   * Lets a sender honour a remote bounded mailbox from its first message without asking.
   * @default unknown: the first message to a remote process asks
   */
  mailboxBound?(address: Address): number | undefined;
  /**
   * Told when a machine spawns process `address` with a bounded mailbox, so that a network that
   * answers {@link Network.mailboxBound} can answer `Infinity` without a lookup while it has
   * heard of none.
   * @default nothing
   */
  boundedMailbox?(address: Address): void;
}

/** Options of {@link Machine}. */
export interface MachineOptions {
  /** Time, timers and randomness. */
  readonly runtime: Runtime;
  /** The network to other machines. */
  readonly network: Network;
  /** Where events go. @default no trace */
  readonly trace?: TraceSink;
  /** Reliable channel (acks, retransmission, dedup, FIFO); `false` shows the raw network. @default true */
  readonly reliable?: boolean | RetransmitOptions;
  /** Incarnation number of the first boot; grows by one per restart. @default 1 */
  readonly epoch?: number;
  /**
   * Called when code of a live process throws or its promise rejects (a process that ends
   * because its machine crashed or shut down has not failed). The failure is in the trace as the
   * process's `exit` event either way.
   * @default throws a {@link ProcessFailedError} as an uncaught error: it is never swallowed
   */
  readonly onProcessError?: (address: Address, error: unknown) => void;
  /**
   * Called when a process acts (sends, receives, sleeps, spawns, logs) while it is dormant: the
   * simulator marked it when `run()` returned and the runtime has not woken it since, so it
   * resumed from something that is not the runtime's. It may throw to stop the process.
   * @default nothing
   */
  readonly onDormantAct?: (address: Address) => void;
  /**
   * Messages from other machines to a process not spawned yet that the machine keeps, and hands
   * to that process when it is spawned (a lab's control machine, whose collectors are spawned
   * after the machines they hear from have booted). Past this many, they are dropped as to an
   * unknown process.
   * @default 0
   */
  readonly holdForUnspawned?: number;
}

/**
 * What a machine on a real host needs of its network, whatever carries the frames: TCP (a
 * stream per peer), UDP (one datagram per frame) or HTTP (frames as requests). A host chooses
 * one by its {@link TransportName}; the machine and the reliable channel above it are the same.
 * @module
 */
import type { Machine, Network } from "../machine.ts";
import type { TcpStats } from "./tcp_network.ts";
import type { Directory } from "../directory.ts";
import type { Runtime } from "../runtime.ts";
import type { TraceSink } from "../trace.ts";
import type { FaultSchedule } from "../pipeline/fault_schedule.ts";
import type { FrameStage } from "../pipeline/frame_pipeline.ts";

/** The transports a machine on a real host can use. */
export type TransportName = "tcp" | "udp" | "http";

/** Every {@link TransportName}, in the order help texts list them. */
export const TRANSPORTS: readonly TransportName[] = ["tcp", "udp", "http"];

/** Options of a host network: those of `TcpNetworkOptions` that every transport has. */
export interface HostNetworkOptions extends FaultSchedule {
  /** Resolves `machine.domain` to `host:port`. */
  readonly directory: Directory;
  /** Runtime for fault injection and trace times. */
  readonly runtime: Runtime;
  /** Where drops are recorded. @default none */
  readonly trace?: TraceSink;
  /**
   * The generator the faults are drawn from: `faultRandom(seed)` draws the faults the simulator
   * draws under the same seed. @default the runtime's
   */
  readonly random?: () => number;
  /**
   * Stages of the frame pipeline between the machine and the fault stage, nearest the machine
   * first (an authentication stage, say). @default none
   */
  readonly stages?: readonly FrameStage[];
}

/** Counters of a host's network (the same for every transport). */
export type HostNetworkStats = TcpStats;

/** The network of a machine on a real host: {@link TcpNetwork}, `UdpNetwork` or `HttpNetwork`. */
export interface HostNetwork extends Network {
  /** Counters: frames and bytes written, frames received, acks, drops, refused frames. */
  readonly stats: HostNetworkStats;
  /** Starts receiving frames addressed to `machine`; resolves with the bound address. */
  listen(
    machine: Machine,
    address?: { hostname?: string; port?: number },
  ): Promise<{ hostname: string; port: number }>;
  /** Forgets what it keeps about `machine` (its cached endpoint, a connection to it). */
  forget(machine: string): void;
  /** Cuts (or restores) the link to `machines`: frames to them are lost, as in a partition. */
  cut(machines: readonly string[], on?: boolean): void;
  /** Stops receiving and closes every socket. */
  close(): Promise<void>;
}

/**
 * Reads a transport name, refusing anything else.
 *
 * @example Names and a bad one
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTransport } from "./host_network.ts";
 * assert.equal(parseTransport("udp"), "udp");
 * assert.throws(() => parseTransport("quic"), /Cannot use transport "quic": choose tcp, udp or http/);
 * ```
 * @throws {TypeError} When `value` is not one of {@link TRANSPORTS}.
 */
export function parseTransport(value: string): TransportName {
  if ((TRANSPORTS as readonly string[]).includes(value)) return value as TransportName;
  throw new TypeError(`Cannot use transport ${JSON.stringify(value)}: choose tcp, udp or http`);
}

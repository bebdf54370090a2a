/**
 * A machine on a real host: a {@link Machine} driven by the real runtime and reachable over TCP.
 * The same process code that runs in the simulator runs here unchanged.
 * @module
 */
import type { Latency } from "./latency.ts";
import { Machine } from "./machine.ts";
import { createRealRuntime, wallClock } from "./real_runtime.ts";
import type { RetransmitOptions } from "./reliable_channel.ts";
import { TcpNetwork } from "./tcp_network.ts";
import { Directory, type MachineResolver } from "./directory.ts";
import { authenticatedNetwork, verifyingMachineReceiver } from "./authenticated_network.ts";
import type { TraceSink } from "./trace.ts";

/** Options of {@link startHost}. */
export interface HostOptions {
  /** Maps `machine.domain` to `host:port`: the authority the directory asks on a cache miss. */
  readonly resolve: MachineResolver;
  /** How long the directory caches an answer, in ms. @default 30000 */
  readonly ttl?: number;
  /** Address to listen on. @default 127.0.0.1, a free port */
  readonly listen?: { readonly hostname?: string; readonly port?: number };
  /** Seed of the runtime's generator. @default from the host's crypto */
  readonly seed?: number;
  /** Wall-clock ms that times count from. @default this process's start */
  readonly origin?: number;
  /** Reliable channel settings. @default true */
  readonly reliable?: boolean | RetransmitOptions;
  /** Where events go. @default none */
  readonly trace?: TraceSink;
  /** Injected frame loss. @default 0 */
  readonly drop?: number;
  /** Injected frame duplication. @default 0 */
  readonly duplicate?: number;
  /** Injected latency. @default none */
  readonly latency?: Latency;
  /**
   * Authenticate every frame with HMAC-SHA256 under `key` (and seal bodies with AES-256-GCM when
   * `encrypt`); frames that fail are refused. @default none
   */
  readonly auth?: { readonly key: string; readonly encrypt?: boolean };
  /** Machines whose frames skip the injected faults and are not counted. @default none */
  readonly exempt?: readonly string[];
  /** Called when a process throws. @default recorded in the trace */
  readonly onProcessError?: (address: string, error: unknown) => void;
}

/** A running host. */
export interface Host {
  /** The machine. */
  readonly machine: Machine;
  /** Its network. */
  readonly network: TcpNetwork;
  /** `host:port` it listens on. */
  readonly endpoint: string;
  /** Stops every process and closes every socket. */
  close(): Promise<void>;
}

/**
 * Starts machine `name` on this host.
 *
 * @example A machine on loopback
 * ```ts
 * import assert from "node:assert/strict";
 * import { startHost } from "./host.ts";
 * const host = await startHost("m1.lab", { resolve: () => undefined });
 * assert.match(host.endpoint, /^127\.0\.0\.1:\d+$/);
 * await host.close();
 * ```
 */
export async function startHost(name: string, options: HostOptions): Promise<Host> {
  const runtime = createRealRuntime({ seed: options.seed, origin: options.origin });
  const directory = new Directory(options.resolve, { ttl: options.ttl, now: runtime.now });
  const network = new TcpNetwork({
    directory,
    runtime,
    trace: options.trace,
    drop: options.drop,
    duplicate: options.duplicate,
    latency: options.latency,
    exempt: options.exempt,
  });
  const auth = options.auth;
  const machine: Machine = new Machine(name, {
    runtime,
    network: auth === undefined ? network : authenticatedNetwork(network, {
      key: auth.key,
      encrypt: auth.encrypt,
      epoch: () => machine.epoch,
    }),
    trace: options.trace,
    reliable: options.reliable,
    epoch: Math.floor(wallClock()),
    onProcessError: options.onProcessError,
  });
  if (auth !== undefined) {
    verifyingMachineReceiver(machine, { key: auth.key, trace: options.trace });
  }
  const { hostname, port } = await network.listen(machine, options.listen);
  return {
    machine,
    network,
    endpoint: `${hostname}:${port}`,
    async close() {
      machine.shutdown();
      await network.close();
    },
  };
}

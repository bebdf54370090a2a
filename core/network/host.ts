/**
 * A machine on a real host: a {@link Machine} driven by the real runtime and reachable over TCP.
 * The same process code that runs in the simulator runs here unchanged.
 * @module
 */
import type { Latency } from "../latency.ts";
import { ProcessFailedError } from "../errors.ts";
import { Machine } from "../machine.ts";
import { createRealRuntime, wallClock } from "../real_runtime.ts";
import type { RetransmitOptions } from "../reliable_channel.ts";
import { TcpNetwork } from "./tcp_network.ts";
import { UdpNetwork } from "./udp_network.ts";
import type { HostNetwork, TransportName } from "./host_network.ts";
import { Directory, type MachineResolver } from "../directory.ts";
import { AuthStage, type AuthStats } from "../auth/auth_stage.ts";
import { faultRandom } from "../pipeline/fault_stage.ts";
import type { TraceSink } from "../trace.ts";
import { SqliteDisk } from "../storage/sqlite_disk.ts";

/** Options of {@link startHost}. */
export interface HostOptions {
  /** Maps `machine.domain` to `host:port`: the authority the directory asks on a cache miss. */
  readonly resolve: MachineResolver;
  /** How long the directory caches an answer, in ms. @default 30000 */
  readonly ttl?: number;
  /**
   * What carries the frames: `tcp` (a framed stream per peer), `udp` (one datagram per frame,
   * at most 64 KB) or `http` (frames as HTTP/1.1 requests on keep-alive connections, the slow
   * path). Every machine of a system must use the same one. @default "tcp"
   */
  readonly transport?: TransportName;
  /** Address to listen on. @default 127.0.0.1, a free port */
  readonly listen?: { readonly hostname?: string; readonly port?: number };
  /**
   * Seed of the runtime's generator and of the injected faults (drawn as the simulator draws
   * them under the same seed). @default from the host's crypto
   */
  readonly seed?: number;
  /** Wall-clock ms that times count from. @default this process's start */
  readonly origin?: number;
  /**
   * The machine's incarnation on the wire: peers take frames with a higher one for a restart
   * and those with a lower one for an old incarnation's. A process that replaces a crashed
   * machine must get a higher one than the process it replaces. @default the wall clock in ms
   * when the host starts
   */
  readonly epoch?: number;
  /**
   * A SQLite file that holds the machine's disk (`ctx.disk`): what it synced survives this OS
   * process. @default a disk in memory, lost when this OS process ends
   */
  readonly disk?: string;
  /** Reliable channel settings. @default true */
  readonly reliable?: boolean | RetransmitOptions;
  /** Where events go. @default none */
  readonly trace?: TraceSink;
  /** Injected frame loss. @default 0 */
  readonly drop?: number;
  /** Injected frame duplication. @default 0 */
  readonly duplicate?: number;
  /**
   * Injected reordering: the probability that a frame is held back (up to three times the
   * latency's bound) so that later frames overtake it; needs `latency`. @default 0
   */
  readonly reorder?: number;
  /** Injected latency. @default none */
  readonly latency?: Latency;
  /**
   * Authenticate every frame with HMAC-SHA256 under `key` (and seal bodies with AES-256-GCM when
   * `encrypt`); frames that fail are refused. @default none
   */
  readonly auth?: { readonly key: string; readonly encrypt?: boolean };
  /** Machines whose frames skip the injected faults and are not counted. @default none */
  readonly exempt?: readonly string[];
  /** Messages kept for processes not spawned yet (see `MachineOptions.holdForUnspawned`). @default 0 */
  readonly holdForUnspawned?: number;
  /**
   * Called when code of a process throws or its promise rejects (a process stopped by `close()`
   * has not failed); the failure is also the process's `exit` event in the trace.
   * @default the host keeps it: {@link Host.watch} rejects with it, and `close()` rejects with
   * any failure `watch()` did not report
   */
  readonly onProcessError?: (address: string, error: unknown) => void;
}

/** What a host is doing: idle when nothing runs, no timer is pending and no frame moves. */
export interface HostActivity {
  /** Processes that can run (not waiting on their context). */
  readonly runnable: number;
  /** Timers pending: sleeps, timeouts, retransmissions, injected delays. */
  readonly timers: number;
  /** Frames written so far (lab traffic of exempt machines not counted). */
  readonly sent: number;
  /** Frames received so far (lab traffic of exempt machines not counted). */
  readonly received: number;
}

/** A running host. */
export interface Host {
  /** The machine. */
  readonly machine: Machine;
  /** Its network. */
  readonly network: HostNetwork;
  /** What carries its frames. */
  readonly transport: TransportName;
  /** `host:port` it listens on. */
  readonly endpoint: string;
  /** Counters of the frames authentication accepted and refused, with `auth`. */
  readonly auth?: AuthStats;
  /**
   * Waits for `done` while watching this host's processes: settles as `done` does, or rejects
   * with a {@link ProcessFailedError} as soon as a process fails (at once if one failed before
   * and was not reported yet). Later failures that no rejection reported are in its `others`.
   * With `onProcessError` given, failures go there and this only waits for `done`.
   */
  watch<T>(done: Promise<T>): Promise<T>;
  /**
   * What the host is doing now. A system of hosts is quiescent when every host stays at zero
   * runnable processes and timers, with its frame counters standing still, over an interval
   * longer than a frame takes to cross: nothing is left that could wake any of them.
   */
  activity(): HostActivity;
  /**
   * Stops every process (its waits fail with a `ProcessStoppedError`, its `finally` blocks run;
   * waited for up to 2 s) and closes every socket; then rejects with the first process failure
   * that {@link Host.watch} did not report, if any.
   */
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
 * assert.deepEqual(host.activity(), { runnable: 0, timers: 0, sent: 0, received: 0 });
 * await host.close();
 * ```
 *
 * @example A failing process fails what waits on the host
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProcessFailedError, startHost } from "../mod.ts";
 * const host = await startHost("m1.lab", { resolve: () => undefined });
 * const done = Promise.withResolvers<void>();
 * host.machine.spawn("bad", async (ctx) => {
 *   await ctx.sleep(1);
 *   assert.equal(1 + 1, 3);
 *   done.resolve();
 * });
 * await assert.rejects(host.watch(done.promise), ProcessFailedError);
 * await host.close();
 * ```
 */
export async function startHost(name: string, options: HostOptions): Promise<Host> {
  const disk = options.disk === undefined ? undefined : new SqliteDisk(options.disk);
  const runtime = createRealRuntime({ seed: options.seed, origin: options.origin, disk });
  const directory = new Directory(options.resolve, { ttl: options.ttl, now: runtime.now });
  const auth = options.auth;
  // Frames bound to the receiver's incarnation: a replay recorded before a restart is refused.
  const authStage = auth === undefined
    ? undefined
    : new AuthStage({ key: auth.key, encrypt: auth.encrypt });
  const transport = options.transport ?? "tcp";
  const network = await hostNetwork(transport, {
    directory,
    runtime,
    trace: options.trace,
    drop: options.drop,
    duplicate: options.duplicate,
    reorder: options.reorder,
    latency: options.latency,
    exempt: options.exempt,
    random: options.seed === undefined ? undefined : faultRandom(options.seed),
    stages: authStage === undefined ? [] : [authStage],
  });
  const failures = hostFailures(runtime.now);
  const machine: Machine = new Machine(name, {
    runtime,
    network,
    trace: options.trace,
    reliable: options.reliable,
    epoch: options.epoch ?? Math.floor(wallClock()),
    onProcessError: options.onProcessError ?? failures.record,
    holdForUnspawned: options.holdForUnspawned,
  });
  const { hostname, port } = await network.listen(machine, options.listen);
  return {
    machine,
    network,
    transport,
    endpoint: `${hostname}:${port}`,
    auth: authStage?.stats,
    watch: failures.watch,
    activity() {
      const { runnable, timers } = runtime.activity();
      return { runnable, timers, sent: network.stats.frames, received: network.stats.received };
    },
    async close() {
      machine.shutdown();
      // The processes' code unwinds (their `finally` blocks close what they opened, an HTTP
      // server say) before the sockets close; code stuck on something else is not waited for.
      await settledWithin(machine, CLOSE_GRACE_MS);
      await network.close();
      disk?.close();
      const failure = failures.take();
      if (failure !== undefined) throw failure;
    },
  };
}

/** The network of `transport`; HTTP's (with Hono) is loaded only when asked for. */
async function hostNetwork(
  transport: TransportName,
  options: ConstructorParameters<typeof TcpNetwork>[0],
): Promise<HostNetwork> {
  switch (transport) {
    case "tcp":
      return new TcpNetwork(options);
    case "udp":
      return new UdpNetwork(options);
    case "http": {
      const { HttpNetwork } = await import("./http_network.ts");
      return new HttpNetwork(options);
    }
    default:
      throw new TypeError(
        `Cannot start host with transport ${JSON.stringify(transport)}: choose tcp, udp or http`,
      );
  }
}

/** How long `close()` waits for the processes' code to unwind, in ms. */
const CLOSE_GRACE_MS = 2000;

/** Waits until the code of every process of `machine` settled, or `ms` passed. */
async function settledWithin(machine: Machine, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => timer = setTimeout(resolve, ms));
  try {
    await Promise.race([machine.settled(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The failures of a host's processes, each reported once: to a watcher or by `close()`. */
function hostFailures(now: () => number): {
  record(address: string, error: unknown): void;
  watch<T>(done: Promise<T>): Promise<T>;
  take(): ProcessFailedError | undefined;
} {
  const unreported: ProcessFailedError[] = [];
  const watchers = new Set<(failure: ProcessFailedError) => void>();
  const take = (): ProcessFailedError | undefined => {
    const [first, ...others] = unreported.splice(0);
    first?.others.push(...others);
    return first;
  };
  return {
    record(address, error) {
      unreported.push(new ProcessFailedError(address, error, { time: now() }));
      if (watchers.size === 0) return;
      const failure = take()!;
      for (const reject of watchers) reject(failure);
      watchers.clear();
    },
    watch<T>(done: Promise<T>): Promise<T> {
      const failure = take();
      if (failure !== undefined) return Promise.reject(failure);
      return new Promise<T>((resolve, reject) => {
        watchers.add(reject);
        done.then(resolve, reject).finally(() => watchers.delete(reject));
      });
    },
    take,
  };
}

/**
 * The lecture's TCP against UDP (and HTTP on top of TCP), measured on real loopback sockets in
 * this process: two machines (`startHost`) per transport and experiment.
 *
 * - connection set-up: the first request's round trip against the median of the next ones
 *   (TCP and HTTP open a connection on the first frame, UDP sends at once);
 * - ordering, loss and duplication: a burst of messages with the reliable channel off, counted
 *   from the trace by `channelFidelity` (a burst larger than a socket's receive buffer is lost
 *   in part over UDP, which has no flow control; TCP's window holds the sender back);
 * - retransmission and speed: the same burst with the reliable channel on: every message
 *   arrives once and in order, at the price of the retransmissions the trace counts.
 *
 * Timings vary from run to run (real sockets, a shared machine); counts of a burst too.
 * @module
 */
import { type Host, startHost } from "../../core/network/host.ts";
import type { TransportName } from "../../core/network/host_network.ts";
import { TRANSPORTS } from "../../core/network/host_network.ts";
import { channelFidelity } from "../../core/channel_fidelity.ts";
import { Trace } from "../../core/trace.ts";
import { TimeoutError } from "../../core/errors.ts";

/** What the experiments measured for one transport. */
export interface TransportProfile {
  readonly transport: TransportName;
  /** Ms of the first request's round trip (connection set-up included, where there is one). */
  readonly firstRoundTripMs: number;
  /** Median ms of the round trips after the first. */
  readonly roundTripMs: number;
  /** Messages in each burst. */
  readonly burst: number;
  /** The burst with the reliable channel off: what reached the receiver. */
  readonly unreliable: {
    readonly delivered: number;
    readonly lost: number;
    readonly duplicated: number;
    readonly reordered: number;
  };
  /** The burst with the reliable channel on. */
  readonly reliable: {
    /** Every message delivered once, in the order sent. */
    readonly exactlyOnceInOrder: boolean;
    readonly retransmissions: number;
    /** Ms from the first send to the last delivery. */
    readonly ms: number;
  };
}

/** Options of {@link describeTransports}. */
export interface DescribeTransportsOptions {
  /** The transports to measure. @default every one: tcp, udp, http */
  readonly transports?: readonly TransportName[];
  /** Messages in each burst. @default 2000 */
  readonly burst?: number;
  /** Round trips of the set-up experiment. @default 10 */
  readonly roundTrips?: number;
  /**
   * Ms without a message after which the receiver of a burst without the reliable channel stops
   * waiting (what has not come by then is lost). @default 500
   */
  readonly quiet?: number;
}

/** A safety net only: an experiment still waiting after this long fails. */
const LIMIT_MS = 60_000;

async function pair(transport: TransportName, reliable: boolean, trace?: Trace): Promise<Host[]> {
  const endpoints = new Map<string, string>();
  const hosts: Host[] = [];
  for (const [i, name] of ["m1.lab", "m2.lab"].entries()) {
    const host = await startHost(name, {
      transport,
      resolve: (m) => endpoints.get(m),
      seed: i + 1,
      reliable,
      trace,
    });
    endpoints.set(name, host.endpoint);
    hosts.push(host);
  }
  return hosts;
}

async function settle<T>(hosts: Host[], done: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Cannot describe transports: ${what} did not finish in 60 s`)),
      LIMIT_MS,
    );
  });
  try {
    let watched = done;
    for (const host of hosts) watched = host.watch(watched);
    return await Promise.race([watched, limit]);
  } finally {
    clearTimeout(timer);
    for (const host of hosts) await host.close();
  }
}

/** Round trips over a fresh pair: the first one's, then each later one's, in ms. */
async function roundTrips(transport: TransportName, count: number): Promise<number[]> {
  const hosts = await pair(transport, true);
  hosts[0].machine.spawn("echo", async (ctx) => {
    for (;;) {
      const m = await ctx.receive();
      await ctx.reply(m, m.body);
    }
  });
  const done = Promise.withResolvers<number[]>();
  hosts[1].machine.spawn("client", async (ctx) => {
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const start = ctx.now();
      await ctx.request("echo@m1.lab", i, { timeout: 10_000 });
      times.push(ctx.now() - start);
    }
    done.resolve(times);
  });
  return await settle(hosts, done.promise, `${transport} round trips`);
}

/** A burst of `count` one-way messages; the trace, and when the receiver stopped waiting. */
async function burst(
  transport: TransportName,
  count: number,
  reliable: boolean,
  quiet: number,
): Promise<{ trace: Trace; got: number[]; ms: number }> {
  const trace = new Trace();
  const hosts = await pair(transport, reliable, trace);
  const done = Promise.withResolvers<{ got: number[]; ms: number }>();
  let start = 0;
  hosts[0].machine.spawn("sink", async (ctx) => {
    const got: number[] = [];
    let last = ctx.now();
    // Without the reliable channel the lost messages never come: once the first message is
    // in (a connection may take a while to open), stop after `quiet` ms without one.
    for (let i = 0; i < 2 * count; i++) {
      const timeout = reliable || got.length === 0 ? 30_000 : quiet;
      try {
        got.push((await ctx.receive<number>({ timeout })).body);
        last = ctx.now();
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        break;
      }
      if (reliable && got.length === count) break;
    }
    done.resolve({ got, ms: last - start });
  });
  hosts[1].machine.spawn("source", async (ctx) => {
    start = ctx.now();
    for (let i = 0; i < count; i++) await ctx.send("sink@m1.lab", i);
  });
  const { got, ms } = await settle(hosts, done.promise, `${transport} burst`);
  return { trace, got, ms: Math.round(ms * 10) / 10 };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/**
 * Measures each transport: connection set-up, what a burst suffers without the reliable channel
 * (lost, duplicated, reordered), and what the channel costs to repair it.
 *
 * @example UDP against TCP, small
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeTransports } from "./transports.ts";
 * const [tcp, udp] = await describeTransports({ transports: ["tcp", "udp"], burst: 20, roundTrips: 3 });
 * assert.equal(tcp.unreliable.lost + tcp.unreliable.reordered + tcp.unreliable.duplicated, 0);
 * assert.ok(udp.reliable.exactlyOnceInOrder && tcp.reliable.exactlyOnceInOrder);
 * ```
 */
export async function describeTransports(
  options: DescribeTransportsOptions = {},
): Promise<TransportProfile[]> {
  const transports = options.transports ?? TRANSPORTS;
  const count = options.burst ?? 2000;
  // Every code path once before anything is timed: the first transport measured would
  // otherwise pay for compiling what all of them share.
  for (const transport of transports) await roundTrips(transport, 2);
  const profiles: TransportProfile[] = [];
  for (const transport of transports) {
    const [first, ...rest] = await roundTrips(transport, options.roundTrips ?? 10);
    const raw = await burst(transport, count, false, options.quiet ?? 500);
    const fidelity = channelFidelity(raw.trace.events, { include: (e) => e.to === "sink@m1.lab" });
    const fixed = await burst(transport, count, true, options.quiet ?? 500);
    const repaired = channelFidelity(fixed.trace.events, {
      include: (e) => e.to === "sink@m1.lab",
    });
    profiles.push({
      transport,
      firstRoundTripMs: round(first),
      roundTripMs: round(median(rest)),
      burst: count,
      unreliable: {
        delivered: fidelity.delivered,
        lost: fidelity.lost,
        duplicated: fidelity.duplicated,
        reordered: fidelity.reordered,
      },
      reliable: {
        exactlyOnceInOrder: fixed.got.length === count && fixed.got.every((n, i) => n === i) &&
          repaired.duplicated + repaired.reordered + repaired.lost === 0,
        retransmissions: fixed.trace.count("retransmit"),
        ms: fixed.ms,
      },
    });
  }
  return profiles;
}

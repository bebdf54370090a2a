/**
 * The loops `sim_bench.ts` (wall time, `deno bench`) and `sim_ratios.ts` (CPU time) both measure:
 * the raw in-process queues that are the baselines, and the simulator runs set against them.
 * @module
 */
import type { ProcessContext } from "../core/process.ts";
import { Simulator, type SimulatorOptions } from "../core/simulator/simulator.ts";

/** Messages or round trips per run. */
export const N = 10_000;

/** The simulator at its fastest: trace off, object wire, unreliable, a constant 1 ms latency. */
export const FAST: SimulatorOptions = {
  seed: 1,
  trace: false,
  wire: "object",
  reliable: false,
  latency: { kind: "constant", ms: 1 },
};

/** A raw single-consumer queue: an array plus one waiting promise, the least a mailbox does. */
export class Queue<T> {
  #items: T[] = [];
  #waiter: ((value: T) => void) | null = null;

  /** Hands `value` to the waiting consumer, or keeps it. */
  push(value: T): void {
    const waiter = this.#waiter;
    if (waiter !== null) {
      this.#waiter = null;
      waiter(value);
    } else {
      this.#items.push(value);
    }
  }

  /** The next value, once there is one. */
  take(): Promise<T> {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift()!);
    return new Promise<T>((resolve) => this.#waiter = resolve);
  }
}

/** {@link N} messages through a raw {@link Queue}, an `await` per message. */
export async function rawOneWay(): Promise<void> {
  const queue = new Queue<number>();
  const consumer = async () => {
    for (let i = 0; i < N; i++) await queue.take();
  };
  const producer = async () => {
    for (let i = 0; i < N; i++) {
      queue.push(i);
      await null;
    }
  };
  await Promise.all([consumer(), producer()]);
}

/** `roundTrips` round trips between two async functions through raw queues. */
export async function rawPingPong(roundTrips: number = N): Promise<void> {
  const pings = new Queue<number>(), pongs = new Queue<number>();
  const ponger = async () => {
    for (let i = 0; i < roundTrips; i++) pongs.push(await pings.take());
  };
  const pinger = async () => {
    for (let i = 0; i < roundTrips; i++) {
      pings.push(i);
      if (await pongs.take() !== i) throw new Error("raw ping-pong out of order");
    }
  };
  await Promise.all([ponger(), pinger()]);
}

/** Runs `server` and `client` on one simulated machine (trace off, object wire). */
export async function sameMachine(
  server: (ctx: ProcessContext) => Promise<void>,
  client: (ctx: ProcessContext) => Promise<void>,
): Promise<void> {
  const sim = new Simulator({ seed: 1, trace: false, wire: "object" });
  const m1 = sim.machine("m1.lab");
  m1.spawn("server", server);
  m1.spawn("client", client);
  await sim.run();
}

/** {@link N} sends between two processes of one simulated machine. */
export async function sameMachineOneWay(): Promise<void> {
  let got = 0;
  await sameMachine(async (ctx) => {
    for (let i = 0; i < N; i++) {
      await ctx.receive();
      got++;
    }
  }, async (ctx) => {
    for (let i = 0; i < N; i++) await ctx.send("server@m1.lab", i);
  });
  if (got !== N) throw new Error(`one-way delivered ${got} of ${N}`);
}

/** {@link N} request/reply round trips between two processes of one simulated machine. */
export async function sameMachineRequestReply(): Promise<void> {
  let answered = 0;
  await sameMachine(async (ctx) => {
    for (let i = 0; i < N; i++) {
      const request = await ctx.receive<number>();
      await ctx.reply(request, request.body + 1);
    }
  }, async (ctx) => {
    for (let i = 0; i < N; i++) {
      if ((await ctx.request<number>("server@m1.lab", i)).body === i + 1) answered++;
    }
  });
  if (answered !== N) throw new Error(`request/reply answered ${answered} of ${N}`);
}

/** {@link N} round trips between two simulated machines, each ping's body `body(i)`. */
export async function simPingPong(
  options: SimulatorOptions,
  body: (i: number) => unknown = (i) => i,
): Promise<void> {
  const sim = new Simulator(options);
  sim.machine("m1.lab").spawn("pong", async (ctx) => {
    for (let i = 0; i < N; i++) {
      const ping = await ctx.receive();
      await ctx.send("ping@m2.lab", ping.body);
    }
  });
  let last = 0;
  sim.machine("m2.lab").spawn("ping", async (ctx) => {
    for (let i = 0; i < N; i++) {
      await ctx.send("pong@m1.lab", body(i));
      await ctx.receive();
      last++;
    }
  });
  await sim.run();
  if (last !== N) throw new Error(`sim ping-pong ended early at ${last}`);
}

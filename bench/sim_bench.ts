/**
 * The simulator and the same-machine fast path against raw in-process queues, in the same run.
 *
 * - "sim ping-pong": 10,000 round trips (20,000 deliveries) per iteration. Baseline: two async
 *   functions ping-ponging through plain array queues, one promise resolution and one `await`
 *   per message (what a mailbox does at the least). Candidates: a two-machine ping-pong in the
 *   simulator with `{ trace: false, wire: "object", reliable: false, latency: constant 1 ms }`,
 *   and the same with the default settings (trace on, JSON wire, reliable channel).
 * - "in-memory one-way": 10,000 messages per iteration. Baseline: an array queue push/shift with
 *   an `await` per message. Candidate: two processes on the same simulated machine (the fast
 *   path: no serialisation, no network), trace off.
 * - "in-memory request/reply": 10,000 request/reply round trips per iteration between two
 *   processes on one simulated machine, trace off, against the same raw ping-pong baseline.
 * - "object bodies": the same-machine one-way path and the two-machine ping-pong with a small
 *   record body (`{ kind, key, value, tags }`) instead of a number, so that what a send does
 *   with a body (check and copy it) shows. Baseline: the raw array queue carrying the same
 *   records.
 * - "across machines one-way": 10,000 asynchronous sends per iteration from a process on one
 *   simulated machine to one on another (reliable channel, trace off, object wire, 1 ms), into an
 *   unbounded mailbox and into bounded ones (credits granted as the receiver takes), against the
 *   raw array queue. The receiver takes as fast as messages arrive.
 *
 * Every `fn` is an `async function`: `Deno.bench` awaits only those, not arrows returning promises.
 *
 * Deliveries per second = deliveries per iteration / time per iteration.
 * Run with `deno bench bench/sim_bench.ts`.
 *
 * @module
 */
import { Simulator } from "../core/simulator/simulator.ts";
import {
  FAST,
  N,
  Queue,
  rawOneWay,
  rawPingPong,
  sameMachine,
  sameMachineOneWay,
  sameMachineRequestReply,
  simPingPong,
} from "./_sim_loops.ts";

/** A small record body, as an architecture sends (a key-value put). */
interface Put {
  kind: string;
  key: string;
  value: number;
  tags: string[];
}

function put(i: number): Put {
  return { kind: "put", key: "user:42", value: i, tags: ["hot", "eu"] };
}

Deno.bench({
  name: "raw array queues, 10k round trips",
  group: "sim ping-pong",
  baseline: true,
  async fn() {
    await rawPingPong(N);
  },
});

Deno.bench({
  name: "simulator, 10k round trips, trace off, object wire, unreliable",
  group: "sim ping-pong",
  async fn() {
    await simPingPong(FAST);
  },
});

Deno.bench({
  name: "simulator, 10k round trips, defaults (trace, json wire, reliable)",
  group: "sim ping-pong",
  async fn() {
    await simPingPong({ seed: 1 });
  },
});

Deno.bench({
  name: "raw array queue, 10k messages, await per message",
  group: "in-memory one-way",
  baseline: true,
  async fn() {
    await rawOneWay();
  },
});

Deno.bench({
  name: "simulator, same machine, 10k sends",
  group: "in-memory one-way",
  async fn() {
    await sameMachineOneWay();
  },
});

Deno.bench({
  name: "raw array queues, 10k request/reply",
  group: "in-memory request/reply",
  baseline: true,
  async fn() {
    await rawPingPong(N);
  },
});

Deno.bench({
  name: "simulator, same machine, 10k request/reply",
  group: "in-memory request/reply",
  async fn() {
    await sameMachineRequestReply();
  },
});

Deno.bench({
  name: "raw array queue, 10k records, await per message",
  group: "object bodies",
  baseline: true,
  async fn() {
    const queue = new Queue<Put>();
    let sum = 0;
    const consumer = async () => {
      for (let i = 0; i < N; i++) sum += (await queue.take()).value;
    };
    const producer = async () => {
      for (let i = 0; i < N; i++) {
        queue.push(put(i));
        await null;
      }
    };
    await Promise.all([consumer(), producer()]);
    if (sum !== (N * (N - 1)) / 2) throw new Error(`raw records summed to ${sum}`);
  },
});

Deno.bench({
  name: "simulator, same machine, 10k record sends",
  group: "object bodies",
  async fn() {
    let sum = 0;
    await sameMachine(async (ctx) => {
      for (let i = 0; i < N; i++) sum += (await ctx.receive<Put>()).body.value;
    }, async (ctx) => {
      for (let i = 0; i < N; i++) await ctx.send("server@m1.lab", put(i));
    });
    if (sum !== (N * (N - 1)) / 2) throw new Error(`same-machine records summed to ${sum}`);
  },
});

Deno.bench({
  name: "simulator, two machines, 10k record round trips, trace off, object wire, unreliable",
  group: "object bodies",
  async fn() {
    await simPingPong(FAST, put);
  },
});

Deno.bench({
  name: "simulator, two machines, 10k record round trips, defaults (trace, json wire, reliable)",
  group: "object bodies",
  async fn() {
    await simPingPong({ seed: 1 }, put);
  },
});

async function acrossMachines(capacity: number): Promise<void> {
  const sim = new Simulator({
    seed: 1,
    trace: false,
    wire: "object",
    latency: { kind: "constant", ms: 1 },
  });
  let got = 0;
  sim.machine("m1.lab").spawn("rx", async (ctx) => {
    for (let i = 0; i < N; i++) {
      await ctx.receive();
      got++;
    }
  }, { capacity });
  sim.machine("m2.lab").spawn("tx", async (ctx) => {
    for (let i = 0; i < N; i++) await ctx.send("rx@m1.lab", i);
  });
  await sim.run();
  if (got !== N) throw new Error(`across machines delivered ${got} of ${N}`);
}

Deno.bench({
  name: "raw array queue, 10k messages, await per message",
  group: "across machines one-way",
  baseline: true,
  async fn() {
    await rawOneWay();
  },
});

for (const [name, capacity] of [["unbounded", Infinity], ["capacity 64", 64], ["capacity 4", 4]]) {
  Deno.bench({
    name: `simulator, two machines, 10k sends, ${name}`,
    group: "across machines one-way",
    async fn() {
      await acrossMachines(capacity as number);
    },
  });
}

/**
 * `lab check`: the linearizability checker, and what the check harness adds to a simulated run.
 *
 * - "lin-kv checker": a 10,000-operation history over 100 keys from 5 clients (each client
 *   one operation at a time, intervals overlapping across clients, 5% of writes and cas of
 *   unknown outcome; made by a real sequential execution, so linearizable). Baseline: one raw
 *   pass that groups the operations by key and replays each key's writes in call order (the
 *   least any checker does). Candidates: the P-compositional search on that history, and on
 *   the same history with one stale read added at the end (its key is searched exhaustively,
 *   then the smallest failing window is found). Target: under 2 s.
 * - "check harness": the reference lin-kv node on 3 nodes with 6 clients, 600 operations.
 *   Baseline: the raw simulation, the same node and the same client loop
 *   (`ctx.request` per operation, the same random choices and pauses) with nothing recorded, run
 *   to the same virtual time. Candidate: `simulateCheck` (node harness, history recording,
 *   nemesis process, slices of virtual time), the checker excluded. Target: at most 1.10x.
 *
 * Run with `deno bench -A bench/check_bench.ts`.
 * @module
 */
import { TimeoutError } from "../core/errors.ts";
import { createRandom } from "../core/prng.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { checkLinearizability } from "../lab/check/check_linearizable.ts";
import { linKvWorkload } from "../lab/check/lin_kv_workload.ts";
import type { Operation } from "../lab/check/model.ts";
import {
  type RegisterInput,
  registerModel,
  type RegisterOutput,
} from "../lab/check/register_model.ts";
import { simulateCheck } from "../lab/check/simulate.ts";
import { smallestWindow } from "../lab/check/window.ts";
import { node } from "../examples/check/lin_kv.ts";

type KvOp = Operation<RegisterInput, RegisterOutput> & { readonly key: number };

/** A linearizable history: each operation takes effect at a random point inside its interval. */
function history(ops: number, keys: number, clients: number): KvOp[] {
  const random = createRandom(42);
  const planned: { key: number; input: RegisterInput; call: number; at: number; ret: number }[] =
    [];
  for (let c = 0; c < clients; c++) {
    let t = random.next();
    for (let i = 0; i < ops / clients; i++) {
      const call = t, ret = call + 1 + 9 * random.next();
      const key = random.int(keys), f = random.next(), value = random.int(5);
      const input: RegisterInput = f < 1 / 3
        ? { f: "read" }
        : f < 2 / 3
        ? { f: "write", value }
        : { f: "cas", from: random.int(5), to: value };
      planned.push({ key, input, call, at: call + (ret - call) * random.next(), ret });
      t = ret + 0.5 * random.next();
    }
  }
  planned.sort((a, b) => a.at - b.at);
  const state = new Map<number, unknown>();
  return planned.map(({ key, input, call, ret }): KvOp => {
    const current = state.get(key) ?? null;
    let output: RegisterOutput;
    if (input.f === "read") output = current === null ? { error: 20 } : { value: current };
    else if (input.f === "write") (state.set(key, input.value), output = {});
    else if (current === null) output = { error: 20 };
    else if (current !== input.from) output = { error: 22 };
    else (state.set(key, input.to), output = {});
    const lost = input.f !== "read" && random.next() < 0.05;
    return { key, input, output: lost ? undefined : output, call, ret: lost ? Infinity : ret };
  });
}

const OPS = history(10_000, 100, 5);
const STALE: KvOp[] = [...OPS, {
  key: 7,
  input: { f: "read" },
  output: { value: "never written" },
  call: 1e9,
  ret: 1e9 + 1,
}];
const partition = (op: Operation<RegisterInput, RegisterOutput>) => String((op as KvOp).key);

Deno.bench({
  name: "raw pass: group by key, replay writes in call order",
  group: "lin-kv checker",
  baseline: true,
  fn() {
    const byKey = new Map<number, KvOp[]>();
    for (const op of OPS) {
      let list = byKey.get(op.key);
      if (list === undefined) byKey.set(op.key, list = []);
      list.push(op);
    }
    let writes = 0;
    for (const list of byKey.values()) {
      const sorted = [...list].sort((a, b) => a.call - b.call);
      let state: unknown = null;
      for (const op of sorted) if (op.input.f === "write") (state = op.input.value, writes++);
      if (state === undefined) throw new Error("unreachable");
    }
    if (writes === 0) throw new Error("no writes");
  },
});

Deno.bench({
  name: "checkLinearizability, 10k ops, 100 keys, 5 clients (linearizable)",
  group: "lin-kv checker",
  fn() {
    const result = checkLinearizability(registerModel, OPS, { partition });
    if (result.verdict !== "ok") throw new Error(`expected ok, got ${result.verdict}`);
  },
});

Deno.bench({
  name: "checkLinearizability + smallestWindow, same with one stale read",
  group: "lin-kv checker",
  fn() {
    const result = checkLinearizability(registerModel, STALE, { partition });
    if (result.verdict !== "illegal") throw new Error(`expected illegal, got ${result.verdict}`);
    const failing = result.partitions.find((p) => p.verdict === "illegal")!;
    if (smallestWindow(registerModel, failing.ops) === undefined) throw new Error("no window");
  },
});

const RUN = { seed: 3, nodeCount: 3, concurrency: 6, ops: 600, rate: 200, timeout: 1000 };
const workload = linKvWorkload();
/** The virtual time the checked run ends at: the raw run goes as far. */
const END = (await simulateCheck(node, workload, RUN)).sim.now;

async function rawRun(): Promise<number> {
  const sim = new Simulator({ seed: RUN.seed, trace: false });
  const nodes = ["node@n1.lab", "node@n2.lab", "node@n3.lab"];
  for (const [i, address] of nodes.entries()) {
    const machine = sim.machine(`n${i + 1}.lab`);
    machine.spawn("node", node);
    machine.spawn("init", (ctx) => ctx.send(address, { kind: "init", node: address, nodes }));
  }
  const interval = (RUN.concurrency / RUN.rate) * 1000;
  let done = 0;
  for (let c = 0; c < RUN.concurrency; c++) {
    sim.machine(`c${c + 1}.lab`).spawn("client", async (ctx) => {
      for (let seq = 0; seq < RUN.ops / RUN.concurrency; seq++) {
        const request = workload.request(ctx.random, c, seq, ctx.now());
        try {
          await ctx.request(nodes[c % nodes.length], request, { timeout: RUN.timeout });
          done++;
        } catch (error) {
          if (!(error instanceof TimeoutError)) throw error;
        }
        await ctx.sleep(2 * interval * ctx.random());
      }
    });
  }
  await sim.run({ until: END });
  return done;
}

Deno.bench({
  name: "raw simulation: reference lin-kv node, 6 clients, 600 requests",
  group: "check harness",
  baseline: true,
  n: 30,
  warmup: 5,
  async fn() {
    if (await rawRun() < RUN.ops * 0.9) throw new Error("raw run lost requests");
  },
});

Deno.bench({
  name: "simulateCheck: the same run, recorded (checker excluded)",
  group: "check harness",
  n: 30,
  warmup: 5,
  async fn() {
    const run = await simulateCheck(node, workload, RUN);
    if (!run.finished || run.history.ops.length !== RUN.ops) throw new Error("run unfinished");
  },
});

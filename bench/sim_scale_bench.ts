/**
 * A simulator that scales (issue 13.2): 100,000 simulated processes on 10,000 machines, each
 * spawned and idle in a `receive()`, with the default settings (trace on, reliable channel).
 *
 * - Baseline: 100,000 plain async functions, each awaiting a promise of its own (what an idle
 *   process is at the least).
 * - Candidate: the simulator with 10,000 machines of 10 processes each, run until every process
 *   waits.
 *
 * Each iteration prints the heap in use and the process's resident set once the processes are
 * idle (target: under 400 MB); the simulator is measured first, in a fresh process, so that its
 * resident set is its own. Run with `deno bench -A --v8-flags=--expose-gc
 * bench/sim_scale_bench.ts` for a heap figure after a collection; without the flag the heap
 * includes garbage not collected yet.
 *
 * The two-process ping-pong figures of the same issue point (deliveries per second with the
 * defaults and with tracing off) are the "sim ping-pong" group of `bench/sim_bench.ts`.
 * @module
 */
import { Simulator } from "../core/simulator/simulator.ts";

const MACHINES = 10_000;
const PER_MACHINE = 10;
const PROCESSES = MACHINES * PER_MACHINE;

/** Heap in use and resident set in MB, after a collection when `--expose-gc` allows one. */
function memory(): { heap: number; rss: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const usage = Deno.memoryUsage();
  return { heap: usage.heapUsed / 2 ** 20, rss: usage.rss / 2 ** 20 };
}

function report(what: string, before: { heap: number }): void {
  const after = memory();
  console.log(
    `${what}: heap ${after.heap.toFixed(0)} MB (+${(after.heap - before.heap).toFixed(0)} MB), ` +
      `rss ${after.rss.toFixed(0)} MB (target < 400 MB)`,
  );
}

Deno.bench("simulator: 100,000 idle processes on 10,000 machines, defaults", {
  group: "simulator scale",
  n: 1,
  warmup: 0,
}, async () => {
  const before = memory();
  const sim = new Simulator({ seed: 1 });
  let started = 0;
  for (let m = 0; m < MACHINES; m++) {
    const machine = sim.machine(`m${m}.lab`);
    for (let p = 0; p < PER_MACHINE; p++) {
      machine.spawn(`p${p}`, async (ctx) => {
        started++;
        await ctx.receive();
      });
    }
  }
  await sim.run();
  if (started !== PROCESSES) throw new Error(`only ${started} of ${PROCESSES} processes started`);
  report("simulator, 100,000 idle processes on 10,000 machines", before);
});

Deno.bench("raw: 100,000 idle async functions awaiting a promise each", {
  group: "simulator scale",
  baseline: true,
  n: 1,
  warmup: 0,
}, async () => {
  const before = memory();
  const wake: (() => void)[] = [];
  const idle = async (): Promise<void> => {
    await new Promise<void>((resolve) => wake.push(resolve));
  };
  const running: Promise<void>[] = [];
  for (let i = 0; i < PROCESSES; i++) running.push(idle());
  await null;
  report("raw, 100,000 idle", before);
  for (const resolve of wake) resolve();
  await Promise.all(running);
});

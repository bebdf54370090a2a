/**
 * The in-memory ratios of `bench/sim_bench.ts` measured in CPU time: the raw loop and the
 * simulator alternate in one process, and each figure is the median over many runs of the CPU
 * time the process spent (user + system, `process.cpuUsage()`). On a machine shared with other
 * work, wall-clock averages of a few milliseconds swing by 2-5x between bench runs; CPU time
 * of alternating runs does not, so these are the ratios the README states.
 *
 * Groups (10,000 messages or round trips per run, as in sim_bench.ts):
 * - `one-way`: two processes on one simulated machine, trace off, against an array queue with
 *   an `await` per message.
 * - `request-reply`: request/reply on one machine (a timeout and a correlation id per request),
 *   trace off, against two async functions ping-ponging through array queues.
 * - `ping-pong`: two machines, trace off, object wire, unreliable, 1 ms latency (deliveries per
 *   second: two per round trip), against the same raw ping-pong.
 * - `ping-pong-defaults`: the same with the default settings (trace, JSON wire, reliable).
 *
 * Run with `deno run -A bench/sim_ratios.ts [group ...] [--runs N]` (default: every group,
 * 100 runs; the defaults ping-pong takes a tenth of them).
 * @module
 */
import process from "node:process";
import {
  FAST,
  N,
  rawOneWay,
  rawPingPong,
  sameMachineOneWay,
  sameMachineRequestReply,
  simPingPong,
} from "./_sim_loops.ts";

interface Group {
  readonly raw: () => Promise<void>;
  readonly sim: () => Promise<void>;
  /** Deliveries per run (a round trip is two). */
  readonly deliveries: number;
  /** Share of the runs (the defaults ping-pong is slow). */
  readonly share: number;
}

const GROUPS: Record<string, Group> = {
  "one-way": { raw: rawOneWay, sim: sameMachineOneWay, deliveries: N, share: 1 },
  "request-reply": {
    raw: () => rawPingPong(),
    sim: sameMachineRequestReply,
    deliveries: 2 * N,
    share: 1,
  },
  "ping-pong": {
    raw: () => rawPingPong(),
    sim: () => simPingPong(FAST),
    deliveries: 2 * N,
    share: 0.5,
  },
  "ping-pong-defaults": {
    raw: () => rawPingPong(),
    sim: () => simPingPong({ seed: 1 }),
    deliveries: 2 * N,
    share: 0.1,
  },
};

/** CPU milliseconds (user + system) that `fn` took. */
async function cpu(fn: () => Promise<void>): Promise<number> {
  const start = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

async function measure(name: string, group: Group, runs: number): Promise<void> {
  const count = Math.max(3, Math.round(runs * group.share));
  for (let i = 0; i < 3; i++) await group.raw(), await group.sim();
  const raw: number[] = [], sim: number[] = [];
  for (let i = 0; i < count; i++) {
    raw.push(await cpu(group.raw));
    sim.push(await cpu(group.sim));
  }
  const r = median(raw), s = median(sim);
  const perSecond = (group.deliveries / s) * 1000;
  console.log(
    `${name.padEnd(19)} runs ${String(count).padStart(3)}  raw ${r.toFixed(2)} ms  ` +
      `simulator ${s.toFixed(2)} ms  ratio ${(r / s).toFixed(2)}x  ` +
      `${(perSecond / 1e6).toFixed(2)}M deliveries/s (median CPU time)`,
  );
}

if (import.meta.main) {
  const args = [...Deno.args];
  const at = args.indexOf("--runs");
  const runs = at >= 0 ? Number(args.splice(at, 2)[1]) : 100;
  if (!(runs >= 1)) {
    console.error("sim_ratios: --runs must be a number of runs, 1 or more: --runs 100");
    Deno.exit(2);
  }
  const names = args.length > 0 ? args : Object.keys(GROUPS);
  for (const name of names) {
    const group = GROUPS[name];
    if (group === undefined) {
      console.error(
        `sim_ratios: unknown group "${name}"; one of ${Object.keys(GROUPS).join(", ")}`,
      );
      Deno.exit(2);
    }
    await measure(name, group, runs);
  }
}

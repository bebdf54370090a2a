/**
 * The nemesis: a process on the lab's own machine that injects faults on a schedule, Jepsen's
 * way. It alternates a healthy window and a fault window of `interval` ms each, taking the
 * requested faults in turn: `partition` cuts the nodes into a random minority and majority,
 * `crash` crashes a random node's machine (all its memory is lost) and restarts it when the
 * window ends, `pause` freezes a random node's process for the window (see {@link NodeHarness}).
 * Every fault heals at the end of its window, and the nemesis stops once the workload is done.
 * @module
 */
import type { ProcessFn } from "../../core/process.ts";
import type { NodeHarness } from "./node_harness.ts";

/** A fault the nemesis can inject. */
export type NemesisKind = "partition" | "crash" | "pause";

/** Every fault the nemesis knows. */
export const NEMESIS_KINDS: readonly NemesisKind[] = ["partition", "crash", "pause"];

/** One fault window. */
export interface NemesisEvent {
  /** The fault. */
  readonly kind: NemesisKind;
  /** Start (ms). */
  readonly at: number;
  /** End, when it healed (ms). */
  readonly until: number;
  /** The node machines it hit; for a partition, the minority side first. */
  readonly machines: readonly string[];
  /** For a partition, the majority side. */
  readonly others?: readonly string[];
}

/** What the nemesis acts through: the simulator, or later a deployment of real machines. */
export interface FaultInjector {
  /** Cuts machines `a` from machines `b` from `at` until `until`. */
  partition(a: string[], b: string[], options: { at: number; until: number }): void;
  /** Crashes machine `name` at `at` and restarts it at `restartAt`. */
  crash(name: string, options: { at: number; restartAt: number }): void;
}

/** Options of {@link nemesis}. */
export interface NemesisOptions {
  /** The faults to take in turn. */
  readonly kinds: readonly NemesisKind[];
  /** Length of each healthy and each fault window, in ms. @default 1000 */
  readonly interval?: number;
  /** The node machines (`n1.lab`, ...). */
  readonly machines: readonly string[];
  /** Where pauses are kept. */
  readonly harness: NodeHarness;
  /** Where faults are injected. */
  readonly faults: FaultInjector;
  /** Whether the workload is done (then no new window starts). */
  readonly done: () => boolean;
  /** Receives each fault window as it starts. */
  readonly log: NemesisEvent[];
  /** Called once the last fault has healed. @default none */
  readonly onIdle?: () => void;
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * The nemesis process.
 *
 * @example A crash window
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
 * import { nemesis, type NemesisEvent } from "./nemesis.ts";
 * import { NodeHarness } from "./node_harness.ts";
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("n1.lab").spawn("node", (ctx) => ctx.sleep(5000));
 * const log: NemesisEvent[] = [];
 * sim.machine("ctl.lab").spawn("nemesis", nemesis({
 *   kinds: ["crash"], interval: 100, machines: ["n1.lab"], harness: new NodeHarness([]),
 *   faults: sim, done: () => log.length > 0, log,
 * }));
 * await sim.run();
 * assert.deepEqual(log, [{ kind: "crash", at: 100, until: 200, machines: ["n1.lab"] }]);
 * assert.equal(sim.trace.count("crash"), 1);
 * assert.equal(sim.trace.count("restart"), 1);
 * ```
 */
export function nemesis(options: NemesisOptions): ProcessFn {
  const interval = options.interval ?? 1000;
  const { kinds, machines } = options;
  return async (ctx) => {
    for (let turn = 0; kinds.length > 0 && machines.length > 0 && !options.done(); turn++) {
      await ctx.sleep(interval);
      if (options.done()) break;
      const kind = kinds[turn % kinds.length];
      const at = ctx.now(), until = at + interval;
      const order = shuffled(machines, ctx.random);
      if (kind === "partition") {
        if (order.length < 2) continue;
        const minority = order.slice(0, Math.floor(order.length / 2));
        const majority = order.slice(minority.length);
        options.faults.partition(minority, majority, { at, until });
        options.log.push({ kind, at, until, machines: minority, others: majority });
      } else if (kind === "crash") {
        options.faults.crash(order[0], { at, restartAt: until });
        options.log.push({ kind, at, until, machines: [order[0]] });
      } else {
        options.harness.pause(order[0], at, until);
        options.log.push({ kind, at, until, machines: [order[0]] });
      }
      await ctx.sleep(interval);
    }
    options.onIdle?.();
  };
}

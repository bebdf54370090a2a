/**
 * How the lab runs a user's node: the node's code gets its `ProcessContext` through a thin
 * wrapper that counts the messages it sends to other nodes (msgs/op), holds everything it would
 * observe while its node is paused (a process pause, like SIGSTOP: messages still arrive and are
 * acknowledged by its machine, but the code sees nothing until it resumes), and records an
 * exception that escapes the node's code as a failure naming the node.
 * @module
 */
import { ProcessStoppedError } from "../../core/errors.ts";
import { canonical } from "../../core/name.ts";
import type { ProcessContext, ProcessFn } from "../../core/process.ts";

/** The init message every node receives first. */
export interface InitMessage {
  /** Always `"init"`. */
  readonly kind: "init";
  /** This node's address, `node@n1.lab`. */
  readonly node: string;
  /** Every node's address, this one included. */
  readonly nodes: readonly string[];
}

/** An exception that escaped a node's code. */
export interface NodeFailure {
  /** The node. */
  readonly node: string;
  /** When, in ms. */
  readonly at: number;
  /** The error's text. */
  readonly error: string;
}

/** What the harness shares with the lab while a run goes on. */
export class NodeHarness {
  /** Every node's address. */
  readonly nodes: readonly string[];
  /** Messages nodes sent to other nodes (sends, requests and replies). */
  messages = 0;
  /** Exceptions that escaped node code. */
  readonly failures: NodeFailure[] = [];
  readonly #nodeSet: ReadonlySet<string>;
  readonly #pauses = new Map<string, { from: number; until: number }[]>();

  /** Creates the harness for `nodes`. */
  constructor(nodes: readonly string[]) {
    this.nodes = nodes.map(canonical);
    this.#nodeSet = new Set(this.nodes);
  }

  /** Pauses the processes of machine `machine` from `from` until `until` (ms). */
  pause(machine: string, from: number, until: number): void {
    let list = this.#pauses.get(machine);
    if (list === undefined) this.#pauses.set(machine, list = []);
    list.push({ from, until });
  }

  /** Until when machine `machine` is paused at time `now`; `now` itself when it is not. */
  pausedUntil(machine: string, now: number): number {
    let until = now;
    for (const p of this.#pauses.get(machine) ?? []) {
      if (p.from <= now && now < p.until) until = Math.max(until, p.until);
    }
    return until;
  }

  /** Whether `address` is another node than `self`. */
  isPeer(address: string, self: string): boolean {
    const target = canonical(address);
    return target !== self && this.#nodeSet.has(target);
  }

  /** Whether any pause was ever scheduled (else nothing is held). */
  get pauses(): boolean {
    return this.#pauses.size > 0;
  }
}

function wrap(ctx: ProcessContext, harness: NodeHarness): ProcessContext {
  const resume = async (): Promise<void> => {
    // A pause may be followed at once by another: wait them out, a bounded number of times.
    for (let i = 0; i < 1000; i++) {
      const until = harness.pausedUntil(ctx.machine, ctx.now());
      if (until <= ctx.now()) return;
      await ctx.sleep(until - ctx.now());
    }
  };
  const hold = <T>(promise: Promise<T>): Promise<T> => {
    if (!harness.pauses) return promise;
    return promise.then(
      async (value) => (await resume(), value),
      async (error) => {
        await resume();
        throw error;
      },
    );
  };
  const count = (to: string) => {
    if (harness.isPeer(to, ctx.self)) harness.messages++;
  };
  return {
    self: ctx.self,
    machine: ctx.machine,
    runtime: ctx.runtime,
    get disk() {
      return ctx.disk;
    },
    get incarnation() {
      return ctx.incarnation;
    },
    lamport: () => ctx.lamport(),
    send(to, body, options) {
      count(to);
      return hold(ctx.send(to, body, options));
    },
    receive: (options) => hold(ctx.receive(options)),
    receiveWithin: (timeout, filter) => hold(ctx.receiveWithin(timeout, filter)),
    request(to, body, options) {
      count(to);
      return hold(ctx.request(to, body, options));
    },
    requestGroup(targets, body, options) {
      for (const to of targets) count(to);
      return hold(ctx.requestGroup(targets, body, options));
    },
    reply(request, body) {
      count(request.from);
      return ctx.reply(request, body);
    },
    sleep: (ms) => hold(ctx.sleep(ms)),
    now: () => ctx.now(),
    random: () => ctx.random(),
    spawn: (name, fn, options) => ctx.spawn(name, harnessed(fn, harness), options),
    log: (text) => ctx.log(text),
  };
}

/**
 * `node` as the lab runs it: counted, pausable, and with its failures recorded in `harness`
 * (the exception is thrown on, so the run sees it too).
 *
 * @example Messages between nodes are counted, a failure is named
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
 * import { harnessed, NodeHarness } from "./node_harness.ts";
 * const harness = new NodeHarness(["node@n1.lab", "node@n2.lab"]);
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("n1.lab").spawn("node", harnessed(async (ctx) => {
 *   await ctx.send("node@n2.lab", "hello");
 * }, harness));
 * sim.machine("n2.lab").spawn("node", harnessed(async (ctx) => {
 *   await ctx.receive();
 *   throw new Error("boom");
 * }, harness));
 * await sim.run().catch((error) => assert.match(String(error), /boom/));
 * assert.equal(harness.messages, 1);
 * assert.equal(harness.failures[0].node, "node@n2.lab");
 * ```
 */
export function harnessed(node: ProcessFn, harness: NodeHarness): ProcessFn {
  return async (ctx) => {
    try {
      await node(wrap(ctx, harness));
    } catch (error) {
      // Its machine crashed under it: not the node's fault, and nothing is left to report.
      if (error instanceof ProcessStoppedError) return;
      harness.failures.push({
        node: ctx.self,
        at: ctx.now(),
        error: error instanceof Error ? (error.stack ?? String(error)) : String(error),
      });
      throw error;
    }
  };
}

/**
 * The boot process that sends a node its init message (it runs again after a restart, so a
 * restarted node is told who it is again).
 *
 * @example The first message a node receives
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
 * import { initSender } from "./node_harness.ts";
 * const sim = new Simulator({ seed: 1 });
 * let first: unknown;
 * sim.machine("n1.lab").spawn("node", async (ctx) => { first = (await ctx.receive()).body; });
 * sim.machine("n1.lab").spawn("init", initSender("node@n1.lab", ["node@n1.lab"]));
 * await sim.run();
 * assert.deepEqual(first, { kind: "init", node: "node@n1.lab", nodes: ["node@n1.lab"] });
 * ```
 */
export function initSender(node: string, nodes: readonly string[]): ProcessFn {
  const init: InitMessage = { kind: "init", node, nodes };
  return (ctx) => ctx.send(node, init);
}

/**
 * The deterministic simulator: virtual time, a seeded generator, latency distributions, drop,
 * duplicate and reorder faults (global and per link), partitions (two-way and one-way), crash and
 * restart of machines, and clock skew. It schedules with microtasks and a synchronous drain,
 * never with host timers, so the same seed gives the same trace byte for byte.
 * @module
 */
import { Agenda } from "./_agenda.ts";
import type { Scheduled } from "./_heap.ts";
import {
  CHOOSE_AGAIN,
  CHOOSE_STOP,
  type Chooser,
  type FrameChoice,
  type PendingDrop,
  type PendingEvent,
  type PendingKind,
} from "./chooser.ts";
import type {
  LinkFaults,
  NetworkStats,
  RunOptions,
  RunResult,
  SimulatorOptions,
} from "./simulator_options.ts";
import { Directory } from "../directory.ts";
import { ForeignAwaitError, ProcessFailedError } from "../errors.ts";
import { type Latency, latencyBound, sampleLatency } from "../latency.ts";
import { Machine, type Network } from "../machine.ts";
import { type Address, machineOf, parseMachine } from "../name.ts";
import { createRandom, type Random } from "../prng.ts";
import type { RetransmitOptions } from "../reliable_sender.ts";
import type { Runtime, TimerId, TimerTask } from "../runtime.ts";
import { envelopeEvent, Trace } from "../trace.ts";
import type { Envelope } from "../envelope.ts";
import type { WireFrame } from "../wire.ts";

export type * from "./simulator_options.ts";
export * from "./chooser.ts";

interface Partition {
  readonly from: ReadonlySet<string>;
  readonly to: ReadonlySet<string>;
  readonly oneWay: boolean;
}

/**
 * Microtask turns without any process blocking or waking after which the runnable processes are
 * taken as blocked: a process whose wait was settled but that still awaits another promise
 * (`Promise.all` of two requests, the losing side of a `Promise.race`) never blocks again.
 */
const QUIET_TICKS = 256;

/**
 * Quiet microtask turns the simulator still waits, once every process is counted as blocked,
 * when one of them was stirred: it waits on several things at once, or acted after it started a
 * wait it did not await. Its other strands, resumed by its own promises, act within this window.
 */
const TAIL_TICKS = 32;

/** Latency of a frame to or from an exempt machine, in ms. */
const EXEMPT_LATENCY = 1;

/**
 * A simulated distributed system.
 *
 * @example Ping-pong across machines, replayable from the seed
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "./simulator.ts";
 * async function once(seed: number): Promise<string> {
 *   const sim = new Simulator({ seed, drop: 0.2 });
 *   sim.machine("m1.lab").spawn("pong", async (ctx) => {
 *     for (let i = 0; i < 3; i++) await ctx.reply(await ctx.receive(), "pong");
 *   });
 *   sim.machine("m2.lab").spawn("ping", async (ctx) => {
 *     for (let i = 0; i < 3; i++) await ctx.request("pong@m1.lab", "ping");
 *   });
 *   await sim.run();
 *   return sim.trace.digest();
 * }
 * assert.equal(await once(7), await once(7));
 * ```
 *
 * @example An exempt machine's frames skip the faults and the counters
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "./simulator.ts";
 * const sim = new Simulator({ seed: 1, drop: 1, reliable: false, exempt: ["ctl.lab"] });
 * let heard = "";
 * sim.machine("ctl.lab").spawn("collector", async (ctx) => {
 *   heard = (await ctx.receive<string>()).body;
 * });
 * sim.machine("m1.lab").spawn("worker", (ctx) => ctx.send("collector@ctl.lab", "report"));
 * await sim.run();
 * assert.equal(heard, "report");
 * assert.equal(sim.stats.frames, 0);
 * ```
 */
export class Simulator implements Network {
  /** The trace of everything that happened. */
  readonly trace: Trace;
  /** Resolves every simulated machine to its in-memory endpoint `sim:machine.domain`. */
  readonly directory: Directory = new Directory(() => undefined, { ttl: 0, now: () => this.#now });
  /** Network counters. */
  readonly stats: NetworkStats = { frames: 0, bytes: 0, acks: 0, dropped: 0, duplicated: 0 };
  readonly #options: SimulatorOptions;
  readonly #random: Random;
  readonly #netRandom: Random;
  readonly #heap = new Agenda();
  readonly #machines = new Map<string, Machine>();
  readonly #links = new Map<string, LinkFaults>();
  readonly #skews = new Map<string, { offset: number; drift: number }>();
  readonly #exempt: ReadonlySet<string>;
  readonly #kindBytes = new Map<string, number>();
  #partitions: Partition[] = [];
  #now = 0;
  #seq = 0;
  #running = 0;
  /** Code of a process counted as blocked may still run at this instant (see Runtime.stir). */
  #stirred = false;
  #cancelled = 0;
  #activity = 0;
  #inRun = false;
  #failure: ProcessFailedError | undefined;
  #traceOn: boolean;
  #json: boolean;
  #defaultLatency: Latency;
  readonly #chooser: Chooser | undefined;
  /** Whether the chooser picks events (then every scheduled event is described for it). */
  readonly #describing: boolean;
  /** With a chooser: frames per link and timers per machine so far, for stable labels. */
  readonly #counts = new Map<string, number>();

  /** Creates a simulator. */
  constructor(options: SimulatorOptions = {}) {
    this.#options = options;
    this.#random = createRandom(options.seed ?? 1);
    this.#netRandom = this.#random.fork("network");
    this.#traceOn = options.trace !== false;
    this.trace = new Trace(typeof options.trace === "object" ? options.trace : {});
    this.#json = (options.wire ?? "json") === "json";
    this.#defaultLatency = options.latency ?? { kind: "uniform", min: 1, max: 5 };
    this.#chooser = options.chooser;
    this.#describing = options.chooser?.next !== undefined;
    this.#exempt = new Set((options.exempt ?? []).map((name) => {
      const { machine, domain } = parseMachine(name);
      return `${machine}.${domain}`;
    }));
    for (const p of ["drop", "duplicate", "reorder"] as const) {
      const value = options[p];
      if (value !== undefined && !(value >= 0 && value <= 1)) {
        throw new RangeError(`Cannot create simulator: ${p} ${value} must be between 0 and 1`);
      }
    }
  }

  /** Current virtual time in ms. */
  get now(): number {
    return this.#now;
  }

  /** The seed this run replays from. */
  get seed(): number {
    return this.#options.seed ?? 1;
  }

  /**
   * The first process failure, if any: `run()` rejects with it, and with it again on every later
   * call (a failed simulation stays failed). Failures of other processes that came after it are
   * in its `others`.
   */
  get failure(): ProcessFailedError | undefined {
    return this.#failure;
  }

  /**
   * Bytes put on the wire (with `wire: "json"`) by the frames of messages of each kind:
   * retransmissions included, acknowledgements and frames of exempt machines left out. The
   * frame's own length, so counting costs no second serialisation.
   *
   * @example Bytes of one kind
   * ```ts
   * import assert from "node:assert/strict";
   * import { Simulator } from "./simulator.ts";
   * const sim = new Simulator({ seed: 1 });
   * sim.machine("m1.lab").spawn("b", async (ctx) => void await ctx.receive());
   * sim.machine("m2.lab").spawn("a", (ctx) => ctx.send("b@m1.lab", { kind: "hello" }));
   * await sim.run();
   * const hello = sim.bytesByKind().get("hello")!;
   * assert.ok(hello > 0 && hello < sim.stats.bytes); // the acknowledgement is not a message
   * ```
   */
  bytesByKind(): ReadonlyMap<string, number> {
    return this.#kindBytes;
  }

  /** Returns machine `name` (`machine.domain`), creating it on first use. */
  machine(name: string): Machine {
    const { machine, domain } = parseMachine(name);
    const key = `${machine}.${domain}`;
    let found = this.#machines.get(key);
    if (found === undefined) {
      found = new Machine(key, {
        runtime: this.#runtimeFor(key),
        network: this,
        trace: this.#traceOn ? this.trace : undefined,
        reliable: this.#reliable(),
        onProcessError: (address, error) => this.#fail(address, error),
        onDormantAct: (address) => this.#dormantAct(address),
      });
      this.#machines.set(key, found);
      this.directory.register(key, `sim:${key}`);
    }
    return found;
  }

  /**
   * The reliable channel's settings. Unless given, a channel's first timeout comes from the
   * latency the simulator models, as a TCP stack seeds it from the route's cached round trips:
   * twice the worst round trip, at least the 200 ms minimum (RFC 6298's 3 s would stall every
   * first lost frame of a run whose messages take 1 to 5 ms).
   */
  #reliable(): boolean | RetransmitOptions {
    const reliable = this.#options.reliable ?? true;
    if (reliable === false) return false;
    const given = reliable === true ? {} : reliable;
    if (given.rto !== undefined) return given;
    const minRto = given.minRto ?? 200;
    return { ...given, rto: Math.max(minRto, 4 * latencyBound(this.#defaultLatency)) };
  }

  /** Every machine created so far. */
  machines(): Machine[] {
    return [...this.#machines.values()];
  }

  /** Sets the faults of the directed link `from -> to` (overriding the global ones). */
  link(from: string, to: string, faults: LinkFaults): void {
    this.#links.set(`${this.machine(from).name}>${this.machine(to).name}`, faults);
  }

  /** Skews machine `name`'s clock: its `now()` is `t * (1 + drift) + offset`. */
  skew(name: string, skew: { offset?: number; drift?: number }): void {
    this.#skews.set(this.machine(name).name, { offset: skew.offset ?? 0, drift: skew.drift ?? 0 });
  }

  /** Runs `action` at virtual time `at`; at once when `at` is not in the future. */
  at(at: number, action: () => void): void {
    if (at <= this.#now) action();
    else {
      this.#schedule(at, action);
    }
  }

  /**
   * Cuts machines `a` from machines `b` from `at` (default now) until `until` (default forever);
   * `oneWay` cuts only frames from `a` to `b`.
   */
  partition(
    a: readonly string[],
    b: readonly string[],
    options: { at?: number; until?: number; oneWay?: boolean } = {},
  ): void {
    const partition: Partition = {
      from: new Set(a.map((n) => this.machine(n).name)),
      to: new Set(b.map((n) => this.machine(n).name)),
      oneWay: options.oneWay ?? false,
    };
    const label = `${[...partition.from].join(",")} ${partition.oneWay ? "->" : "|"} ${
      [...partition.to].join(",")
    }`;
    this.at(options.at ?? this.#now, () => {
      this.#partitions.push(partition);
      this.#event("partition", label);
    });
    if (options.until !== undefined) {
      this.at(options.until, () => {
        this.#partitions = this.#partitions.filter((p) => p !== partition);
        this.#event("heal", label);
      });
    }
  }

  /** Crashes machine `name` at `at` (default now) and restarts it at `restartAt`, if given. */
  crash(name: string, options: { at?: number; restartAt?: number } = {}): void {
    const machine = this.machine(name);
    this.at(options.at ?? this.#now, () => machine.crash());
    if (options.restartAt === undefined) return;
    if (options.restartAt <= this.#now) return machine.restart();
    const item = this.#schedule(options.restartAt, () => machine.restart());
    if (this.#describing) {
      this.#describe(item, "action", machine.name, this.#label(`restart ${machine.name}`));
    }
  }

  /**
   * Runs until nothing is left to do, or until the time or event limit.
   *
   * Rejects with a {@link ProcessFailedError} as soon as code of a process throws (or its
   * promise rejects): the run stops before the next event, so the failure's virtual time is the
   * run's. The first failure is the rejection; processes that fail after it (at the same instant,
   * before the run stopped, or later) are added to its `others` and to the trace. A failure that
   * happens while no run is active (a process that acted before the first run) rejects the next
   * run, and a failed simulator rejects every later run with the same error. A process stopped
   * by its machine's crash is not a failure.
   *
   * Processes must wait only on the runtime (`ctx.receive`, `ctx.request`, `ctx.sleep`, ...).
   * The run never yields to the host's event loop, so a process that awaits a host timer
   * (`setTimeout`), `fetch` or other I/O cannot resume while it runs; the run takes it as blocked
   * and may end without it. When such a process later acts through its context (send, receive,
   * request, reply, sleep, spawn, log) after the run returned, that act throws a
   * {@link ForeignAwaitError}, the process fails, the failure is raised as an uncaught error
   * (no run is there to reject) and the next run rejects with it. Limits: the simulator cannot
   * tell that a process waits on the host before it acts again, nor see it if it only reads
   * `ctx.now()`/`ctx.random()` or returns; and an act while the run is still going cannot
   * happen (the host's event loop does not turn during a run).
   *
   * @example A process that throws fails the run
   * ```ts
   * import assert from "node:assert/strict";
   * import { ProcessFailedError, Simulator } from "../mod.ts";
   * const sim = new Simulator({ seed: 3 });
   * sim.machine("m1.lab").spawn("bad", () => {
   *   throw new Error("boom");
   * });
   * await assert.rejects(sim.run(), (error: unknown) => {
   *   assert.ok(error instanceof ProcessFailedError);
   *   assert.equal(error.address, "bad@m1.lab");
   *   assert.equal((error.cause as Error).message, "boom");
   *   assert.match(error.message, /under seed 3 .*replay with new Simulator\(\{ seed: 3 \}\)/);
   *   return true;
   * });
   * ```
   */
  async run(options: RunOptions = {}): Promise<RunResult> {
    if (this.#inRun) {
      throw new Error("Cannot run the simulator: it is already running; await the first run()");
    }
    this.#inRun = true;
    try {
      return await this.#loop(options);
    } finally {
      this.#inRun = false;
      for (const machine of this.#machines.values()) machine.markDormant();
    }
  }

  async #loop(options: RunOptions): Promise<RunResult> {
    const until = options.until ?? Infinity;
    const maxEvents = options.maxEvents ?? 50_000_000;
    const heap = this.#heap;
    let events = 0;
    for (;;) {
      if (this.#running > 0 || this.#stirred) await this.#settle();
      if (this.#failure !== undefined) throw this.#failure;
      const next = heap.peek();
      // Before the run returns, a process taken as blocked may still be on its way to its next
      // action (it would then act after run() returned): give it a quiet window first.
      if (next === undefined) {
        if (await this.#stirs()) continue;
        return { time: this.#now, events, quiescent: true };
      }
      if (next.t > until || events >= maxEvents) {
        if (await this.#stirs()) continue;
        if (next.t > until) this.#now = until;
        return { time: this.#now, events, quiescent: false };
      }
      if (this.#chooser?.next !== undefined) {
        if (next.cancelled) {
          heap.pop();
          this.#cancelled--;
          continue;
        }
        const chosen = this.#choose(this.#chooser.next, next);
        if (chosen === CHOOSE_AGAIN) continue;
        if (chosen === CHOOSE_STOP) {
          return { time: this.#now, events, quiescent: false };
        }
        this.#now = Math.max(this.#now, chosen.t);
        events++;
        chosen.run();
        continue;
      }
      heap.pop();
      if (next.cancelled) {
        this.#cancelled--;
        continue;
      }
      this.#now = next.t;
      events++;
      next.run();
    }
  }

  /**
   * Asks `chooser` which pending event runs next, `first` being the earliest; takes the chosen
   * one out of the heap (marked cancelled, so that the heap skips it when it surfaces).
   */
  #choose(
    pickNext: (pending: readonly PendingEvent[]) => number | PendingDrop,
    first: Scheduled,
  ): Scheduled | typeof CHOOSE_AGAIN | typeof CHOOSE_STOP {
    const horizon = first.t + (this.#chooser?.horizon ?? 0);
    const due = this.#heap.all().filter((item) => !item.cancelled && item.t <= horizon);
    due.sort((a, b) => a.t - b.t || a.seq - b.seq);
    const pick = pickNext.call(
      this.#chooser,
      due.map((item) => {
        if (item.info === undefined) {
          this.#describe(item, "action", "network", `action #${item.seq}`);
        }
        return item.info!;
      }),
    );
    if (pick === CHOOSE_AGAIN || pick === CHOOSE_STOP) return pick;
    if (typeof pick === "object") return this.#discard(due[pick.drop], pick.drop, due.length);
    const chosen = due[pick];
    if (chosen === undefined) {
      throw new RangeError(
        `Cannot run the chosen event: index ${pick} is not one of the ${due.length} pending`,
      );
    }
    if (chosen === first) this.#heap.pop();
    else {
      chosen.cancelled = true;
      this.#cancelled++;
    }
    return chosen;
  }

  /** Takes a pending arrival a chooser drops out of the heap, as a frame lost. */
  #discard(item: Scheduled | undefined, index: number, count: number): typeof CHOOSE_AGAIN {
    if (item?.info?.kind !== "arrive") {
      throw new RangeError(
        `Cannot drop the chosen event: index ${index} is not one of the ${count} pending arrivals`,
      );
    }
    item.cancelled = true;
    this.#cancelled++;
    this.stats.dropped++;
    if (this.#traceOn) {
      const { machine, label } = item.info;
      this.trace.record({ t: this.#now, ev: "drop", at: machine, note: `dropped: ${label}` });
    }
    return CHOOSE_AGAIN;
  }

  /** Gives `item` its description for the chooser. */
  #describe(item: Scheduled, kind: PendingKind, machine: string, label: string, detail = ""): void {
    item.info = { t: item.t, seq: item.seq, kind, machine, label, detail };
  }

  /** The next label under `key`: `key#n`, n counting from 1 per key across the run. */
  #label(key: string): string {
    const n = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, n);
    return `${key}#${n}`;
  }

  /**
   * The simulator's directory knows every machine's processes: the capacity of the mailbox at
   * `address` (`Infinity` when unbounded, absent or its machine down).
   */
  mailboxBound(address: string): number {
    const machine = this.#machines.get(machineOf(address));
    return machine === undefined || !machine.alive ? Infinity : machine.capacityOf(address);
  }

  /** Network entry point used by the machines. */
  send(from: string, to: string, frame: WireFrame): void {
    if (this.#exempt.size > 0 && (this.#exempt.has(from) || this.#exempt.has(to))) {
      const payload = this.#json ? JSON.stringify(frame) : frame;
      const item = this.#schedule(
        this.#now + EXEMPT_LATENCY,
        () => this.#arrive(from, to, payload),
      );
      if (this.#describing) {
        this.#describeArrival(item, from, to, this.#label(`${from}>${to}`), payload);
      }
      return;
    }
    // No per-link faults (the common case): no key to build and hash per frame.
    const faults = this.#links.size === 0 ? undefined : this.#links.get(`${from}>${to}`);
    const drop = faults?.drop ?? this.#options.drop ?? 0;
    const duplicate = faults?.duplicate ?? this.#options.duplicate ?? 0;
    const reorder = faults?.reorder ?? this.#options.reorder ?? 0;
    const latency = faults?.latency ?? this.#defaultLatency;
    const stats = this.stats;
    const random = this.#netRandom;
    stats.frames++;
    if (frame.kind === "ack") stats.acks++;
    let payload: WireFrame | string = frame;
    // The trace's vector clock travels beside the serialised frame: it is not on the wire.
    let vc: Envelope["vc"];
    if (this.#json) {
      if (frame.kind === "msg" && frame.env.vc !== undefined) {
        // Serialised without it: unset for the length of the stringify (JSON skips undefined).
        const env = frame.env as { vc?: Envelope["vc"] };
        vc = env.vc;
        env.vc = undefined;
        try {
          payload = JSON.stringify(frame);
        } finally {
          env.vc = vc;
        }
      } else {
        payload = JSON.stringify(frame);
      }
      stats.bytes += payload.length + 4;
      if (frame.kind === "msg") {
        const kind = frame.env.kind;
        this.#kindBytes.set(kind, (this.#kindBytes.get(kind) ?? 0) + payload.length + 4);
      }
    }
    if (this.#partitions.length > 0 && this.#cut(from, to)) {
      this.#lost(frame, from, "partition");
      return;
    }
    const chooser = this.#chooser;
    const choice: FrameChoice | undefined = chooser && {
      from,
      to,
      kind: frame.kind,
      label: this.#label(`${from}>${to}`),
      message: frame.kind === "msg" ? frame.env.kind : undefined,
    };
    let lost = drop > 0 && random.next() < drop;
    if (chooser?.drop) lost = chooser.drop(choice!, lost);
    if (lost) {
      this.#lost(frame, from, "lost");
      return;
    }
    let copies = 1;
    let doubled = duplicate > 0 && random.next() < duplicate;
    if (chooser?.duplicate) doubled = chooser.duplicate(choice!, doubled);
    if (doubled) {
      copies = 2;
      stats.duplicated++;
      if (frame.kind === "msg" && this.#traceOn) {
        this.#frameEvent("duplicate", frame, from, "network duplicated");
      }
    }
    for (let i = 0; i < copies; i++) {
      let delay = sampleLatency(latency, random.next);
      if (chooser?.reorder) {
        // The draws are taken as without a chooser, so that the rest of the run lines up.
        const drawn = reorder > 0 && random.next() < reorder;
        const extra = drawn ? random.next() : 0.5;
        const copy = i === 0 ? choice! : { ...choice!, label: `${choice!.label}/2` };
        if (chooser.reorder(copy, drawn)) delay += 3 * latencyBound(latency) * extra;
      } else if (reorder > 0 && random.next() < reorder) {
        delay += 3 * latencyBound(latency) * random.next();
      }
      const item = this.#schedule(this.#now + delay, () => this.#arrive(from, to, payload, vc));
      if (choice) {
        this.#describeArrival(item, from, to, choice.label + (i > 0 ? "/2" : ""), payload);
      }
    }
  }

  #describeArrival(
    item: Scheduled,
    from: string,
    to: string,
    label: string,
    payload: WireFrame | string,
  ): void {
    const detail = typeof payload === "string" ? payload : JSON.stringify(payload);
    this.#describe(item, "arrive", to, label, `${from} ${detail}`);
  }

  #arrive(from: string, to: string, payload: WireFrame | string, vc?: Envelope["vc"]): void {
    const frame: WireFrame = typeof payload === "string" ? JSON.parse(payload) : payload;
    if (vc !== undefined && frame.kind === "msg") (frame.env as { vc?: Envelope["vc"] }).vc = vc;
    const machine = this.#machines.get(to);
    if (machine === undefined || !machine.alive) {
      this.#lost(frame, from, machine === undefined ? "no such machine" : "machine down");
      return;
    }
    machine.receiveFrame(from, frame);
  }

  #cut(from: string, to: string): boolean {
    for (const p of this.#partitions) {
      if (p.from.has(from) && p.to.has(to)) return true;
      if (!p.oneWay && p.from.has(to) && p.to.has(from)) return true;
    }
    return false;
  }

  #lost(frame: WireFrame, from: string, why: string): void {
    this.stats.dropped++;
    if (frame.kind === "msg" && this.#traceOn) this.#frameEvent("drop", frame, from, why);
  }

  #frameEvent(ev: "drop" | "duplicate", frame: WireFrame, at: string, note: string): void {
    if (frame.kind !== "msg") return;
    this.trace.record(envelopeEvent(this.#now, ev, at, frame.env, note));
  }

  #event(ev: "partition" | "heal", note: string): void {
    if (this.#traceOn) this.trace.record({ t: this.#now, ev, at: "network", note });
  }

  #schedule(t: number, run: () => void): Scheduled {
    const item: Scheduled = { t, seq: this.#seq++, run, cancelled: false };
    this.#heap.push(item);
    return item;
  }

  /** Records a process failure: the first one fails the run, later ones join it. */
  #fail(address: Address, error: unknown): void {
    const first = this.#failure;
    // A ForeignAwaitError is recorded when it is thrown; the same error ending the process is no news.
    const known = (f: ProcessFailedError) => f.address === address && f.cause === error;
    if (first !== undefined && (known(first) || first.others.some(known))) return;
    const failure = new ProcessFailedError(address, error, {
      time: this.#now,
      seed: this.seed,
      replay: this.#options.replay ?? `new Simulator({ seed: ${this.seed} })`,
    });
    if (first === undefined) this.#failure = failure;
    else first.others.push(failure);
  }

  /** A dormant process acted: outside a run, it resumed from something not the runtime's. */
  #dormantAct(address: Address): void {
    if (this.#inRun || this.#failure !== undefined) return;
    const error = new ForeignAwaitError(address);
    this.#fail(address, error);
    const failure = this.#failure!;
    // No run is there to reject: raise it like an unhandled rejection (the next run rejects too).
    queueMicrotask(() => {
      throw failure;
    });
    throw error;
  }

  /** Whether any process acts within a quiet window of microtask turns. */
  async #stirs(): Promise<boolean> {
    const seen = this.#activity, size = this.#heap.size;
    for (let i = 0; i < QUIET_TICKS; i++) {
      await null;
      if (this.#failure !== undefined) return true;
      if (this.#activity !== seen || this.#heap.size !== size || this.#running > 0) return true;
    }
    return false;
  }

  /**
   * Lets runnable processes run (microtasks) until every one of them blocks again. Each quiet
   * turn is one `queueMicrotask`, the same one turn an `await null` takes, without resuming an
   * async function: the processes' turns interleave with it exactly as with a loop of awaits.
   * The run calls it before every event: its functions are made once, not per call.
   */
  #settle(): Promise<void> {
    return new Promise<void>(this.#settleStart);
  }

  #settleDone: () => void = () => {};
  #settleQuiet = 0;
  #settleSeen = 0;

  readonly #settleStart = (resolve: () => void): void => {
    this.#settleDone = resolve;
    this.#settleQuiet = 0;
    this.#settleSeen = this.#activity;
    this.#settleCheck();
  };

  readonly #settleCheck = (): void => {
    if (
      this.#failure === undefined &&
      // Every process is counted as blocked; one that was stirred may still have code to run
      // now: give it a short quiet window (any act starts the window again).
      (this.#running !== 0 || (this.#stirred && this.#settleQuiet < TAIL_TICKS))
    ) {
      queueMicrotask(this.#settleTurn);
      return;
    }
    this.#stirred = false;
    this.#settleDone();
  };

  readonly #settleTurn = (): void => {
    if (this.#activity !== this.#settleSeen) {
      this.#settleSeen = this.#activity;
      this.#settleQuiet = 0;
    } else if (++this.#settleQuiet > QUIET_TICKS && this.#running > 0) {
      // Woken processes that made no move for a while wait on something else: take them as
      // blocked.
      for (const machine of this.#machines.values()) machine.forceIdle();
      this.#running = 0;
    }
    this.#settleCheck();
  };

  #runtimeFor(name: string): Runtime {
    const random = this.#random.fork(name);
    return {
      kind: "sim",
      now: () => {
        const skew = this.#skews.get(name);
        return skew === undefined ? this.#now : this.#now * (1 + skew.drift) + skew.offset;
      },
      random: random.next,
      setTimer: (delay: number, callback: () => void): TimerId => {
        const after = Math.max(0, delay);
        if (this.#describing) {
          const item = this.#schedule(this.#now + after, callback);
          this.#describe(item, "timer", name, this.#label(`timer ${name}`));
          return item;
        }
        // Timers of one delay fall due in the order they are set: a lane, not the heap.
        const item: Scheduled = {
          t: this.#now + after,
          seq: this.#seq++,
          run: callback,
          cancelled: false,
        };
        this.#heap.pushTimer(item, after);
        return item;
      },
      setTask: (delay: number, task: TimerTask): TimerId => {
        const after = Math.max(0, delay);
        if (this.#describing) {
          const item = this.#schedule(this.#now + after, () => task.run());
          this.#describe(item, "timer", name, this.#label(`timer ${name}`));
          return item;
        }
        // The task is its own scheduled item: no closure, no wrapper.
        task.t = this.#now + after;
        task.seq = this.#seq++;
        task.cancelled = false;
        this.#heap.pushTimer(task, after);
        return task;
      },
      clearTimer: (id: TimerId): void => {
        const item = id as Scheduled;
        if (item.cancelled) return;
        item.cancelled = true;
        // Cancelled timeouts (most request timeouts are) would otherwise pile up in the heap.
        if (++this.#cancelled > 4096 && this.#cancelled * 2 > this.#heap.size) {
          this.#heap.compact();
          this.#cancelled = 0;
        }
      },
      account: (delta: number): void => {
        this.#running += delta;
        this.#activity++;
      },
      stir: (): void => {
        this.#stirred = true;
        this.#activity++;
      },
    };
  }
}

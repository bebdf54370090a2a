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
import { type Latency, latencyBound } from "../latency.ts";
import { Machine, type Network } from "../machine.ts";
import { type Address, machineOf, parseMachine } from "../name.ts";
import { createRandom, type Random } from "../prng.ts";
import type { RetransmitOptions } from "../reliable_sender.ts";
import type { Runtime, TimerId, TimerTask } from "../runtime.ts";
import type { Disk } from "../storage/disk.ts";
import { MemoryDisk } from "../storage/memory_disk.ts";
import { Trace } from "../trace.ts";
import type { Envelope } from "../envelope.ts";
import { decodeWire, encodeWireText, type WireFrame } from "../wire.ts";
import { JsonCopier } from "../_json_copy.ts";
import { FramePipeline, type Transit } from "../pipeline/frame_pipeline.ts";
import { type FaultChooser, FaultStage } from "../pipeline/fault_stage.ts";
import { checkFaults, type Cut } from "../pipeline/fault_schedule.ts";

export type * from "./simulator_options.ts";
export * from "./chooser.ts";

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

/** Cancelled events that may wait in the agenda before it is compacted (half of them at least). */
const COMPACT_AFTER = 512;

/** Quiet-window turns the run takes inline (an `await` each) before it settles by promise. */
const INLINE_TURNS = 8;

/**
 * What a quiet-window turn awaits: a settled promise resumes the run one microtask turn later,
 * as `await null` does, without making a promise of `null` each time.
 */
const TURN: Promise<void> = Promise.resolve();

/** Latency of a frame to or from an exempt machine, in ms. */
const EXEMPT_LATENCY = 1;

/** A frame's arrival at its machine, scheduled as it is (no closure per frame). */
class Arrival implements Scheduled {
  t: number;
  seq: number;
  cancelled = false;
  slot = -1;
  info?: PendingEvent;
  from = "";
  to = "";
  payload: WireFrame | string | undefined = undefined;
  vc: Envelope["vc"] = undefined;
  readonly #arrive: (item: Arrival) => void;

  constructor(t: number, seq: number, arrive: (item: Arrival) => void) {
    this.t = t;
    this.seq = seq;
    this.#arrive = arrive;
  }

  run(): void {
    this.#arrive(this);
  }
}

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
  readonly #heap = new Agenda();
  readonly #machines = new Map<string, Machine>();
  /** Frames between machines go through the given stages, the meter and the faults. */
  readonly #pipeline: FramePipeline;
  readonly #faults: FaultStage;
  readonly #skews = new Map<string, { offset: number; drift: number }>();
  readonly #kindBytes = new Map<string, number>();
  /** Copies frames as the JSON wire delivers them, counting their text. */
  readonly #copier = new JsonCopier();
  /** Each machine's disk: the simulator's, so that a crash of the machine leaves it. */
  readonly #disks = new Map<string, MemoryDisk>();
  /** Draws of the disk fault, apart from every other stream (no run without it changes). */
  readonly #diskRandom: Random | undefined;
  #now = 0;
  #seq = 0;
  #running = 0;
  /** Code of a process counted as blocked may still run at this instant (see Runtime.stir). */
  #stirred = false;
  #cancelled = 0;
  /** Processes spawned with a bounded mailbox so far (restarts included). */
  #boundedMailboxes = 0;
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

  /**
   * The fault stage of the simulator's frame pipeline: the schedule of the options, the links
   * {@link Simulator.link} set and the cuts {@link Simulator.partition} makes; a cut started on
   * it directly is neither traced nor healed by the simulator.
   */
  get faults(): FaultStage {
    return this.#faults;
  }

  /** Creates a simulator. */
  constructor(options: SimulatorOptions = {}) {
    this.#options = options;
    checkFaults(options, "Cannot create simulator");
    const lose = options.loseUnsynced;
    if (lose !== undefined && !(lose >= 0 && lose <= 1)) {
      throw new RangeError(`Cannot create simulator: loseUnsynced ${lose} must be between 0 and 1`);
    }
    this.#diskRandom = (options.loseUnsynced ?? 0) > 0
      ? createRandom(((options.seed ?? 1) ^ 0x6469736b) >>> 0)
      : undefined;
    this.#random = createRandom(options.seed ?? 1);
    // The first fork of the seed's generator, as faultRandom() makes it: a TCP network given the
    // same seed draws the same faults.
    const netRandom = this.#random.fork("network");
    this.#traceOn = options.trace !== false;
    this.trace = new Trace(typeof options.trace === "object" ? options.trace : {});
    this.#json = (options.wire ?? "json") === "json";
    this.#defaultLatency = options.latency ?? { kind: "uniform", min: 1, max: 5 };
    this.#chooser = options.chooser;
    this.#describing = options.chooser?.next !== undefined;
    const exempt = (options.exempt ?? []).map((name) => {
      const { machine, domain } = parseMachine(name);
      return `${machine}.${domain}`;
    });
    this.#faults = new FaultStage({
      schedule: { ...options, latency: this.#defaultLatency, exempt },
      random: netRandom.next,
      stats: this.stats,
      chooser: this.#faultChooser(options.chooser),
    });
    this.#pipeline = new FramePipeline(
      [...options.stages ?? [], { send: (t, next) => this.#meter(t, next) }, this.#faults],
      {
        carry: (t) => this.#carry(t),
        deliver: (t) => this.#machineNamed(t.to)!.receiveFrame(t.from, t.frame),
        trace: this.#traceOn ? this.trace : undefined,
        now: () => this.#now,
        machine: (name) => this.#machineNamed(name),
      },
    );
  }

  /**
   * Machine `name` (`machine.domain`), if there is one. An arriving frame looks its machine up
   * twice in a row (is it up, then deliver), and two machines that talk alternate: the last two
   * found are kept (machines are never removed).
   */
  #machineNamed(name: string): Machine | undefined {
    if (name === this.#lastName) return this.#lastMachine;
    if (name === this.#otherName) return this.#otherMachine;
    const machine = this.#machines.get(name);
    if (machine !== undefined) {
      this.#otherName = this.#lastName;
      this.#otherMachine = this.#lastMachine;
      this.#lastName = name;
      this.#lastMachine = machine;
    }
    return machine;
  }

  #lastName = "";
  #lastMachine: Machine | undefined;
  #otherName = "";
  #otherMachine: Machine | undefined;

  /** The chooser's frame decisions, for the fault stage (labels counted as the simulator's). */
  #faultChooser(chooser: Chooser | undefined): FaultChooser | undefined {
    if (chooser === undefined) return undefined;
    const { drop, duplicate, reorder } = chooser;
    return {
      label: (from, to) => this.#label(`${from}>${to}`),
      drop: drop && ((frame, drawn) => drop.call(chooser, frame, drawn)),
      duplicate: duplicate && ((frame, drawn) => duplicate.call(chooser, frame, drawn)),
      reorder: reorder && ((frame, drawn) => reorder.call(chooser, frame, drawn)),
    };
  }

  /**
   * The disk of machine `name` (`machine.domain`), as its processes see it through `ctx.disk`:
   * it outlives the machine's crashes, so a harness can look at what a run left on it.
   *
   * @example What a process wrote and synced survives its machine's crash
   * ```ts
   * import assert from "node:assert/strict";
   * import { Simulator } from "./simulator.ts";
   * const sim = new Simulator({ seed: 1, loseUnsynced: 1 });
   * sim.machine("m1.lab").spawn("p", (ctx) => {
   *   const store = ctx.disk.open("notes");
   *   if (store.get("a") !== undefined) return; // restarted: the synced write is there
   *   store.put("a", 1);
   *   store.sync();
   *   store.put("b", 2); // not synced: the crash loses it
   * });
   * sim.crash("m1.lab", { at: 10, restartAt: 20 });
   * await sim.run();
   * assert.deepEqual(sim.disk("m1.lab").open("notes").scan(), [["a", 1]]);
   * assert.match(sim.trace.toJsonl(), /disk lost 1 unsynced write/);
   * ```
   */
  disk(name: string): Disk {
    return this.#diskFor(this.machine(name).name);
  }

  #diskFor(name: string): MemoryDisk {
    let disk = this.#disks.get(name);
    if (disk === undefined) {
      disk = new MemoryDisk({ volatileCache: this.#diskRandom !== undefined });
      this.#disks.set(name, disk);
    }
    return disk;
  }

  /** A crash of machine `name`: with the disk fault drawn, its disk loses what it did not sync. */
  #crashDisk(name: string): void {
    const random = this.#diskRandom;
    if (random === undefined || random.next() >= this.#options.loseUnsynced!) return;
    const lost = this.#diskFor(name).loseUnsynced();
    if (this.#traceOn) {
      this.trace.record({
        t: this.#now,
        ev: "log",
        at: name,
        note: `disk lost ${lost} unsynced write${lost === 1 ? "" : "s"} (fault)`,
      });
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
    this.#faults.link(this.machine(from).name, this.machine(to).name, faults);
  }

  /**
   * Skews machine `name`'s clock: its `now()` is `t * (1 + drift) + offset`, and its timers run
   * on that clock (a slow clock's `sleep(100)` lasts longer than 100 ms of virtual time).
   * @throws {RangeError} when `drift` is not above -1 or `offset` is not finite.
   */
  skew(name: string, skew: { offset?: number; drift?: number }): void {
    const { offset = 0, drift = 0 } = skew;
    if (!(drift > -1 && Number.isFinite(drift) && Number.isFinite(offset))) {
      throw new RangeError(
        `Cannot skew the clock of "${name}": drift ${drift} must be a finite number above -1 ` +
          `and offset ${offset} a finite number of ms`,
      );
    }
    this.#skews.set(this.machine(name).name, { offset, drift });
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
    const partition: Cut = {
      from: new Set(a.map((n) => this.machine(n).name)),
      to: new Set(b.map((n) => this.machine(n).name)),
      oneWay: options.oneWay ?? false,
    };
    const label = `${[...partition.from!].join(",")} ${partition.oneWay ? "->" : "|"} ${
      [...partition.to].join(",")
    }`;
    this.at(options.at ?? this.#now, () => {
      this.#faults.cut(partition);
      this.#event("partition", label);
    });
    if (options.until !== undefined) {
      this.at(options.until, () => {
        this.#faults.heal(partition);
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
    const choosing = this.#chooser?.next !== undefined;
    let events = 0;
    for (;;) {
      // Runnable processes run (microtasks) until every one of them blocks again; the loop
      // goes on in the turn that finds them blocked. Every process is counted as blocked, but
      // one that was stirred may still have code to run now: it gets a short quiet window (any
      // act starts the window again). Inline, not a call: awaiting a promise of its end would
      // take one more turn per event.
      if (this.#running > 0 || this.#stirred) {
        let quiet = 0, seen = this.#activity, turns = 0;
        while (
          this.#failure === undefined &&
          (this.#running !== 0 || (this.#stirred && quiet < TAIL_TICKS))
        ) {
          turns++;
          await TURN;
          quiet = this.#quietTurn(seen, quiet);
          seen = this.#activity;
        }
        // A long settle (processes that talk among themselves on one machine) goes on one turn
        // later, as it did when it was a promise of its own.
        if (turns > INLINE_TURNS) await TURN;
        this.#stirred = false;
      }
      if (this.#failure !== undefined) throw this.#failure;
      // The next event due, the cancelled ones before it taken out on the way (as popping them
      // one by one would: no code runs in between), in one look at the agenda.
      if (events < maxEvents && !choosing) {
        const due = heap.takeDue(until);
        this.#cancelled -= heap.skipped;
        if (due !== undefined) {
          this.#now = due.t;
          events++;
          due.run();
          continue;
        }
      }
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
      // Only a chooser's run gets here with an event due (see takeDue above).
      if (next.cancelled) {
        heap.pop();
        this.#cancelled--;
        continue;
      }
      const chosen = this.#choose(this.#chooser!.next!, next);
      if (chosen === CHOOSE_AGAIN) continue;
      if (chosen === CHOOSE_STOP) {
        return { time: this.#now, events, quiescent: false };
      }
      this.#now = Math.max(this.#now, chosen.t);
      events++;
      chosen.run();
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
    // No bounded mailbox anywhere (the common case): no lookup of the machine and its process.
    if (this.#boundedMailboxes === 0) return Infinity;
    const machine = this.#machines.get(machineOf(address));
    return machine === undefined || !machine.alive ? Infinity : machine.capacityOf(address);
  }

  /** Counts a process spawned with a bounded mailbox (see {@link Simulator.mailboxBound}). */
  boundedMailbox(_address: string): void {
    this.#boundedMailboxes++;
  }

  /** Network entry point used by the machines: the frame goes out through the pipeline. */
  send(from: string, to: string, frame: WireFrame): void {
    this.#pipeline.send({ from, to, frame });
  }

  /**
   * The pipeline's meter, before the faults: counts every frame the machines put on the network
   * (a frame lost later included) and, with `wire: "json"`, encodes it once for its copies.
   */
  #meter(t: Transit, next: (t: Transit) => void): void {
    if (this.#faults.exempt(t.from, t.to)) return next(t);
    const { frame } = t, stats = this.stats;
    stats.frames++;
    if (frame.kind === "ack") stats.acks++;
    if (this.#json) {
      // The trace's vector clock travels beside the serialised frame: it is not on the wire.
      // Plain data is copied as decoding its text would give it, and the text only counted.
      const copy = this.#copier.frame(frame);
      let length: number;
      if (copy !== undefined) {
        t.copied = { frame: copy, taken: false };
        length = this.#copier.length;
      } else {
        const payload = encodeWireText(frame, { vectorClock: false });
        t.payload = payload;
        length = payload.length;
      }
      stats.bytes += length + 4;
      if (frame.kind === "msg") {
        const kind = frame.env.kind;
        this.#kindBytes.set(kind, (this.#kindBytes.get(kind) ?? 0) + length + 4);
      }
    }
    next(t);
  }

  /** The frame a carried copy delivers: the copy taken when it was sent, or a copy of that. */
  #take(copied: { readonly frame: WireFrame; taken: boolean }): WireFrame {
    if (!copied.taken) {
      copied.taken = true;
      return copied.frame;
    }
    return this.#copier.frame(copied.frame)!;
  }

  /** The pipeline's carrier: schedules the frame's arrival after its delay. */
  #carry(t: Transit): void {
    const { from, to, frame } = t;
    const json = this.#json;
    // An exempt machine's frame was not metered: it is encoded here, vector clock and all.
    const copied = t.copied;
    const payload = copied !== undefined
      ? this.#take(copied)
      : (t.payload as string | undefined) ?? (json ? encodeWireText(frame) : frame);
    const metered = t.payload !== undefined || copied !== undefined;
    const vc = json && metered && frame.kind === "msg" ? frame.env.vc : undefined;
    // The arrival is its own scheduled item: no closure per frame.
    const item = new Arrival(this.#now + (t.delay ?? EXEMPT_LATENCY), this.#seq++, this.#arriving);
    item.from = from;
    item.to = to;
    item.payload = payload;
    item.vc = vc;
    this.#heap.push(item);
    const label = t.label ?? (this.#describing ? this.#label(`${from}>${to}`) : undefined);
    if (label !== undefined) this.#describeArrival(item, from, to, label, payload);
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

  readonly #arriving = (item: Arrival): void =>
    this.#arrive(item.from, item.to, item.payload!, item.vc);

  #arrive(from: string, to: string, payload: WireFrame | string, vc?: Envelope["vc"]): void {
    // Unchecked: every machine checks each frame it receives (Machine.receiveFrame).
    const frame = typeof payload === "string" ? decodeWire(payload, { check: false }) : payload;
    if (vc !== undefined && frame.kind === "msg") (frame.env as { vc?: Envelope["vc"] }).vc = vc;
    this.#pipeline.receive({ from, to, frame });
  }

  #event(ev: "partition" | "heal", note: string): void {
    if (this.#traceOn) this.trace.record({ t: this.#now, ev, at: "network", note });
  }

  /**
   * The virtual time at which a clock skewed by `skew` reads `wait` ms more than it reads now:
   * a machine's timers run on its own clock. A slow clock's timer set on virtual time would fire
   * before its own clock reached the deadline; a process that waits `deadline - now()` again then
   * waits ever shorter, until the wait is lost in rounding and virtual time stops (a livelock).
   * Rounding is settled upwards: at the time returned the clock has reached the deadline.
   */
  #dueOn(skew: { offset: number; drift: number }, wait: number): number {
    const read = (t: number) => t * (1 + skew.drift) + skew.offset;
    const due = read(this.#now) + wait;
    let at = this.#now + wait / (1 + skew.drift);
    // Bounded: the step doubles from a few units in the last place.
    for (let step = Number.EPSILON * Math.max(1, Math.abs(at), Math.abs(due)); read(at) < due;) {
      at += step;
      step *= 2;
    }
    return at;
  }

  #schedule(t: number, run: () => void): Scheduled {
    const item: Scheduled = { t, seq: this.#seq++, run, cancelled: false, slot: -1 };
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
      await TURN;
      if (this.#failure !== undefined) return true;
      if (this.#activity !== seen || this.#heap.size !== size || this.#running > 0) return true;
    }
    return false;
  }

  /**
   * A quiet turn of the settling in {@link Simulator.#loop}: `seen` is the activity count of the
   * previous turn; returns the count of quiet turns so far. Woken processes that made no move
   * for {@link QUIET_TICKS} turns wait on something else: they are taken as blocked.
   */
  #quietTurn(seen: number, quiet: number): number {
    if (this.#activity !== seen) return 0;
    if (++quiet > QUIET_TICKS && this.#running > 0) {
      for (const machine of this.#machines.values()) machine.forceIdle();
      this.#running = 0;
    }
    return quiet;
  }

  #runtimeFor(name: string): Runtime {
    const random = this.#random.fork(name);
    const diskFor = () => this.#diskFor(name);
    return {
      kind: "sim",
      get disk(): Disk {
        return diskFor();
      },
      crashed: () => this.#crashDisk(name),
      now: () => {
        // No skewed clock (the common case): no lookup per reading.
        if (this.#skews.size === 0) return this.#now;
        const skew = this.#skews.get(name);
        return skew === undefined ? this.#now : this.#now * (1 + skew.drift) + skew.offset;
      },
      random: random.next,
      setTimer: (delay: number, callback: () => void): TimerId => {
        const skew = this.#skews.size === 0 ? undefined : this.#skews.get(name);
        const wait = Math.max(0, delay);
        if (this.#describing || skew !== undefined) {
          const item = this.#schedule(
            skew === undefined ? this.#now + wait : this.#dueOn(skew, wait),
            callback,
          );
          if (this.#describing) this.#describe(item, "timer", name, this.#label(`timer ${name}`));
          return item;
        }
        // Timers of one delay fall due in the order they are set: a lane, not the heap (a slow
        // or fast clock's timers go to the heap: their due time is not now + delay).
        const item: Scheduled = {
          t: this.#now + wait,
          seq: this.#seq++,
          run: callback,
          cancelled: false,
          slot: -1,
        };
        this.#heap.pushTimer(item, wait);
        return item;
      },
      setTask: (delay: number, task: TimerTask): TimerId => {
        const skew = this.#skews.size === 0 ? undefined : this.#skews.get(name);
        const after = Math.max(0, delay);
        if (this.#describing || skew !== undefined) {
          const item = this.#schedule(
            skew === undefined ? this.#now + after : this.#dueOn(skew, after),
            () => task.run(),
          );
          if (this.#describing) this.#describe(item, "timer", name, this.#label(`timer ${name}`));
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
        this.#heap.cancel(item);
        // Cancelled timeouts (most request timeouts are) would otherwise pile up in the heap,
        // and in a lane, while time stands still: compacted before a lane outgrows its first
        // ring (1,024 slots), so that answered requests never make it grow.
        if (++this.#cancelled > COMPACT_AFTER && this.#cancelled * 2 > this.#heap.size) {
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

/**
 * Fault injection as a stage of the frame pipeline, the same for the simulator and the TCP
 * network: cuts (partitions), drop, duplicate, reorder and latency on the way out, drawn from one
 * seeded generator in a fixed order (drop, duplicate, then for each copy its latency and
 * reordering), and frames to a machine that is down (or unknown) lost on the way in.
 * @module
 */
import { envelopeEvent } from "../trace.ts";
import { type Latency, latencyBound, sampleLatency } from "../latency.ts";
import { createRandom } from "../prng.ts";
import type { FrameChoice } from "../simulator/chooser.ts";
import type { Cut, FaultSchedule, LinkFaults } from "./fault_schedule.ts";
import type { FrameStage, StageContext, Transit, TransitSink } from "./frame_pipeline.ts";

/** Counters a fault stage adds to (a network's own stats, shared). */
export interface FaultCounters {
  /** Frames lost. */
  dropped: number;
  /** Frames the network duplicated. */
  duplicated: number;
}

/**
 * Takes the fault decisions instead of the drawn ones (the simulator's chooser); the draws are
 * still taken, so that the rest of the run lines up.
 */
export interface FaultChooser {
  /** The label of the next frame on link `from -> to` (`from>to#n`). */
  label(from: string, to: string): string;
  /** Whether the frame is lost; `drawn` is what the generator said. */
  drop?(frame: FrameChoice, drawn: boolean): boolean;
  /** Whether the frame is delivered twice. */
  duplicate?(frame: FrameChoice, drawn: boolean): boolean;
  /** Whether this copy is held back. */
  reorder?(frame: FrameChoice, drawn: boolean): boolean;
}

/** Options of {@link FaultStage}. */
export interface FaultStageOptions {
  /** The faults to inject (required). */
  readonly schedule: FaultSchedule;
  /** The generator every fault is drawn from (required): see {@link faultRandom}. */
  readonly random: () => number;
  /** Counters to add losses and duplicates to. @default the stage's own */
  readonly stats?: FaultCounters;
  /** Takes the decisions instead of the draws. @default none */
  readonly chooser?: FaultChooser;
}

/**
 * The generator of the faults of a network run under `seed`: the simulator's and a TCP
 * network's alike, so that the same seed draws the same faults.
 *
 * @example Same seed, same draws
 * ```ts
 * import assert from "node:assert/strict";
 * import { faultRandom } from "./fault_stage.ts";
 * assert.equal(faultRandom(7)(), faultRandom(7)());
 * ```
 */
export function faultRandom(seed: number): () => number {
  return createRandom(seed).fork("network").next;
}

/**
 * Injects the faults of a {@link FaultSchedule} into the frames that go through it.
 *
 * @example Everything lost, but not to an exempt machine
 * ```ts
 * import assert from "node:assert/strict";
 * import { FaultStage, faultRandom, type Transit } from "../mod.ts";
 * const stage = new FaultStage({ schedule: { drop: 1, exempt: ["ctl.lab"] }, random: faultRandom(1) });
 * const out: Transit[] = [];
 * const ack = { kind: "ack", epoch: 1, seq: 1 } as const;
 * stage.send({ from: "m1.lab", to: "m2.lab", frame: ack }, (t) => out.push(t));
 * stage.send({ from: "m1.lab", to: "ctl.lab", frame: ack }, (t) => out.push(t));
 * assert.deepEqual(out.map((t) => t.to), ["ctl.lab"]);
 * assert.equal(stage.stats.dropped, 1);
 * ```
 */
export class FaultStage implements FrameStage {
  /** Frames lost and duplicated (the counters given in the options, when given). */
  readonly stats: FaultCounters;
  readonly #schedule: FaultSchedule;
  readonly #random: () => number;
  readonly #chooser: FaultChooser | undefined;
  readonly #exempt: ReadonlySet<string>;
  readonly #links = new Map<string, LinkFaults>();
  #cuts: Cut[] = [];
  #context: StageContext | undefined;

  /** Creates the stage. */
  constructor(options: FaultStageOptions) {
    this.#schedule = options.schedule;
    this.#random = options.random;
    this.#chooser = options.chooser;
    this.stats = options.stats ?? { dropped: 0, duplicated: 0 };
    this.#exempt = new Set(options.schedule.exempt ?? []);
  }

  /** Keeps the network's trace and machines. */
  attach(context: StageContext): void {
    this.#context = context;
  }

  /** Whether frames between `from` and `to` skip the faults (one of them is exempt). */
  exempt(from: string, to: string): boolean {
    return this.#exempt.size > 0 && (this.#exempt.has(from) || this.#exempt.has(to));
  }

  /** Sets the faults of the directed link `from -> to`, overriding the schedule's. */
  link(from: string, to: string, faults: LinkFaults): void {
    this.#links.set(`${from}>${to}`, faults);
  }

  /** Starts `cut`: frames it covers are lost until {@link FaultStage.heal}. */
  cut(cut: Cut): void {
    this.#cuts.push(cut);
  }

  /** Ends `cut`. */
  heal(cut: Cut): void {
    this.#cuts = this.#cuts.filter((c) => c !== cut);
  }

  /** The one-way cuts {@link FaultStage.cutTo} made, by receiving machine. */
  readonly #cutTo = new Map<string, Cut>();

  /**
   * Cuts (or restores) every link to `machines`: frames to them are lost, as in a partition (a
   * real network's view: it cuts only what it sends).
   */
  cutTo(machines: readonly string[], on = true): void {
    for (const machine of machines) {
      const cut = this.#cutTo.get(machine);
      if (on && cut === undefined) {
        const made: Cut = { to: new Set([machine]), oneWay: true };
        this.#cutTo.set(machine, made);
        this.cut(made);
      } else if (!on && cut !== undefined) {
        this.#cutTo.delete(machine);
        this.heal(cut);
      }
    }
  }

  /** Whether a frame from `from` to `to` is cut now. */
  isCut(from: string, to: string): boolean {
    for (const c of this.#cuts) {
      if ((c.from === undefined || c.from.has(from)) && c.to.has(to)) return true;
      if (!c.oneWay && c.to.has(from) && (c.from === undefined || c.from.has(to))) return true;
    }
    return false;
  }

  /** Cuts, drops, duplicates, delays and reorders a frame going out. */
  send(t: Transit, next: TransitSink): void {
    const { from, to, frame } = t;
    if (this.exempt(from, to)) return next(t);
    if (this.#cuts.length > 0 && this.isCut(from, to)) return this.lost(t, "partition");
    const faults = this.#links.size > 0 ? this.#links.get(`${from}>${to}`) : undefined;
    const schedule = this.#schedule;
    const drop = faults?.drop ?? schedule.drop ?? 0;
    const duplicate = faults?.duplicate ?? schedule.duplicate ?? 0;
    const random = this.#random;
    const chooser = this.#chooser;
    const choice: FrameChoice | undefined = chooser && {
      from,
      to,
      kind: frame.kind,
      label: chooser.label(from, to),
      message: frame.kind === "msg" ? frame.env.kind : undefined,
    };
    let lost = drop > 0 && random() < drop;
    if (chooser?.drop) lost = chooser.drop(choice!, lost);
    if (lost) return this.lost(t, "lost");
    let doubled = duplicate > 0 && random() < duplicate;
    if (chooser?.duplicate) doubled = chooser.duplicate(choice!, doubled);
    const latency = faults?.latency ?? schedule.latency;
    const reorder = faults?.reorder ?? schedule.reorder ?? 0;
    if (!doubled) {
      t.delay = this.#delay(latency, reorder, choice);
      t.label = choice?.label;
      return next(t);
    }
    this.stats.duplicated++;
    const context = this.#context;
    if (frame.kind === "msg" && context?.trace !== undefined) {
      context.trace.record(
        envelopeEvent(context.now(), "duplicate", from, frame.env, "network duplicated"),
      );
    }
    const copy = choice && { ...choice, label: `${choice.label}/2` };
    const delays = [this.#delay(latency, reorder, choice), this.#delay(latency, reorder, copy)];
    next({ ...t, delay: delays[0], label: choice?.label });
    next({ ...t, delay: delays[1], label: copy?.label });
  }

  /** Loses a frame that arrives at a machine that is down or not there. */
  receive(t: Transit, next: TransitSink): void {
    const machine = this.#context?.machine(t.to);
    if (machine === undefined) return this.lost(t, "no such machine");
    if (!machine.alive) return this.lost(t, "machine down");
    next(t);
  }

  /** Counts a lost frame and records it (a `drop` at its sender, for a message) noting `why`. */
  lost(t: Transit, why: string): void {
    this.stats.dropped++;
    const context = this.#context, frame = t.frame;
    if (frame.kind !== "msg" || context?.trace === undefined) return;
    context.trace.record(envelopeEvent(context.now(), "drop", t.from, frame.env, why));
  }

  /** The delay of one copy: its latency, plus a hold-back when it is reordered. */
  #delay(
    latency: Latency | undefined,
    reorder: number,
    choice: FrameChoice | undefined,
  ): number | undefined {
    const random = this.#random;
    let delay = latency === undefined ? undefined : sampleLatency(latency, random);
    const bound = latency === undefined ? 0 : latencyBound(latency);
    const chooser = this.#chooser;
    if (chooser?.reorder) {
      // The draws are taken as without a chooser, so that the rest of the run lines up.
      const drawn = reorder > 0 && random() < reorder;
      const extra = drawn ? random() : 0.5;
      if (chooser.reorder(choice!, drawn)) delay = (delay ?? 0) + 3 * bound * extra;
    } else if (reorder > 0 && random() < reorder) {
      delay = (delay ?? 0) + 3 * bound * random();
    }
    return delay;
  }
}

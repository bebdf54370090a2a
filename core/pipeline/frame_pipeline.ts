/**
 * The frame pipeline: what happens to a frame between a machine and the wire, as a list of
 * stages composed once, when a network (the simulator, the TCP network) is built. A frame a
 * machine sends goes through the stages in order and then to the network's carrier (which puts
 * it on the wire, or schedules its arrival); a frame that arrives goes through them in reverse
 * order and then to its machine. Authentication (sign / verify) and fault injection (drop,
 * duplicate, reorder, delay, partitions, machines down) are stages; a stage never replaces a
 * method of a live object.
 *
 * ```
 * machine ──send──▶ stage 0 ▶ stage 1 ▶ … ▶ carrier ══ wire ══▶ … ▶ stage 1 ▶ stage 0 ──▶ machine
 * ```
 * @module
 */
import type { Machine } from "../machine.ts";
import type { TraceSink } from "../trace.ts";
import type { WireFrame } from "../wire.ts";

/**
 * A frame between two machines as it moves through a pipeline. A stage may change `frame`,
 * `delay`, `payload` and `label` before it hands the transit on; a copy of a frame (a network
 * duplicate) is a new transit.
 */
export interface Transit {
  /** The sending machine, `machine.domain`. */
  readonly from: string;
  /** The receiving machine, `machine.domain`. */
  readonly to: string;
  /** The frame (with its `auth` header once an authentication stage signed it). */
  frame: WireFrame;
  /** Ms the frame takes before it arrives, set by the fault stage; absent: the carrier's own. */
  delay?: number;
  /** The frame as the wire codec encoded it, when a stage already did (shared by copies). */
  payload?: string | Uint8Array;
  /**
   * The simulator's JSON wire taken as a copy instead of text (what decoding the payload would
   * give), shared by copies of the frame: the first to arrive takes it, later ones copy it.
   */
  copied?: { readonly frame: WireFrame; taken: boolean };
  /** The frame's name for the simulator's chooser (`m1.lab>m2.lab#3`), when one watches. */
  label?: string;
}

/** Where a stage hands a transit on: the next stage, or the end of the pipeline. */
export type TransitSink = (transit: Transit) => void;

/** What a stage may use of the network it is composed into; given once, to {@link FrameStage.attach}. */
export interface StageContext {
  /**
   * The outbound path after this stage: frames the stage makes itself (an authentication
   * hello, frames sent again) enter here.
   */
  readonly next: TransitSink;
  /** Where the stage records what it refuses or loses; `undefined` when the network traces nothing. */
  readonly trace: TraceSink | undefined;
  /** The network's clock, in ms (trace times). */
  now(): number;
  /** Machine `name` when this network hosts it (whether up or down), else `undefined`. */
  machine(name: string): Machine | undefined;
}

/**
 * One stage of a frame pipeline. Each method is optional: a stage that only looks at outgoing
 * frames has no `receive`.
 *
 * @example A stage that counts the frames going out
 * ```ts
 * import assert from "node:assert/strict";
 * import { type FrameStage, Simulator } from "../mod.ts";
 * let out = 0;
 * const counter: FrameStage = { send: (transit, next) => { out++; next(transit); } };
 * const sim = new Simulator({ seed: 1, stages: [counter], reliable: false });
 * sim.machine("m1.lab").spawn("b", async (ctx) => void await ctx.receive());
 * sim.machine("m2.lab").spawn("a", (ctx) => ctx.send("b@m1.lab", "hi"));
 * await sim.run();
 * assert.equal(out, 1);
 * ```
 */
export interface FrameStage {
  /** Called once, when the pipeline is built, with what the stage may use of its network. */
  attach?(context: StageContext): void;
  /**
   * A frame leaving `transit.from` for `transit.to`: hand it on with `next` once, several times
   * (copies) or not at all (lost).
   */
  send?(transit: Transit, next: TransitSink): void;
  /** A frame arriving at `transit.to`: hand it on towards the machine with `next`, or not. */
  receive?(transit: Transit, next: TransitSink): void;
}

/** The two ends of a pipeline and what its stages may use, given by the network that builds it. */
export interface PipelineEnds {
  /** Takes a frame that went out through every stage: puts it on the wire. */
  readonly carry: TransitSink;
  /** Takes a frame that came in through every stage: hands it to its machine. */
  readonly deliver: TransitSink;
  /** Where stages record what they refuse or lose. @default nowhere */
  readonly trace?: TraceSink;
  /** The network's clock, in ms. */
  now(): number;
  /** Machine `name` when the network hosts it. */
  machine(name: string): Machine | undefined;
}

/**
 * Stages composed into one path out and one path in. The paths are built once, so a frame costs
 * one call per stage that acts on it.
 *
 * @example Stages run outwards in order, inwards in reverse
 * ```ts
 * import assert from "node:assert/strict";
 * import { FramePipeline, type FrameStage, type Transit } from "./frame_pipeline.ts";
 * const seen: string[] = [];
 * const stage = (name: string): FrameStage => ({
 *   send: (t, next) => { seen.push(`${name} out`); next(t); },
 *   receive: (t, next) => { seen.push(`${name} in`); next(t); },
 * });
 * const wire: Transit[] = [];
 * const pipeline = new FramePipeline([stage("auth"), stage("faults")], {
 *   carry: (t) => wire.push(t),
 *   deliver: () => seen.push("machine"),
 *   now: () => 0,
 *   machine: () => undefined,
 * });
 * pipeline.send({ from: "m1.lab", to: "m2.lab", frame: { kind: "ack", epoch: 1, seq: 0 } });
 * pipeline.receive(wire[0]);
 * assert.deepEqual(seen, ["auth out", "faults out", "faults in", "auth in", "machine"]);
 * ```
 */
export class FramePipeline {
  /** The stages, nearest the machine first. */
  readonly stages: readonly FrameStage[];
  /** Sends a frame out through every stage to the carrier. */
  readonly send: TransitSink;
  /** Takes a frame from the wire in through every stage (in reverse order) to its machine. */
  readonly receive: TransitSink;

  /** Composes `stages` (nearest the machine first) between the machine and `ends.carry`. */
  constructor(stages: readonly FrameStage[], ends: PipelineEnds) {
    this.stages = stages;
    const outs: TransitSink[] = new Array(stages.length + 1);
    outs[stages.length] = ends.carry;
    for (let i = stages.length - 1; i >= 0; i--) {
      const stage = stages[i], next = outs[i + 1];
      outs[i] = stage.send === undefined ? next : (t) => stage.send!(t, next);
    }
    let inward: TransitSink = ends.deliver;
    for (const stage of stages) {
      const next = inward;
      if (stage.receive !== undefined) inward = (t) => stage.receive!(t, next);
    }
    this.send = outs[0];
    this.receive = inward;
    for (let i = 0; i < stages.length; i++) {
      stages[i].attach?.({
        next: outs[i + 1],
        trace: ends.trace,
        now: () => ends.now(),
        machine: (name) => ends.machine(name),
      });
    }
  }
}

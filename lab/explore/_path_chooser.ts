/**
 * The chooser of one exploration run: it follows a prefix of choices and then, when asked to
 * extend, opens a new choice point at every decision (the next event, a crash, a frame lost or
 * duplicated while the budgets last), keeping the sleep sets of the partial-order reduction and
 * stopping where a state was already seen, the depth bound is hit or the invariant fails.
 * @module
 */
import {
  CHOOSE_AGAIN,
  CHOOSE_STOP,
  type Chooser,
  type FrameChoice,
  type PendingEvent,
  type Simulator,
} from "../../core/simulator/simulator.ts";
import type { Machine } from "../../core/machine.ts";
import type { ChoiceNode, RunBounds, RunCheck, RunDone, Seen } from "./_explore_run.ts";
import { hashText } from "./_hash.ts";

/** How a path is walked: extended with new choice points or replayed, and what it records. */
export interface PathOptions {
  /** Whether new choice points are opened past the end of the stack (exploring) or not (replay). */
  readonly extend: boolean;
  /** States seen by the exploration so far. @default none (every state is fresh) */
  readonly seen?: Seen;
  /** Whether the simulator records its trace. @default false */
  readonly trace?: boolean;
  /** Whether the run is over although events are pending. @default never */
  readonly done?: RunDone;
}

const independent = (a: string | undefined, b: string | undefined): boolean =>
  a !== undefined && b !== undefined && a !== b && a !== "network" && b !== "network";

/** The sleep set a new event point inherits from the previous one on the path. */
function inherited(stack: readonly ChoiceNode[], options: readonly string[]): Set<string> {
  let prev: ChoiceNode | undefined;
  for (let i = stack.length - 1; i >= 0 && prev === undefined; i--) {
    if (stack[i].kind === "event") prev = stack[i];
  }
  const sleep = new Set<string>();
  if (prev === undefined) return sleep;
  const at = prev.machines.get(prev.chosen);
  for (const s of [...prev.sleep, ...prev.done]) {
    if (s !== prev.chosen && options.includes(s) && independent(prev.machines.get(s), at)) {
      sleep.add(s);
    }
  }
  return sleep;
}

/**
 * A chooser that walks `stack`: the simulator asks it at every decision. `sim` is set once the
 * simulator that asks exists.
 */
export class PathChooser implements Chooser {
  /** Candidates: events due within this many ms of the earliest. */
  readonly horizon: number;
  /** The simulator asking (set right after it is made). */
  sim!: Simulator;
  /** The invariant's or a process's failure, once one happened. */
  violation: string | undefined;
  /** Steps on the path: events chosen, frames lost or duplicated. */
  depth = 0;
  /** Whether the path was cut by the depth bound (it then goes on in the seeded order). */
  cut = false;
  /** Whether `done` ended the run with events still pending. */
  over = false;
  #i = 0;
  #drops = 0;
  #dups = 0;
  #crashes = 0;
  #crashable: Machine[] | undefined;
  readonly #histories = new Map<string, string>();
  readonly #check: RunCheck;
  readonly #stack: ChoiceNode[];
  readonly #bounds: RunBounds;
  readonly #options: PathOptions;

  /** A chooser checking `check` and walking `stack` within `bounds`. */
  constructor(check: RunCheck, stack: ChoiceNode[], bounds: RunBounds, options: PathOptions) {
    this.horizon = bounds.horizon;
    this.#check = check;
    this.#stack = stack;
    this.#bounds = bounds;
    this.#options = options;
  }

  /** The next event (an index into `pending`), a crash (ask again), or stop. */
  next(pending: readonly PendingEvent[]): number {
    this.violation ??= this.#check(this.sim, false);
    if (this.violation !== undefined) return CHOOSE_STOP;
    if (this.#options.done?.(this.sim)) {
      this.over = true;
      return CHOOSE_STOP;
    }
    const labels = pending.map((p) => p.label);
    const machines = new Map(pending.map((p) => [p.label, p.machine]));
    if (this.#crashes < this.#bounds.crash.max) this.#addCrashes(labels, machines);
    if (this.cut) return this.#take(pending[0].label, pending);
    let node = this.#follow("event");
    if (node === undefined) {
      if (!this.#options.extend) {
        if (this.#i >= this.#stack.length && labels.length > 0) {
          return this.#take(labels[0], pending);
        }
        return CHOOSE_STOP;
      }
      if (this.depth >= this.#bounds.depth) {
        // Past the bound the run goes on in the seeded order, so that its end is checked too.
        this.cut = true;
        return this.#take(pending[0].label, pending);
      }
      node = this.#openEvent(labels, machines);
      if (node === undefined) return CHOOSE_STOP;
    }
    this.depth++;
    return this.#take(node.chosen, pending);
  }

  /** Whether `frame` is lost. */
  drop(frame: FrameChoice, _drawn: boolean): boolean {
    if (this.#drops >= this.#bounds.drops) return false;
    if (!this.#decide("drop", frame)) return false;
    this.#drops++;
    return true;
  }

  /** Whether `frame` is duplicated. */
  duplicate(frame: FrameChoice, _drawn: boolean): boolean {
    if (this.#dups >= this.#bounds.duplicates) return false;
    if (!this.#decide("dup", frame)) return false;
    this.#dups++;
    return true;
  }

  /** Adds a crash option for each crashable machine that is up. */
  #addCrashes(labels: string[], machines: Map<string, string>): void {
    this.#crashable ??= this.#bounds.crash.machines.map((m) => this.sim.machine(m));
    for (const m of this.#crashable) {
      if (m.alive) {
        labels.push(`crash ${m.name}`);
        machines.set(`crash ${m.name}`, m.name);
      }
    }
  }

  /**
   * A new event point past the end of the stack, pushed onto it; `undefined` when the state was
   * seen before or every option sleeps.
   */
  #openEvent(labels: string[], machines: Map<string, string>): ChoiceNode | undefined {
    const sleep = inherited(this.#stack, labels);
    const seen = this.#options.seen;
    if (
      seen &&
      !fresh(
        seen,
        stateOf(this.#histories, labels, this.#drops, this.#dups, this.#crashes),
        this.depth,
        sleep,
      )
    ) {
      return undefined;
    }
    const first = labels.find((l) => !sleep.has(l));
    if (first === undefined) return undefined;
    const node: ChoiceNode = {
      kind: "event",
      options: labels,
      machines,
      sleep,
      done: new Set([first]),
      chosen: first,
    };
    this.#open(node);
    return node;
  }

  /** The stack's next choice point, checked to be of `kind`; `undefined` past its end. */
  #follow(kind: ChoiceNode["kind"]): ChoiceNode | undefined {
    if (this.#i >= this.#stack.length) return undefined;
    if (this.#stack[this.#i].kind !== kind) {
      throw new Error(
        `Cannot replay the choices: choice ${this.#i + 1} is a ${
          this.#stack[this.#i].kind
        } choice but the run ` +
          `asks for a ${kind} choice; the system is not deterministic, or the bounds differ`,
      );
    }
    return this.#stack[this.#i++];
  }

  #open(node: ChoiceNode): void {
    this.#stack.push(node);
    this.#i++;
  }

  /** Whether the frame is lost (`drop`) or duplicated (`dup`), the budget allowing. */
  #decide(verb: "drop" | "dup", frame: FrameChoice): boolean {
    if (this.violation !== undefined || this.cut) return false;
    const yes = `${verb} ${frame.label}`,
      no = `${verb === "drop" ? "keep" : "once"} ${frame.label}`;
    if (!this.#options.extend) {
      // A replay lists only the frames lost or duplicated; every other frame is kept once.
      const at = this.#stack[this.#i];
      if (at?.kind !== "frame" || at.chosen !== yes) return false;
      this.#i++;
      this.depth++;
      return true;
    }
    let node = this.#follow("frame");
    if (node === undefined) {
      node = {
        kind: "frame",
        options: [no, yes],
        machines: new Map(),
        sleep: new Set(),
        done: new Set([no]),
        chosen: no,
      };
      this.#open(node);
    }
    if (node.chosen !== yes) return false;
    // A fault injected is a step of the path, as an event is: shortest counts both.
    this.depth++;
    return true;
  }

  /** Takes the event or crash `label`: its index in `pending`, or ask again after a crash. */
  #take(label: string, pending: readonly PendingEvent[]): number {
    if (label.startsWith("crash ")) {
      const machine = label.slice("crash ".length);
      this.#crashes++;
      const restartAt = this.#bounds.restartAfter === undefined
        ? undefined
        : this.sim.now + this.#bounds.restartAfter;
      this.sim.crash(machine, { restartAt });
      this.#histories.set(machine, hashText(`${this.#histories.get(machine) ?? ""}|crash`));
      return CHOOSE_AGAIN;
    }
    const index = pending.findIndex((p) => p.label === label);
    if (index < 0) {
      throw new Error(
        `Cannot replay the choices: event "${label}" is not pending here; the system is not ` +
          "deterministic (does it read the host's clock, its random numbers or its timers instead of ctx.now(), ctx.random() and ctx.sleep()?)",
      );
    }
    const p = pending[index];
    this.#histories.set(
      p.machine,
      hashText(`${this.#histories.get(p.machine) ?? ""}|${p.detail || p.label}`),
    );
    return index;
  }
}

/** The global state: every machine's input history, the pending events, the budgets spent. */
function stateOf(
  histories: ReadonlyMap<string, string>,
  pending: readonly string[],
  drops: number,
  dups: number,
  crashes: number,
): string {
  const machines = [...histories].sort(([a], [b]) => a < b ? -1 : 1).map(([m, h]) => `${m}=${h}`);
  return hashText(
    `${machines.join(",")};${[...pending].sort().join(",")};${drops},${dups},${crashes}`,
  );
}

/**
 * Whether a state needs exploring: it is new, or was reached only deeper (with less of the depth
 * bound left) or with a sleep set that is not a subset of `sleep`.
 */
function fresh(seen: Seen, state: string, depth: number, sleep: ReadonlySet<string>): boolean {
  seen.visits++;
  const before = seen.states.get(state);
  if (
    before !== undefined && before.depth <= depth && [...before.sleep].every((s) => sleep.has(s))
  ) {
    return false;
  }
  seen.states.set(state, { depth: Math.min(depth, before?.depth ?? depth), sleep });
  return true;
}

/**
 * A small two-phase commit for exploration: coordinator `tm@coord.lab` and participants
 * `p@p1.lab`, `p@p2.lab` that vote yes. The coordinator logs its decision in stable storage
 * (kept across a crash) before it sends it, and after a restart resends a logged decision or
 * aborts (presumed abort). The `broken` variant logs the decision only once every participant
 * acknowledged it: a crash in between loses a commit some participant already applied.
 * @module
 */
import type { ProcessFn } from "../../core/process.ts";
import type { Simulator } from "../../core/simulator/simulator.ts";

/** What the two-phase commit model leaves for its invariant. */
export interface TwoPhaseState {
  /** The coordinator's stable storage. */
  readonly log: Map<string, string>;
  /** Each participant's applied outcome, by address. */
  readonly outcomes: Map<string, string>;
}

const PARTICIPANTS = ["p@p1.lab", "p@p2.lab"];

function coordinator(state: TwoPhaseState, broken: boolean): ProcessFn {
  return async (ctx) => {
    const logged = state.log.get("decision");
    const decide = async (decision: string) => {
      for (const p of PARTICIPANTS) await ctx.send(p, { kind: "decision", decision });
    };
    if (logged !== undefined) return await decide(logged);
    if (state.log.has("begun")) {
      // Restarted with no decision logged: presumed abort.
      state.log.set("decision", "abort");
      ctx.log("restarted with no decision logged: abort");
      return await decide("abort");
    }
    state.log.set("begun", "t1");
    for (const p of PARTICIPANTS) await ctx.send(p, { kind: "prepare" });
    let yes = 0;
    for (let i = 0; i < PARTICIPANTS.length; i++) {
      const vote = await ctx.receive<{ vote: string }>({ kind: "vote" });
      if (vote.body.vote === "yes") yes++;
    }
    const decision = yes === PARTICIPANTS.length ? "commit" : "abort";
    if (!broken) state.log.set("decision", decision);
    ctx.log(`decided ${decision}${broken ? " (not logged yet)" : ", logged"}`);
    await decide(decision);
    for (let i = 0; i < PARTICIPANTS.length; i++) await ctx.receive({ kind: "ack" });
    if (broken) state.log.set("decision", decision);
  };
}

function participant(state: TwoPhaseState, address: string): ProcessFn {
  return async (ctx) => {
    for (;;) {
      const m = await ctx.receive<{ kind: string; decision?: string }>();
      if (m.body.kind === "prepare") await ctx.send(m.from, { kind: "vote", vote: "yes" });
      if (m.body.kind === "decision") {
        if (!state.outcomes.has(address)) {
          state.outcomes.set(address, m.body.decision!);
          ctx.log(`applied ${m.body.decision}`);
        }
        await ctx.send(m.from, { kind: "ack" });
      }
    }
  };
}

/**
 * Builds the model on `sim`.
 *
 * @example One run in the seeded order commits everywhere
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
 * import { twoPhaseCommit, twoPhaseInvariant } from "./two_phase_commit_model.ts";
 * const sim = new Simulator({ seed: 1 });
 * const state = twoPhaseCommit(sim);
 * await sim.run();
 * assert.deepEqual([...state.outcomes.values()], ["commit", "commit"]);
 * assert.equal(twoPhaseInvariant(state), undefined);
 * ```
 */
export function twoPhaseCommit(sim: Simulator, options: { broken?: boolean } = {}): TwoPhaseState {
  const state: TwoPhaseState = { log: new Map(), outcomes: new Map() };
  sim.machine("coord.lab").spawn("tm", coordinator(state, options.broken ?? false));
  for (const p of PARTICIPANTS) {
    const [name, machine] = p.split("@");
    sim.machine(machine).spawn(name, participant(state, p));
  }
  return state;
}

/**
 * Atomicity: no participant commits while another aborts.
 *
 * @example A split outcome
 * ```ts
 * import assert from "node:assert/strict";
 * import { twoPhaseInvariant } from "./two_phase_commit_model.ts";
 * const outcomes = new Map([["p@p1.lab", "commit"], ["p@p2.lab", "abort"]]);
 * assert.match(twoPhaseInvariant({ log: new Map(), outcomes })!, /p@p1.lab committed/);
 * ```
 */
export function twoPhaseInvariant(state: TwoPhaseState): string | undefined {
  const outcomes = [...state.outcomes];
  const committed = outcomes.find(([, o]) => o === "commit");
  const aborted = outcomes.find(([, o]) => o === "abort");
  if (committed && aborted) {
    return `atomicity: ${committed[0]} committed but ${aborted[0]} aborted`;
  }
  return undefined;
}

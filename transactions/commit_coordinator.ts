/**
 * The coordinator's protocol logic, pure: two-phase commit with a decision log, presumed abort.
 *
 * Phase 1 sends "prepare" to every participant and collects votes (a missing vote after the
 * vote timeout counts as no). The decision (commit only if every vote is yes) is forced to the
 * log before phase 2 sends it; phase 2 repeats it until every participant acknowledges, then an
 * "end" record lets the coordinator forget it. After a crash it reads its log: logged decisions
 * are sent again, and a participant asking about a transaction with no logged decision hears
 * "abort" (nothing can have committed it), which is logged too so the answer never changes.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import { canonical } from "../core/name.ts";
import { DeadlineKeeper, type Input, type Protocol } from "../core/protocol/protocol.ts";
import type { StableWrite, TxEffect as Effect } from "./stable_write.ts";
import type { Failpoint } from "./failpoint.ts";
import type { LogRecord } from "./log_records.ts";
import { type LoggedDecision, scanCoordinatorLog } from "./log_scan.ts";
import {
  type CoordinatorStatus,
  type Decision,
  isTxMessage,
  type TxMessage,
  type Vote,
} from "./messages.ts";

/** Options of {@link CommitCoordinator}. */
export interface CommitCoordinatorOptions {
  /** Ms to wait for every vote before deciding abort. @default 500 */
  readonly voteTimeoutMs?: number;
  /** Ms between resends of a prepare or of a decision (doubling for decisions). @default 100 */
  readonly retryMs?: number;
  /** Largest gap between two resends of a decision. @default 1000 */
  readonly maxRetryMs?: number;
  /** Sends of a decision before leaving the rest to the participants' queries. @default 6 */
  readonly pushAttempts?: number;
  /** Stop once at this failpoint (see {@link Failpoint}). @default none */
  readonly failpoint?: Failpoint;
  /** Whether the failpoint already fired in an earlier incarnation. @default false */
  readonly failpointFired?: boolean;
}

interface Voting {
  readonly participants: Map<string, number>;
  readonly votes: Map<string, Vote>;
  readonly waiters: Envelope[];
  readonly deadline: number;
  nextRetry: number;
}

interface Pushing {
  readonly decision: Decision;
  readonly pending: Set<string>;
  attempts: number;
  delay: number;
  nextAt: number;
}

/**
 * The coordinator state machine: a core {@link Protocol}, run by `drive()`.
 *
 * @example The decision is logged before phase 2 sends it
 * ```ts
 * import assert from "node:assert/strict";
 * import { CommitCoordinator } from "./commit_coordinator.ts";
 * const tm = new CommitCoordinator("tm@coord.lab", 1, []);
 * import type { TxMessage } from "./messages.ts";
 * const message = (from: string, body: TxMessage, now: number) =>
 *   ({ kind: "message" as const, now, envelope: { id: "e", from, to: "tm@coord.lab", kind: body.kind, body, lamport: 0, corr: "c" } });
 * const txid = "tm@coord.lab#1.1";
 * tm.step(message("c@m.lab", { kind: "tx-begin" }, 0));
 * tm.step(message("c@m.lab", { kind: "tx-end", txid, participants: { "bank@p1.lab": 1 } }, 1));
 * const effects = tm.step(message("bank@p1.lab", { kind: "tx-vote", txid, vote: "yes" }, 2));
 * assert.deepEqual(effects.map((e) => e.kind), ["persist", "reply", "send", "deadline"]);
 * ```
 */
export class CommitCoordinator implements Protocol<TxMessage, never, StableWrite> {
  readonly #self: string;
  readonly #incarnation: number;
  readonly #voteTimeoutMs: number;
  readonly #retryMs: number;
  readonly #maxRetryMs: number;
  readonly #pushAttempts: number;
  readonly #failpoint: Failpoint | undefined;
  #fired: boolean;
  #count = 0;
  readonly #decisions = new Map<string, LoggedDecision>();
  readonly #voting = new Map<string, Voting>();
  readonly #pushing = new Map<string, Pushing>();
  readonly #deadline = new DeadlineKeeper();

  /**
   * Creates the coordinator `self` in its `incarnation` (1 on the first boot), recovering from
   * its `log`.
   */
  constructor(
    self: string,
    incarnation: number,
    log: readonly LogRecord[],
    options: CommitCoordinatorOptions = {},
  ) {
    if (!Number.isInteger(incarnation) || incarnation < 1) {
      throw new RangeError(
        `Cannot start the coordinator: incarnation ${incarnation} must be a whole number >= 1`,
      );
    }
    this.#self = canonical(self);
    this.#incarnation = incarnation;
    this.#voteTimeoutMs = options.voteTimeoutMs ?? 500;
    this.#retryMs = options.retryMs ?? 100;
    this.#maxRetryMs = options.maxRetryMs ?? 1000;
    this.#pushAttempts = options.pushAttempts ?? 6;
    this.#failpoint = options.failpoint;
    this.#fired = options.failpointFired ?? false;
    const scan = scanCoordinatorLog(log);
    for (const [txid, d] of scan.decisions) this.#decisions.set(txid, d);
    for (const txid of scan.unended) {
      this.#pushing.set(txid, {
        decision: scan.decisions.get(txid)!.decision,
        pending: new Set(scan.decisions.get(txid)!.participants),
        attempts: 0,
        delay: this.#retryMs,
        nextAt: -Infinity,
      });
    }
  }

  /**
   * Notes what recovery found; unacknowledged decisions are sent again on the first tick, which
   * is due at once.
   */
  start(_now?: number): Effect[] {
    const due = this.#deadline.update(undefined, this.nextDeadline());
    if (this.#incarnation === 1) return due;
    return [{
      kind: "log",
      text: `recovery: incarnation ${this.#incarnation}, ${this.#decisions.size} decisions ` +
        `in the log, ${this.#pushing.size} to send again; no decision logged means abort`,
    }, ...due];
  }

  /** Takes one input: a message, or a tick when a timer is due; ends with the next deadline. */
  step(input: Input<TxMessage>): Effect[] {
    const effects = input.kind === "message"
      ? this.#message(input.envelope, input.now)
      : this.#tick(input.now);
    return [...effects, ...this.#deadline.update(input, this.nextDeadline())];
  }

  #message(env: Envelope, now: number): Effect[] {
    const body = env.body;
    if (!isTxMessage(body, false)) return [];
    switch (body.kind) {
      case "tx-begin": {
        const txid = `${this.#self}#${this.#incarnation}.${++this.#count}`;
        return [{ kind: "reply", request: env, body: { kind: "tx-begun", txid } }];
      }
      case "tx-end":
        return this.#end(env, body.txid, body.participants, now);
      case "tx-vote":
        return this.#vote(env.from, body.txid, body.vote, now);
      case "tx-ack":
        return this.#ack(env.from, body.txid);
      case "tx-query":
        return this.#query(env.from, body.txid, now);
      case "tx-status":
        return [{ kind: "reply", request: env, body: this.status() }];
      default:
        return [];
    }
  }

  /** The timers that are due: vote timeouts, resent prepares and decisions. */
  #tick(now: number): Effect[] {
    const effects: Effect[] = [];
    for (const [txid, v] of [...this.#voting]) {
      if (v.deadline <= now) {
        const silent = [...v.participants.keys()].filter((p) => !v.votes.has(p));
        effects.push({
          kind: "log",
          text: `${txid}: no vote from ${silent.join(", ")} within ${this.#voteTimeoutMs} ms`,
        });
        effects.push(...this.#decide(txid, "abort", now));
      } else if (v.nextRetry <= now) {
        v.nextRetry = now + this.#retryMs;
        for (const [p, ops] of v.participants) {
          if (!v.votes.has(p)) effects.push(this.#send(p, { kind: "tx-prepare", txid, ops }));
        }
      }
    }
    for (const [txid, push] of this.#pushing) {
      if (push.nextAt > now) continue;
      if (push.attempts >= this.#pushAttempts) {
        push.nextAt = Infinity;
        effects.push({
          kind: "log",
          text: `${txid}: ${[...push.pending].join(", ")} did not acknowledge ${push.decision}; ` +
            "they will ask",
        });
        continue;
      }
      if (push.attempts > 0) push.delay = Math.min(push.delay * 2, this.#maxRetryMs);
      push.attempts++;
      push.nextAt = now + push.delay;
      for (const p of push.pending) {
        effects.push(this.#send(p, { kind: "tx-decision", txid, decision: push.decision }));
      }
    }
    return effects;
  }

  /** When a timer is next due (a vote timeout, a resend), or `Infinity`. */
  nextDeadline(): number {
    let due = Infinity;
    for (const v of this.#voting.values()) due = Math.min(due, v.deadline, v.nextRetry);
    for (const p of this.#pushing.values()) due = Math.min(due, p.nextAt);
    return due;
  }

  /** The decision log and the work in progress. */
  status(): CoordinatorStatus {
    let unacknowledged = 0;
    for (const p of this.#pushing.values()) if (p.pending.size > 0) unacknowledged++;
    return {
      kind: "tx-coordinator-status",
      incarnation: this.#incarnation,
      decisions: Object.fromEntries(this.#decisions),
      voting: this.#voting.size,
      unacknowledged,
    };
  }

  #end(
    env: Envelope,
    txid: string,
    participants: Readonly<Record<string, number>>,
    now: number,
  ): Effect[] {
    const known = this.#decisions.get(txid);
    if (known !== undefined) {
      return [this.#outcome(env, txid, known.decision === "commit" ? "committed" : "aborted")];
    }
    const voting = this.#voting.get(txid);
    if (voting !== undefined) {
      voting.waiters.push(env);
      return [];
    }
    const list = new Map<string, number>();
    let valid = typeof participants === "object" && participants !== null;
    for (const [p, ops] of Object.entries(valid ? participants : {})) {
      if (!Number.isInteger(ops) || ops < 1) valid = false;
      list.set(canonical(p), ops);
    }
    if (!valid || !this.#current(txid)) {
      // Not begun by this incarnation: whatever an earlier one did, it logged no decision, so
      // nothing can have committed it. Deciding abort now keeps every later answer the same.
      const voting: Voting = {
        participants: list,
        votes: new Map(),
        waiters: [env],
        deadline: now,
        nextRetry: now,
      };
      this.#voting.set(txid, voting);
      return this.#decide(txid, "abort", now);
    }
    if (list.size === 0) return [this.#outcome(env, txid, "committed")];
    this.#voting.set(txid, {
      participants: list,
      votes: new Map(),
      waiters: [env],
      deadline: now + this.#voteTimeoutMs,
      nextRetry: now + this.#retryMs,
    });
    return [...list].map(([p, ops]) => this.#send(p, { kind: "tx-prepare", txid, ops }));
  }

  #vote(from: string, txid: string, vote: Vote, now: number): Effect[] {
    const voting = this.#voting.get(txid);
    if (voting === undefined) {
      // A late yes (a resent prepare, a participant that restarted): tell it what was decided.
      const known = this.#decisions.get(txid);
      return known && vote === "yes"
        ? [this.#send(from, { kind: "tx-decision", txid, decision: known.decision })]
        : [];
    }
    if (!voting.participants.has(from)) return [];
    voting.votes.set(from, vote === "yes" ? "yes" : "no");
    if (vote !== "yes") return this.#decide(txid, "abort", now);
    if (voting.votes.size < voting.participants.size) return [];
    return this.#decide(txid, "commit", now);
  }

  #ack(from: string, txid: string): Effect[] {
    const push = this.#pushing.get(txid);
    if (push === undefined || !push.pending.delete(from) || push.pending.size > 0) return [];
    this.#pushing.delete(txid);
    return [{ kind: "persist", record: { kind: "append", record: { type: "end", txid } } }];
  }

  #query(from: string, txid: string, now: number): Effect[] {
    const known = this.#decisions.get(txid);
    if (known !== undefined) {
      return [this.#send(from, { kind: "tx-decision", txid, decision: known.decision })];
    }
    // Still collecting votes: the participant asks again later.
    if (this.#voting.has(txid)) return [];
    this.#voting.set(txid, {
      participants: new Map([[from, 1]]),
      votes: new Map(),
      waiters: [],
      deadline: now,
      nextRetry: now,
    });
    return [
      { kind: "log", text: `${txid}: no decision in the log: presumed abort` },
      ...this.#decide(txid, "abort", now),
    ];
  }

  #decide(txid: string, decision: Decision, now: number): Effect[] {
    const voting = this.#voting.get(txid)!;
    this.#voting.delete(txid);
    const participants = [...voting.participants.keys()];
    const effects: Effect[] = [];
    const unanimous = decision === "commit";
    if (unanimous && this.#failpoint === "after-votes" && !this.#fired) {
      this.#fired = true;
      effects.push({ kind: "persist", record: { kind: "failpoint", name: "after-votes", txid } });
    }
    effects.push({
      kind: "persist",
      record: { kind: "append", record: { type: "decision", txid, decision, participants } },
    });
    this.#decisions.set(txid, { decision, participants });
    if (unanimous && this.#failpoint === "after-decision" && !this.#fired) {
      this.#fired = true;
      effects.push({
        kind: "persist",
        record: { kind: "failpoint", name: "after-decision", txid },
      });
    }
    const outcome = decision === "commit" ? "committed" : "aborted";
    for (const waiter of voting.waiters) effects.push(this.#outcome(waiter, txid, outcome));
    if (participants.length === 0) {
      effects.push({ kind: "persist", record: { kind: "append", record: { type: "end", txid } } });
      return effects;
    }
    this.#pushing.set(txid, {
      decision,
      pending: new Set(participants),
      attempts: 1,
      delay: this.#retryMs,
      nextAt: now + this.#retryMs,
    });
    for (const p of participants) {
      effects.push(this.#send(p, { kind: "tx-decision", txid, decision }));
    }
    return effects;
  }

  #current(txid: string): boolean {
    const prefix = `${this.#self}#${this.#incarnation}.`;
    if (!txid.startsWith(prefix)) return false;
    const n = Number(txid.slice(prefix.length));
    return Number.isInteger(n) && n >= 1 && n <= this.#count;
  }

  #outcome(request: Envelope, txid: string, outcome: "committed" | "aborted"): Effect {
    return { kind: "reply", request, body: { kind: "tx-outcome", txid, outcome } };
  }

  #send(to: string, body: TxMessage): Effect {
    return { kind: "send", to, body };
  }
}

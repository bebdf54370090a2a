/**
 * A participant's protocol logic (a resource manager), pure: a message in, state and
 * {@link Effect}s out. It keeps one private workspace per transaction (writes are invisible to
 * others until commit), takes strict two-phase locks with no-wait (a conflict aborts the
 * requester), writes "prepared" to its log before it votes yes and then waits for the decision
 * holding its locks: it may not decide alone. While it waits it asks the coordinator, with
 * backoff. After a crash it rebuilds the in-doubt transactions from its log.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import { newParticipantTx, type ParticipantTx } from "./_participant_tx.ts";
import { DeadlineKeeper, type Input, type Protocol } from "../core/protocol/protocol.ts";
import type { StableWrite, TxEffect as Effect } from "./stable_write.ts";
import { LockTable } from "./lock_table.ts";
import type { LockMode, LogRecord } from "./log_records.ts";
import { scanParticipantLog } from "./log_scan.ts";
import {
  type Decision,
  type InDoubt,
  isTxMessage,
  type ParticipantStatus,
  type RefusalReason,
  type TxMessage,
} from "./messages.ts";

/** What the resource manager reads from stable storage. */
export interface StoreView {
  /** The committed value of `key`. */
  get(key: string): unknown;
  /** Every committed value. */
  entries(): Record<string, unknown>;
  /** The log, oldest first. */
  log(): LogRecord[];
}

/** Options of {@link ResourceManager}. */
export interface ResourceManagerOptions {
  /** Ms without an operation after which an unprepared transaction is aborted here. @default 1000 */
  readonly activeTimeoutMs?: number;
  /** Ms after a yes vote before the first query to the coordinator. @default 200 */
  readonly queryMs?: number;
  /** Longest gap between two queries while in doubt (the backoff's cap). @default 1000 */
  readonly maxQueryMs?: number;
}

/**
 * The participant state machine: a core {@link Protocol}, run by `drive()`.
 *
 * @example Prepare is logged before the yes vote
 * ```ts
 * import assert from "node:assert/strict";
 * import { ResourceManager } from "./resource_manager.ts";
 * import { StableStore } from "./stable_store.ts";
 * import type { TxMessage } from "./messages.ts";
 * const store = new StableStore();
 * const rm = new ResourceManager(store);
 * rm.start(0);
 * const message = (from: string, body: TxMessage, now: number) =>
 *   ({ kind: "message" as const, now, envelope: { id: "e", from, to: "bank@p1.lab", kind: body.kind, body, lamport: 0 } });
 * rm.step(message("c@m.lab", { kind: "tx-write", txid: "t1", key: "x", value: 5, n: 1 }, 1));
 * const effects = rm.step(message("tm@coord.lab", { kind: "tx-prepare", txid: "t1", ops: 1 }, 2));
 * assert.deepEqual(effects.map((e) => e.kind), ["persist", "send", "deadline"]);
 * ```
 */
export class ResourceManager implements Protocol<TxMessage, never, StableWrite> {
  readonly #store: StoreView;
  readonly #activeTimeoutMs: number;
  readonly #queryMs: number;
  readonly #maxQueryMs: number;
  readonly #txs = new Map<string, ParticipantTx>();
  readonly #locks = new LockTable();
  readonly #outcomes = new Map<string, Decision>();
  readonly #deadline = new DeadlineKeeper();
  #blockedMs = 0;

  /** Creates the state machine over `store`. */
  constructor(store: StoreView, options: ResourceManagerOptions = {}) {
    this.#store = store;
    this.#activeTimeoutMs = options.activeTimeoutMs ?? 1000;
    this.#queryMs = options.queryMs ?? 200;
    this.#maxQueryMs = options.maxQueryMs ?? 1000;
  }

  /**
   * Recovers from the log at boot: outcomes are remembered, and every transaction prepared
   * without an outcome is in doubt again, with its workspace and locks; it asks at once.
   * Ends with the first deadline.
   */
  start(now: number): Effect[] {
    const scan = scanParticipantLog(this.#store.log());
    for (const [txid, decision] of scan.outcomes) this.#outcomes.set(txid, decision);
    this.#blockedMs = scan.blockedMs;
    const effects: Effect[] = [];
    for (const record of scan.inDoubt) {
      const tx = this.#newTx(record.txid, now);
      tx.state = "prepared";
      tx.coordinator = record.coordinator;
      tx.preparedAt = record.at;
      tx.nextQuery = now;
      for (const [key, value] of record.writes) tx.workspace.set(key, value);
      for (const [key, mode] of record.locks) this.#locks.acquire(record.txid, key, mode);
      effects.push({
        kind: "log",
        text: `recovery: ${record.txid} is in doubt (voted yes before the crash); locks ${
          this.#lockList(record.txid)
        } taken again`,
      });
    }
    return [...effects, ...this.#deadline.update(undefined, this.nextDeadline())];
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
      case "tx-read":
      case "tx-write":
        return this.#operate(env, body, now);
      case "tx-abort":
        return this.#clientAbort(env, body.txid);
      case "tx-prepare":
        return this.#prepare(env.from, body.txid, body.ops, now);
      case "tx-decision":
        return this.#decide(env.from, body.txid, body.decision, now);
      case "tx-peek":
        return [{
          kind: "reply",
          request: env,
          body: { kind: "tx-value", key: body.key, value: this.#store.get(body.key) ?? null },
        }];
      case "tx-status":
        return [{ kind: "reply", request: env, body: this.status(now) }];
      default:
        return [];
    }
  }

  /** The timers that are due: idle transactions abort, in-doubt ones ask again. */
  #tick(now: number): Effect[] {
    const effects: Effect[] = [];
    for (const tx of [...this.#txs.values()]) {
      if (tx.state === "active" && tx.lastActive + this.#activeTimeoutMs <= now) {
        effects.push({
          kind: "log",
          text: `${tx.txid}: no operation for ${this.#activeTimeoutMs} ms: aborted here`,
        });
        effects.push(...this.#abortHere(tx.txid));
      } else if (tx.state === "prepared" && tx.nextQuery <= now) {
        effects.push({
          kind: "log",
          text: `blocked: in doubt about ${tx.txid} for ${
            (now - tx.preparedAt).toFixed(0)
          } ms, holding locks ${this.#lockList(tx.txid)}; asking ${tx.coordinator}`,
        });
        effects.push({
          kind: "send",
          to: tx.coordinator,
          body: { kind: "tx-query", txid: tx.txid },
        });
        tx.queryDelay = Math.min(tx.queryDelay * 2, this.#maxQueryMs);
        tx.nextQuery = now + tx.queryDelay;
      }
    }
    return effects;
  }

  /** When a timer is next due (an idle transaction, a query), or `Infinity`. */
  nextDeadline(): number {
    let due = Infinity;
    for (const tx of this.#txs.values()) {
      due = Math.min(
        due,
        tx.state === "active" ? tx.lastActive + this.#activeTimeoutMs : tx.nextQuery,
      );
    }
    return due;
  }

  /** The participant's state as reported to audits. */
  status(now: number): ParticipantStatus {
    const inDoubt: InDoubt[] = [];
    let active = 0;
    for (const tx of this.#txs.values()) {
      if (tx.state === "active") active++;
      else {
        inDoubt.push({
          txid: tx.txid,
          coordinator: tx.coordinator,
          waitingMs: now - tx.preparedAt,
          locks: this.#locks.heldBy(tx.txid).map(([key]) => key),
        });
      }
    }
    return {
      kind: "tx-participant-status",
      data: this.#store.entries(),
      outcomes: Object.fromEntries(this.#outcomes),
      inDoubt,
      active,
      blockedMs: this.#blockedMs,
    };
  }

  #operate(
    env: Envelope,
    body: TxMessage & { kind: "tx-read" | "tx-write" },
    now: number,
  ): Effect[] {
    const { txid, key, n } = body;
    const refuse = (reason: RefusalReason, detail: string): Effect[] => [{
      kind: "reply",
      request: env,
      body: { kind: "tx-refused", txid, reason, detail },
    }];
    if (typeof key !== "string" || !Number.isInteger(n)) {
      return refuse(
        "invalid",
        `Cannot ${body.kind.slice(3)}: key and n must be a string and an integer`,
      );
    }
    const tx = this.#txs.get(txid);
    if (tx?.state === "prepared") {
      return refuse("prepared", `Cannot ${body.kind.slice(3)} "${key}": ${txid} is prepared`);
    }
    // A repeated operation (the network duplicated it) is answered again if it is the latest,
    // and ignored if older: doing the same read or write twice changes nothing.
    if (tx !== undefined && n < tx.ops) return [];
    const repeat = tx !== undefined && n === tx.ops;
    if (this.#outcomes.has(txid) || (!repeat && (tx?.ops ?? 0) + 1 !== n)) {
      return [
        ...(tx ? this.#abortHere(txid) : []),
        ...refuse(
          "unknown",
          `Cannot ${body.kind.slice(3)} "${key}": ${txid} is unknown here or lost operations ` +
            `(aborted, or this participant restarted); abort it and retry`,
        ),
      ];
    }
    const holder = this.#locks.acquire(txid, key, body.kind === "tx-write" ? "X" : "S");
    if (holder !== undefined) {
      return [
        ...(tx ? this.#abortHere(txid) : [{
          kind: "persist",
          record: { kind: "append", record: this.#abortRecord(txid) },
        }] as Effect[]),
        ...refuse("conflict", `Cannot lock "${key}" for ${txid}: ${holder} holds it; retry later`),
      ];
    }
    const current = tx ?? this.#newTx(txid, now);
    current.ops = n;
    current.lastActive = now;
    if (body.kind === "tx-write") {
      current.workspace.set(key, body.value ?? null);
      return [{ kind: "reply", request: env, body: { kind: "tx-done", txid } }];
    }
    const value = current.workspace.has(key) ? current.workspace.get(key) : this.#store.get(key);
    return [{ kind: "reply", request: env, body: { kind: "tx-value", key, value: value ?? null } }];
  }

  #clientAbort(env: Envelope, txid: string): Effect[] {
    const tx = this.#txs.get(txid);
    if (tx?.state === "prepared" || this.#outcomes.get(txid) === "commit") {
      return [{
        kind: "reply",
        request: env,
        body: {
          kind: "tx-refused",
          txid,
          reason: "prepared",
          detail: `Cannot abort ${txid}: it is prepared or committed; only its coordinator decides`,
        },
      }];
    }
    const effects = tx ? this.#abortHere(txid) : [];
    return [...effects, { kind: "reply", request: env, body: { kind: "tx-done", txid } }];
  }

  #prepare(coordinator: string, txid: string, ops: number, now: number): Effect[] {
    const vote = (yes: boolean, reason?: string): Effect => ({
      kind: "send",
      to: coordinator,
      body: { kind: "tx-vote", txid, vote: yes ? "yes" : "no", reason },
    });
    const outcome = this.#outcomes.get(txid);
    if (outcome !== undefined) return [vote(outcome === "commit", `already ${outcome}`)];
    const tx = this.#txs.get(txid);
    if (tx?.state === "prepared") return [vote(true)];
    if (tx === undefined || tx.ops !== ops) {
      const effects = tx ? this.#abortHere(txid) : [
        {
          kind: "persist",
          record: { kind: "append", record: this.#abortRecord(txid) },
        } as Effect,
      ];
      return [
        ...effects,
        vote(false, tx ? `saw ${tx.ops} of ${ops} operations` : "unknown transaction"),
      ];
    }
    tx.state = "prepared";
    tx.coordinator = coordinator;
    tx.preparedAt = now;
    tx.queryDelay = this.#queryMs;
    tx.nextQuery = now + this.#queryMs;
    return [
      {
        kind: "persist",
        record: {
          kind: "append",
          record: {
            type: "prepared",
            txid,
            coordinator,
            writes: [...tx.workspace],
            locks: this.#locks.heldBy(txid),
            at: now,
          },
        },
      },
      vote(true),
    ];
  }

  #decide(coordinator: string, txid: string, decision: Decision, now: number): Effect[] {
    const ack: Effect = { kind: "send", to: coordinator, body: { kind: "tx-ack", txid } };
    const tx = this.#txs.get(txid);
    if (tx === undefined) return [ack];
    if (tx.state === "active") {
      // A commit for a transaction this participant never prepared cannot come from a correct
      // coordinator; an abort (presumed after a crash) can.
      return decision === "abort" ? [...this.#abortHere(txid), ack] : [];
    }
    const blockedMs = now - tx.preparedAt;
    this.#blockedMs = Math.max(this.#blockedMs, blockedMs);
    const record: LogRecord = { type: "outcome", txid, decision, blockedMs };
    const keys = this.#lockList(txid);
    this.#forget(txid, decision);
    const effects: Effect[] = decision === "commit"
      ? [{ kind: "persist", record: { kind: "apply", writes: [...tx.workspace], record } }]
      : [{ kind: "persist", record: { kind: "append", record } }];
    if (blockedMs > 2 * this.#queryMs) {
      effects.push({
        kind: "log",
        text: `unblocked: ${txid} ${decision} after ${blockedMs.toFixed(0)} ms in doubt; ` +
          `locks ${keys} released`,
      });
    }
    effects.push(ack);
    return effects;
  }

  #abortHere(txid: string): Effect[] {
    this.#forget(txid, "abort");
    return [{ kind: "persist", record: { kind: "append", record: this.#abortRecord(txid) } }];
  }

  #abortRecord(txid: string): LogRecord {
    this.#outcomes.set(txid, "abort");
    return { type: "outcome", txid, decision: "abort", blockedMs: 0 };
  }

  #forget(txid: string, decision: Decision): void {
    this.#txs.delete(txid);
    this.#locks.releaseAll(txid);
    this.#outcomes.set(txid, decision);
  }

  #newTx(txid: string, now: number): ParticipantTx {
    const tx = newParticipantTx(txid, now, this.#queryMs);
    this.#txs.set(txid, tx);
    return tx;
  }

  #lockList(txid: string): string {
    const keys = this.#locks.heldBy(txid).map(([key, mode]: [string, LockMode]) =>
      `${key}:${mode}`
    );
    return keys.length === 0 ? "(none)" : keys.join(", ");
  }
}

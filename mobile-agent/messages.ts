/**
 * The messages of the mobile-agent architecture: a closed union keyed on `kind`.
 *
 * A hop is an ask/offer exchange: the sender offers the signed package without the source
 * (`agent-offer`); the receiver accepts at once when its cache holds the source's hash, or asks
 * for it (`agent-need-code`) and gets it in `agent-code`. The receiver tells the agent's home
 * registry where the agent is (`agent-arrived`) and frees the sender's copy when the agent has
 * moved on or finished (`agent-released`). The pull baseline uses `scan`/`rows`.
 * @module
 */
import type { AgentFailure, AgentPackage, Json } from "./agent_package.ts";

/** How an agent's journey ended. */
export type AgentStatus = "done" | "failed" | "lost" | "rejected" | "recalled" | "disposed";

/** What a node (or the dispatcher) tells the owner when an agent's journey ends. */
export interface AgentReport {
  /** The agent (or clone). */
  readonly id: string;
  /** How it ended. */
  readonly status: AgentStatus;
  /** Machine where it ended. */
  readonly node: string;
  /** Its result (`done(result)`, or its state when the itinerary ran out). */
  readonly result?: Json;
  /** Its last good state (nothing is lost when a visit fails); absent when it is the result. */
  readonly state?: Json;
  /** Machines visited, in order. */
  readonly route: readonly string[];
  /** Failures met on the way. */
  readonly failures: readonly AgentFailure[];
  /** Ids of the clones it made. */
  readonly children: readonly string[];
}

/** A row of a shard as sent by `scan`: values in column order. */
export type RowTuple = readonly (string | number | null)[];

/** Why a node refused an agent, when the sender should tell its owner more than `rejected`. */
export type RejectCode = "busy" | "hop-limit";

/** Every message of the architecture. */
export type AgentMessage =
  | {
    readonly kind: "agent-offer";
    readonly id: string;
    readonly hop: number;
    readonly pkg: AgentPackage;
    readonly sig?: string;
  }
  | {
    readonly kind: "agent-need-code";
    readonly id: string;
    readonly hop: number;
    readonly codeHash: string;
  }
  | {
    readonly kind: "agent-code";
    readonly id: string;
    readonly hop: number;
    /** Characters of source (shown in traces instead of the source). */
    readonly size: number;
    readonly source: { readonly code: string };
  }
  | {
    readonly kind: "agent-accepted";
    readonly id: string;
    readonly hop: number;
    readonly cached: boolean;
  }
  | {
    readonly kind: "agent-rejected";
    readonly id: string;
    readonly hop: number;
    readonly reason: string;
    readonly code?: RejectCode;
  }
  | {
    readonly kind: "agent-arrived";
    readonly id: string;
    readonly node: string;
    readonly hop: number;
  }
  | { readonly kind: "agent-released"; readonly id: string; readonly hop: number }
  | { readonly kind: "agent-status"; readonly id: string }
  | {
    readonly kind: "agent-status-reply";
    readonly id: string;
    readonly status: "running" | "gone" | "finished" | "unknown";
  }
  | { readonly kind: "agent-recall"; readonly id: string }
  | { readonly kind: "agent-dispose"; readonly id: string }
  | { readonly kind: "agent-locate"; readonly id: string }
  | {
    readonly kind: "agent-location";
    readonly id: string;
    readonly node: string | null;
    readonly hop: number;
  }
  | { readonly kind: "agent-report"; readonly id: string; readonly report: AgentReport }
  | { readonly kind: "scan"; readonly offset: number; readonly limit: number }
  | { readonly kind: "rows"; readonly rows: readonly RowTuple[]; readonly next: number | null };

/** The `kind` of every {@link AgentMessage}. */
export type AgentMessageKind = AgentMessage["kind"];

/** The message of kind `K`. */
export type MessageOf<K extends AgentMessageKind> = Extract<AgentMessage, { kind: K }>;

/**
 * Builds a message of kind `kind`, checked against the union at compile time.
 *
 * @example A typed message
 * ```ts
 * import assert from "node:assert/strict";
 * import { message } from "./messages.ts";
 * assert.deepEqual(message("agent-recall", { id: "owner.1" }), { kind: "agent-recall", id: "owner.1" });
 * ```
 */
export function message<K extends AgentMessageKind>(
  kind: K,
  fields: Omit<MessageOf<K>, "kind">,
): MessageOf<K> {
  return { kind, ...fields } as MessageOf<K>;
}

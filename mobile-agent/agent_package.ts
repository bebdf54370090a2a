/**
 * The agent package: what travels between nodes. An agent is ES module source (named by its
 * SHA-256, so a node that has seen it does not need it again), a JSON state, an itinerary and the
 * entry point it resumes at on arrival (weak mobility). The source itself travels apart from the
 * package, only to nodes that do not have it yet.
 * @module
 */
import { createHash } from "node:crypto";

/** The JSON values an agent's state and results are made of. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** How the stops of an itinerary are visited. */
export type ItineraryKind = "sequential" | "failover" | "parallel";

/**
 * Where an agent goes: `sequential` visits every stop in order and is lost when one is down;
 * `failover` skips a stop that is down and reports it; `parallel` sends one clone per stop and
 * merges their results.
 */
export interface Itinerary {
  /** How the stops are visited. */
  readonly kind: ItineraryKind;
  /** Machine names (`n1.lab`) still to visit, in order. */
  readonly stops: readonly string[];
}

/** The language of an agent's source. */
export type CodeLang = "js" | "ts";

/**
 * Why an agent's visit or journey failed: `output-too-large` when the sandbox child wrote a line
 * or a run longer than allowed, `hop-limit` when a node refused a hop past its limit, `busy` when
 * a node had no sandbox free nor room to wait for one.
 */
export type FailureReason =
  | "threw"
  | "timeout"
  | "oom"
  | "denied"
  | "crashed"
  | "protocol"
  | "output-too-large"
  | "rejected"
  | "hop-limit"
  | "busy"
  | "unreachable"
  | "lost"
  | "disposed";

/** One failure on an agent's journey, as reported to its owner. */
export interface AgentFailure {
  /** The agent (or clone) that failed. */
  readonly agent: string;
  /** The machine where it happened. */
  readonly node: string;
  /** What went wrong. */
  readonly reason: FailureReason;
  /** A sentence naming the problem. */
  readonly message: string;
  /** The agent's stack, when it threw. */
  readonly stack?: string;
  /** The capability denials met (also those the agent caught), when it was refused. */
  readonly denied?: readonly string[];
}

/** The signed part of an agent in transit. */
export interface AgentPackage {
  /** Format version. */
  readonly v: 1;
  /** The agent's id, unique per owner: `owner.1`, a clone `owner.1/2.0`. */
  readonly id: string;
  /** Address where reports go. */
  readonly owner: string;
  /** Address of the home registry that tracks where the agent is. */
  readonly home: string;
  /** SHA-256 (hex) of the module source. */
  readonly codeHash: string;
  /** Language of the source. */
  readonly lang: CodeLang;
  /** The exported function to call on arrival. */
  readonly entry: string;
  /** The agent's data, serialised on departure. */
  readonly state: Json;
  /** Stops left after the one the package is going to. */
  readonly itinerary: Itinerary;
  /** Machines visited so far, in order. */
  readonly route: readonly string[];
  /** Failures met so far (skipped stops). */
  readonly failures: readonly AgentFailure[];
  /** Number of hops made, the one in progress included. */
  readonly hop: number;
  /** Ids of the clones this agent made. */
  readonly children: readonly string[];
}

const HEX64 = /^[0-9a-f]{64}$/;
const ENTRY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const KINDS: readonly string[] = ["sequential", "failover", "parallel"];

/**
 * SHA-256 of an agent's source, as lowercase hex: the name it is cached under.
 *
 * @example Same source, same hash
 * ```ts
 * import assert from "node:assert/strict";
 * import { codeHash } from "./agent_package.ts";
 * assert.equal(codeHash("export const a = 1;"), codeHash("export const a = 1;"));
 * assert.match(codeHash(""), /^e3b0c442/);
 * ```
 */
export function codeHash(code: string): string {
  return createHash("sha256").update(code).digest("hex");
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((s) => typeof s === "string");
}

/**
 * Checks that `value` is a well-formed {@link AgentPackage}; returns the reason it is not, or
 * `undefined` when it is.
 *
 * @example A malformed package is named
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkPackage } from "./agent_package.ts";
 * assert.match(checkPackage({ v: 1, id: "a" }) ?? "", /owner/);
 * assert.match(checkPackage("nope") ?? "", /not an object/);
 * ```
 */
export function checkPackage(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "the package is not an object";
  }
  const p = value as Record<string, unknown>;
  if (p.v !== 1) return `version ${JSON.stringify(p.v)} is not 1`;
  for (const field of ["id", "owner", "home"] as const) {
    if (typeof p[field] !== "string" || p[field] === "") {
      return `field "${field}" must be a non-empty string`;
    }
  }
  if (typeof p.codeHash !== "string" || !HEX64.test(p.codeHash)) {
    return `codeHash ${JSON.stringify(p.codeHash)} is not 64 lowercase hex digits (SHA-256)`;
  }
  if (p.lang !== "js" && p.lang !== "ts") {
    return `lang ${JSON.stringify(p.lang)} is not "js" or "ts"`;
  }
  if (typeof p.entry !== "string" || !ENTRY.test(p.entry)) {
    return `entry ${JSON.stringify(p.entry)} is not an identifier`;
  }
  if (!("state" in p)) return 'field "state" is missing';
  const it = p.itinerary as Record<string, unknown> | null | undefined;
  if (typeof it !== "object" || it === null || !KINDS.includes(it.kind as string)) {
    return `itinerary ${JSON.stringify(it)} needs kind sequential, failover or parallel`;
  }
  if (!isStringArray(it.stops)) return "itinerary.stops must be an array of machine names";
  if (!isStringArray(p.route)) return "route must be an array of machine names";
  if (!Array.isArray(p.failures)) return "failures must be an array";
  if (!Number.isInteger(p.hop) || (p.hop as number) < 0) {
    return `hop ${p.hop} is not an integer >= 0`;
  }
  if (!isStringArray(p.children)) return "children must be an array of agent ids";
  return undefined;
}

/**
 * What agent code sees. An agent module exports entry points, `export async function
 * onArrival(ctx) {}`, and each gets an {@link AgentContext}: the visited node's data through
 * `query`, its own `state`, and the calls that decide where it goes next. Nothing else of the
 * node is reachable: in the sandbox the module runs in a child process with no permission.
 * This file builds that context; it is shared by the sandbox's child and the in-process runner.
 * @module
 */
import type { Itinerary, Json } from "./agent_package.ts";
import type { AgentQuery, Row } from "./query.ts";

/** The context passed to an agent's entry point. */
export interface AgentContext {
  /** The agent's id. */
  readonly id: string;
  /** The machine being visited (`n1.lab`). */
  readonly node: string;
  /** Hops made so far (1 on the first node). */
  readonly hop: number;
  /** Machines visited, this one included. */
  readonly route: readonly string[];
  /** Stops left after this one. */
  readonly itinerary: readonly string[];
  /** The agent's state: change it freely; it is serialised (as JSON) on departure. */
  state: Json;
  /** Reads this node's local data. */
  query(query: AgentQuery): Promise<Row[]>;
  /**
   * Leaves for `next` (default: the next stop of the itinerary) and resumes there at the
   * exported function `entry` (default `onArrival`) once this entry point returns.
   */
  go(next?: string, entry?: string): void;
  /**
   * Makes a copy of the agent with a copy of the current state that travels `itinerary`
   * (default: the stops left) and resumes at `entry` (default `onArrival`); the owner merges
   * its result with the others'. Returns the clone's id.
   */
  clone(itinerary?: readonly string[], entry?: string): string;
  /** Ends the journey with `result` (default: the state); the owner receives it. */
  done(result?: Json): void;
  /** Writes a line to the node's log. */
  log(...parts: unknown[]): void;
}

/** Where the agent goes after the visit; `done` without `result` means the state is the result. */
export type Departure =
  | { readonly kind: "next"; readonly entry: string }
  | { readonly kind: "go"; readonly to: string; readonly entry: string }
  | { readonly kind: "done"; readonly result?: Json };

/** A clone asked for during a visit. */
export interface CloneRequest {
  /** Its id. */
  readonly id: string;
  /** Its state, copied when `clone()` was called. */
  readonly state: Json;
  /** The stops it travels. */
  readonly stops: readonly string[];
  /** Where it resumes. */
  readonly entry: string;
}

/** The result of a visit that returned normally. */
export interface VisitEnd {
  /** The state to carry on. */
  readonly state: Json;
  /** Where the agent goes. */
  readonly departure: Departure;
  /** Clones to send. */
  readonly clones: readonly CloneRequest[];
}

/** What the agent is told about itself on arrival. */
export interface AgentView {
  /** Its id. */
  readonly id: string;
  /** The machine visited. */
  readonly node: string;
  /** Hops made. */
  readonly hop: number;
  /** Machines visited, this one included. */
  readonly route: readonly string[];
  /** The stops left. */
  readonly itinerary: Itinerary;
  /** The state it arrived with. */
  readonly state: Json;
}

/** Most clones one visit may ask for. */
export const MAX_CLONES = 64;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function copy(value: unknown, what: string): Json {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new TypeError(`Cannot serialise agent ${what}: ${(error as Error).message}`);
  }
  return text === undefined ? null : JSON.parse(text);
}

function entryName(entry: unknown, action: string): string {
  if (typeof entry !== "string" || !IDENT.test(entry)) {
    throw new TypeError(`Cannot ${action}: entry ${JSON.stringify(entry)} is not an identifier`);
  }
  return entry;
}

/** Where `go(next, entry)` sends the agent; throws on an empty itinerary or a bad name. */
function goDeparture(
  next: string | undefined,
  entry: unknown,
  stops: readonly string[],
): Departure {
  const name = entryName(entry, "go");
  const to = next ?? stops[0];
  if (typeof to !== "string" || to === "") {
    throw new TypeError(
      `Cannot go: ${
        next === undefined ? "the itinerary is empty" : `${JSON.stringify(next)} is not a machine`
      }; give a machine name like "n2.lab" or call done()`,
    );
  }
  return next === undefined ? { kind: "next", entry: name } : { kind: "go", to, entry: name };
}

/** The clone number `made` of this visit, travelling `stops` with a copy of `state`. */
function cloneRequest(
  view: AgentView,
  made: number,
  stops: readonly string[],
  at: { readonly state: Json; readonly entry: unknown },
): CloneRequest {
  const cloneStops = [...stops];
  if (cloneStops.length === 0 || !cloneStops.every((s) => typeof s === "string" && s)) {
    throw new TypeError(
      `Cannot clone: itinerary ${JSON.stringify(stops)} needs at least one machine`,
    );
  }
  if (made >= MAX_CLONES) {
    throw new RangeError(`Cannot clone: at most ${MAX_CLONES} clones per visit`);
  }
  return {
    id: `${view.id}/${view.hop}.${made}`,
    state: copy(at.state, "state"),
    stops: cloneStops,
    entry: entryName(at.entry, "clone"),
  };
}

/**
 * Builds the context of one visit; `finish()` returns what the visit decided once the entry
 * point has returned.
 *
 * @example A visit that moves on
 * ```ts
 * import assert from "node:assert/strict";
 * import { createAgentContext } from "./agent_context.ts";
 * const view = { id: "a", node: "n1.lab", hop: 1, route: ["n1.lab"], itinerary: { kind: "sequential", stops: ["n2.lab"] }, state: { n: 0 } } as const;
 * const { ctx, finish } = createAgentContext(view, { query: () => Promise.resolve([]) });
 * (ctx.state as { n: number }).n++;
 * ctx.go(undefined, "again");
 * assert.deepEqual(finish(), { state: { n: 1 }, departure: { kind: "next", entry: "again" }, clones: [] });
 * ```
 */
export function createAgentContext(
  view: AgentView,
  options: {
    /** Answers the agent's queries. */
    readonly query: (query: AgentQuery) => Promise<Row[]>;
    /** Receives the agent's log lines. @default dropped */
    readonly log?: (line: string) => void;
  },
): { ctx: AgentContext; finish(): VisitEnd } {
  const query = options.query;
  const log = options.log ?? (() => {});
  let departure: Departure = { kind: "next", entry: "onArrival" };
  let decided = "";
  const clones: CloneRequest[] = [];
  const stops = [...view.itinerary.stops];
  const ctx: AgentContext = {
    id: view.id,
    node: view.node,
    hop: view.hop,
    route: Object.freeze([...view.route]),
    itinerary: Object.freeze([...stops]),
    state: view.state,
    query: (q) => query(copy(q, "query") as AgentQuery),
    go(next?: string, entry = "onArrival") {
      if (decided) throw new Error(`Cannot go: ${decided}() was already called in this visit`);
      departure = goDeparture(next, entry, stops);
      decided = "go";
    },
    clone(itinerary?: readonly string[], entry = "onArrival") {
      const request = cloneRequest(view, clones.length, itinerary ?? stops, {
        state: ctx.state,
        entry,
      });
      clones.push(request);
      return request.id;
    },
    done(result?: Json) {
      if (decided) {
        throw new Error(`Cannot call done: ${decided}() was already called in this visit`);
      }
      decided = "done";
      departure = result === undefined
        ? { kind: "done" }
        : { kind: "done", result: copy(result, "result") };
    },
    log(...parts: unknown[]) {
      log(parts.map((p) => typeof p === "string" ? p : JSON.stringify(p)).join(" ").slice(0, 2000));
    },
  };
  return {
    ctx,
    finish(): VisitEnd {
      const state = copy(ctx.state, "state");
      return { state, departure, clones };
    },
  };
}

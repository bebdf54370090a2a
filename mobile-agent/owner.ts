/**
 * The owner of agents: it signs and dispatches them, waits for their reports, merges the results
 * of clones, and can locate, recall or dispose an agent through its home registry. It lives in
 * one process (its `ctx`); call its methods one at a time from that process.
 * @module
 */
import { TimeoutError } from "../core/errors.ts";
import { parseMachine } from "../core/name.ts";
import type { ProcessContext } from "../core/process.ts";
import {
  type AgentFailure,
  type AgentPackage,
  codeHash,
  type CodeLang,
  type Itinerary,
  type Json,
} from "./agent_package.ts";
import { carry, platformOf } from "./_carry.ts";
import type { AgentCode, Executor } from "./executor.ts";
import { agentHome } from "./home.ts";
import { InProcessExecutor } from "./in_process_executor.ts";
import { type AgentMessage, type AgentReport, type AgentStatus, message } from "./messages.ts";
import { SandboxExecutor } from "./sandbox.ts";

/** Options of {@link AgentOwner}. */
export interface OwnerOptions {
  /** Shared HMAC key to sign packages with. */
  readonly key: string;
  /** Address of the home registry. @default a registry spawned on the owner's machine */
  readonly home?: string;
  /** Runs `merge` for clones' results. @default sandbox on a real host, in-process in the simulator */
  readonly executor?: Executor;
  /** Ms to wait for each answer of a handoff. @default 2000 */
  readonly timeoutMs?: number;
  /** Ms to wait for the first node's release before pinging it. @default 6000 */
  readonly watchMs?: number;
  /** Ms to wait for a ping's answer. @default 1000 */
  readonly pingTimeoutMs?: number;
}

/** What to dispatch. */
export interface DispatchSpec {
  /** ES module source exporting the entry points. */
  readonly code: string;
  /** Its language. @default "js" */
  readonly lang?: CodeLang;
  /** The initial state. @default null */
  readonly state?: Json;
  /** Where it goes: an {@link Itinerary}, or machine names for a sequential one. */
  readonly itinerary: Itinerary | readonly string[];
  /** The entry point called on the first node. @default "onArrival" */
  readonly entry?: string;
}

/** Where an agent is. */
export interface AgentLocation {
  /** The machine it was last seen on, or `null` before its first arrival. */
  readonly node: string | null;
  /** The hop it was on. */
  readonly hop: number;
  /** How it ended, when it has. */
  readonly status?: AgentStatus;
}

/** How a dispatched agent (with its clones, if any) ended. */
export interface AgentOutcome {
  /** The id `dispatch` returned. */
  readonly id: string;
  /** `done` when every member finished; otherwise the first other status. */
  readonly status: AgentStatus;
  /** The result; with clones or a parallel itinerary, the merged results. */
  readonly result: Json | undefined;
  /** The first member's last good state: what a failed, lost or recalled agent brings back. */
  readonly state: Json | undefined;
  /** Machines visited by every member, in report order. */
  readonly route: readonly string[];
  /** Every failure met. */
  readonly failures: readonly AgentFailure[];
  /** One report per member (the agent, its parallel copies, its clones). */
  readonly reports: readonly AgentReport[];
}

interface Family {
  readonly code: AgentCode;
  readonly members: string[];
  readonly first: Map<string, string>;
}

/**
 * Dispatches agents and collects what they bring back.
 *
 * @example A parallel itinerary with merged results
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { agentNode, AGENT_PROCESS } from "./node.ts";
 * import { AgentOwner } from "./owner.ts";
 * import { preloadAgent } from "./in_process_executor.ts";
 * const code = "export function onArrival(ctx) { ctx.done(ctx.node); }\n" +
 *   "export function merge(results) { return results.join(' + '); }";
 * await preloadAgent(code);
 * const sim = new Simulator({ seed: 1 });
 * for (const m of ["n1.lab", "n2.lab"]) sim.machine(m).spawn(AGENT_PROCESS, agentNode({ key: "k" }));
 * let result: unknown;
 * sim.machine("ctl.lab").spawn("owner", async (ctx) => {
 *   const owner = new AgentOwner(ctx, { key: "k" });
 *   const id = owner.dispatch({ code, itinerary: { kind: "parallel", stops: ["n1.lab", "n2.lab"] } });
 *   result = (await owner.wait(id)).result;
 * });
 * await sim.run();
 * assert.equal(result, "n1.lab + n2.lab");
 * ```
 */
export class AgentOwner {
  readonly #ctx: ProcessContext;
  readonly #options: OwnerOptions;
  readonly #home: string;
  readonly #name: string;
  readonly #families = new Map<string, Family>();
  readonly #reports = new Map<string, AgentReport>();
  #executor: Executor | undefined;
  #count = 0;

  /** Creates an owner living in process `ctx`. */
  constructor(ctx: ProcessContext, options: OwnerOptions) {
    if (typeof options?.key !== "string" || options.key === "") {
      throw new TypeError(
        `Cannot create agent owner: key ${JSON.stringify(options?.key)} must be a non-empty string`,
      );
    }
    this.#ctx = ctx;
    this.#options = options;
    this.#name = ctx.self.slice(0, ctx.self.indexOf("@"));
    this.#home = options.home ?? ctx.spawn(`${this.#name}-home`, agentHome());
  }

  /** Address of the home registry. */
  get home(): string {
    return this.#home;
  }

  /**
   * Signs and sends an agent on its itinerary; returns its id at once. With a `parallel`
   * itinerary, one copy goes to each stop and their results are merged.
   */
  dispatch(spec: DispatchSpec): string {
    if (typeof spec?.code !== "string") {
      throw new TypeError(
        `Cannot dispatch agent: code must be module source text, got ${typeof spec?.code}`,
      );
    }
    const lang = spec.lang ?? "js";
    if (lang !== "js" && lang !== "ts") {
      throw new TypeError(`Cannot dispatch agent: lang "${lang}" is not "js" or "ts"`);
    }
    const itinerary: Itinerary = Array.isArray(spec.itinerary)
      ? { kind: "sequential", stops: [...spec.itinerary] }
      : spec.itinerary as Itinerary;
    if (
      !["sequential", "failover", "parallel"].includes(itinerary?.kind) ||
      !Array.isArray(itinerary.stops)
    ) {
      throw new TypeError(
        `Cannot dispatch agent: itinerary ${
          JSON.stringify(spec.itinerary)
        } needs kind sequential, failover or parallel and stops`,
      );
    }
    for (const stop of itinerary.stops) {
      try {
        parseMachine(stop);
      } catch (error) {
        throw new TypeError(
          `Cannot dispatch agent: stop ${JSON.stringify(stop)} is not a machine: ${
            (error as Error).message
          }`,
        );
      }
    }
    const entry = spec.entry ?? "onArrival";
    const text = JSON.stringify(spec.state ?? null);
    const state: Json = JSON.parse(text);
    const id = `${this.#name}.${++this.#count}`;
    const code: AgentCode = { code: spec.code, lang, codeHash: codeHash(spec.code) };
    const family: Family = { code, members: [], first: new Map() };
    this.#families.set(id, family);
    const members = itinerary.kind === "parallel"
      ? itinerary.stops.map((stop, i) => ({ id: `${id}/0.${i}`, stops: [stop] }))
      : [{ id, stops: itinerary.stops }];
    for (const member of members) {
      family.members.push(member.id);
      if (member.stops.length > 0) family.first.set(member.id, member.stops[0]);
      const pkg: AgentPackage = {
        v: 1,
        id: member.id,
        owner: this.#ctx.self,
        home: this.#home,
        codeHash: code.codeHash,
        lang,
        entry,
        state,
        itinerary: { kind: itinerary.kind, stops: member.stops },
        route: [],
        failures: [],
        hop: 0,
        children: [],
      };
      const watchMs = this.#options.watchMs ?? 6000;
      this.#ctx.spawn(
        `${this.#name}-d${this.#count}-${family.members.length}`,
        (dctx) =>
          carry(dctx, pkg, { entry }, {
            key: this.#options.key,
            source: code,
            timeoutMs: this.#options.timeoutMs ?? 2000,
            watchMs,
            pingTimeoutMs: this.#options.pingTimeoutMs ?? 1000,
          }),
      );
    }
    return id;
  }

  /** Waits until the agent and every clone it made have reported; merges their results. */
  async wait(id: string, options: { timeout?: number } = {}): Promise<AgentOutcome> {
    const family = this.#family(id, "wait for");
    const deadline = options.timeout === undefined ? Infinity : this.#ctx.now() + options.timeout;
    for (;;) {
      const ordered = this.#ordered(family);
      if (ordered !== undefined) return await this.#outcome(id, family, ordered);
      const left = deadline - this.#ctx.now();
      if (left <= 0) throw new TimeoutError(`wait for agent "${id}"`, options.timeout ?? 0);
      try {
        this.#take(await this.#ctx.receive<AgentMessage>({ kind: "agent-report", timeout: left }));
      } catch (error) {
        if (error instanceof TimeoutError) {
          throw new TimeoutError(`wait for agent "${id}"`, options.timeout ?? 0);
        }
        throw error;
      }
    }
  }

  /** Where the agent (or a member of its family) is now, as its home registry knows it. */
  async locate(id: string): Promise<AgentLocation> {
    const done = this.#reports.get(id);
    if (done !== undefined) return { node: done.node, hop: done.route.length, status: done.status };
    const reply = await this.#ctx.request<AgentMessage>(
      this.#home,
      message("agent-locate", { id }),
    );
    const body = reply.body;
    return body.kind === "agent-location"
      ? { node: body.node, hop: body.hop }
      : { node: null, hop: 0 };
  }

  /** Asks the agent (and its clones) to come back: each reports `recalled` with its state. */
  recall(id: string): Promise<void> {
    return this.#control(id, "agent-recall");
  }

  /** Stops the agent (and its clones) wherever it is: each reports `disposed`. */
  dispose(id: string): Promise<void> {
    return this.#control(id, "agent-dispose");
  }

  async #control(id: string, kind: "agent-recall" | "agent-dispose"): Promise<void> {
    const family = this.#family(id, kind === "agent-recall" ? "recall" : "dispose");
    const known = this.#known(family);
    for (const member of known) {
      if (this.#reports.has(member)) continue;
      const place = await this.locate(member);
      const node = place.node ?? family.first.get(member);
      if (node === undefined || place.status !== undefined) continue;
      await this.#ctx.send(platformOf(node), message(kind, { id: member }));
    }
  }

  #family(id: string, action: string): Family {
    const family = this.#families.get(id);
    if (family === undefined) {
      throw new TypeError(`Cannot ${action} agent "${id}": this owner did not dispatch it`);
    }
    return family;
  }

  #take(env: { body: AgentMessage }): void {
    const body = env.body;
    if (body.kind === "agent-report" && body.report && typeof body.report.id === "string") {
      this.#reports.set(body.report.id, body.report);
    }
  }

  #known(family: Family): string[] {
    const out: string[] = [];
    const queue = [...family.members];
    const seen = new Set<string>();
    for (let i = 0; i < queue.length && i < 100_000; i++) {
      const member = queue[i];
      if (seen.has(member)) continue;
      seen.add(member);
      out.push(member);
      const report = this.#reports.get(member);
      if (report) queue.push(...report.children);
    }
    return out;
  }

  #ordered(family: Family): AgentReport[] | undefined {
    const known = this.#known(family);
    const reports = known.map((member) => this.#reports.get(member));
    return reports.every((r) => r !== undefined) ? reports as AgentReport[] : undefined;
  }

  async #outcome(id: string, family: Family, reports: AgentReport[]): Promise<AgentOutcome> {
    const failures = reports.flatMap((r) => r.failures);
    const route = reports.flatMap((r) => r.route);
    let status: AgentStatus = reports.find((r) => r.status !== "done")?.status ?? "done";
    let result: Json | undefined;
    if (reports.length === 1) {
      result = reports[0].result;
    } else {
      const done = reports.filter((r) => r.status === "done").map((r) => r.result ?? null);
      this.#executor ??= this.#options.executor ??
        (this.#ctx.runtime === "sim" ? new InProcessExecutor() : new SandboxExecutor());
      const merged = await this.#executor.merge(family.code, done);
      if (merged.ok) {
        result = merged.result;
      } else {
        status = "failed";
        failures.push({
          agent: id,
          node: this.#ctx.machine,
          reason: merged.reason,
          message: `Cannot merge results: ${merged.message}`,
          ...(merged.stack ? { stack: merged.stack } : {}),
        });
      }
    }
    const state = reports[0]?.state ?? reports[0]?.result;
    return { id, status, result, state, route, failures, reports };
  }
}

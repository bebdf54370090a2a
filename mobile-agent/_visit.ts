/**
 * One visit of an agent at a node, as a process of its own (so the node keeps answering while
 * the agent runs): tell the home registry, run the entry point in the executor, then report,
 * send the clones, and carry the agent on. Recall and dispose requests recorded by the node are
 * honoured between those steps; a dispose also kills a running sandbox.
 * @module
 */
import { UnknownProcessError } from "../core/errors.ts";
import type { ProcessContext, ProcessFn } from "../core/process.ts";
import type { AgentPackage } from "./agent_package.ts";
import { MAX_CLONES, type VisitEnd } from "./agent_context.ts";
import { carry, type CarryOptions, platformOf, report } from "./_carry.ts";
import type { CachedCode } from "./code_cache.ts";
import type { Executor, QueryFn, VisitOutcome } from "./executor.ts";
import { type AgentMessage, message } from "./messages.ts";
import type { Slot } from "./_slots.ts";

/** What the node knows about an agent it hosts. */
export interface VisitRecord {
  /** The hop it arrived on. */
  readonly hop: number;
  /** Aborting kills the running visit. */
  readonly abort: AbortController;
  /** Running its entry point, or being handed to the next node. */
  phase: "running" | "leaving";
  /** What the owner asked for. */
  control?: "recall" | "dispose";
  /** Controls that came while it was leaving: sent on to the next node. */
  readonly forward: AgentMessage[];
}

/** Sandbox limits of a visit, and its virtual cost in the simulator. */
export interface VisitLimits {
  /** Time quantum of a visit in the sandbox, in ms. */
  readonly quantumMs: number;
  /** Sandbox heap cap, in MB. */
  readonly heapMb?: number;
  /** Memory a visit may use in all, in MB. */
  readonly memoryMb?: number;
  /** Virtual start-up cost of a sandbox in the simulator, in ms. */
  readonly startMs: number;
}

/** Everything a visit needs from its node. */
export interface VisitJob {
  /** The package as it arrived. */
  readonly pkg: AgentPackage;
  /** Who handed it over (and keeps a copy until released). */
  readonly custodian: string;
  /** The node's record of it. */
  readonly record: VisitRecord;
  /** Its place among the node's sandboxes: the visit runs once it is ready. */
  readonly slot: Slot;
  /** Its source. */
  readonly source: CachedCode;
  /** Runs the entry point. */
  readonly executor: Executor;
  /** The node's data. */
  readonly query: QueryFn;
  /** Sandbox limits, and the virtual cost of a visit in the simulator. */
  readonly limits: VisitLimits;
  /** Keys and timing of carrying it on. */
  readonly carry: Omit<CarryOptions, "source" | "release" | "onHandoff">;
  /** Starts a process on the node (a clone's carrier). */
  readonly spawn: (fn: ProcessFn) => void;
  /** The agent's journey ended here (or it could not go on). */
  readonly end: () => void;
  /** The agent was handed over to `dest`. */
  readonly left: (dest: string) => void;
}

async function execute(
  vctx: ProcessContext,
  job: VisitJob,
  arrived: AgentPackage,
): Promise<VisitOutcome> {
  const { pkg, limits } = job;
  try {
    return await job.executor.visit(
      {
        ...job.source,
        codeHash: pkg.codeHash,
        entry: pkg.entry,
        view: {
          id: pkg.id,
          node: vctx.machine,
          hop: pkg.hop,
          route: arrived.route,
          itinerary: pkg.itinerary,
          state: pkg.state,
        },
      },
      job.query,
      {
        quantumMs: limits.quantumMs,
        heapMb: limits.heapMb,
        memoryMb: limits.memoryMb,
        signal: job.record.abort.signal,
      },
    );
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: "crashed", message: `Cannot run the visit: ${text}`, logs: [] };
  }
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function isStops(value: unknown): value is string[] {
  return Array.isArray(value) && value.length > 0 && value.every((s) => typeof s === "string");
}

/**
 * Checks what a visit returned (a sandbox child could return anything); returns the problem.
 */
export function checkEnd(end: VisitEnd, pkg: AgentPackage): string | undefined {
  const d = end?.departure as Record<string, unknown> | undefined;
  if (typeof end !== "object" || end === null || d === undefined) return "no departure";
  if (d.kind === "go" && (typeof d.to !== "string" || !IDENT.test(String(d.entry)))) {
    return `bad go ${JSON.stringify(d).slice(0, 100)}`;
  }
  if (d.kind === "next" && !IDENT.test(String(d.entry))) {
    return `bad entry ${JSON.stringify(d.entry)}`;
  }
  if (d.kind !== "go" && d.kind !== "next" && d.kind !== "done") {
    return `bad departure ${JSON.stringify(d.kind)}`;
  }
  if (!Array.isArray(end.clones) || end.clones.length > MAX_CLONES) return "bad clone list";
  const prefix = `${pkg.id}/${pkg.hop}.`;
  for (const c of end.clones) {
    if (
      typeof c?.id !== "string" || !c.id.startsWith(prefix) || !isStops(c.stops) ||
      !IDENT.test(String(c.entry))
    ) {
      return `bad clone ${JSON.stringify(c).slice(0, 100)}`;
    }
  }
  return undefined;
}

/** Runs one visit and whatever follows it. */
export async function runVisit(vctx: ProcessContext, job: VisitJob): Promise<void> {
  const { pkg, record } = job;
  const tell = (to: string, body: AgentMessage) =>
    vctx.send(to, body).catch((error) => {
      // The process told is gone from its machine; anything else is a bug, and is not dropped.
      if (!(error instanceof UnknownProcessError)) throw error;
      vctx.log(`cannot tell ${to}: ${error}`);
    });
  const release = () =>
    void tell(job.custodian, message("agent-released", { id: pkg.id, hop: pkg.hop }));
  const arrived: AgentPackage = { ...pkg, route: [...pkg.route, vctx.machine] };
  const finish = async (
    status: "disposed" | "recalled" | "failed" | "done",
    state: AgentPackage,
    extra = {},
  ) => {
    job.end();
    await report(vctx, state, status, extra);
    release();
  };
  await tell(pkg.home, message("agent-arrived", { id: pkg.id, node: vctx.machine, hop: pkg.hop }));
  const { slot } = job;
  if (record.control === "dispose") {
    slot.release();
    return finish("disposed", arrived);
  }
  // Disposed while it waits for a sandbox: its place is given up at once.
  const giveUp = () => void (slot.running || slot.release());
  record.abort.signal.addEventListener("abort", giveUp);
  await slot.ready;
  record.abort.signal.removeEventListener("abort", giveUp);
  if ((record.control as VisitRecord["control"]) === "dispose" || !slot.running) {
    slot.release();
    return finish("disposed", arrived);
  }
  let outcome: VisitOutcome;
  try {
    if (vctx.runtime === "sim") await vctx.sleep(job.limits.startMs);
    outcome = await execute(vctx, job, arrived);
  } finally {
    slot.release();
  }
  outcome = checkedOutcome(outcome, pkg);
  for (const line of outcome.logs) vctx.log(`agent ${pkg.id}: ${line}`);
  const control = record.control as VisitRecord["control"];
  if (control === "dispose" || (!outcome.ok && outcome.reason === "disposed")) {
    return finish("disposed", arrived);
  }
  if (!outcome.ok) {
    vctx.log(`agent ${pkg.id} failed: ${outcome.reason}: ${outcome.message}`);
    return finish("failed", arrived, { failure: failureOf(outcome, pkg, vctx.machine) });
  }
  const { state, departure, clones } = outcome.end;
  const next: AgentPackage = {
    ...arrived,
    state,
    children: [...arrived.children, ...clones.map((c) => c.id)],
  };
  if (control === "recall") return finish("recalled", next);
  const source = job.source;
  spawnClones(job, next, clones);
  if (departure.kind === "done") {
    return finish("done", next, { result: departure.result ?? next.state });
  }
  record.phase = "leaving";
  let handed = false;
  await carry(vctx, next, departure.kind === "go" ? departure : { entry: departure.entry }, {
    ...job.carry,
    source,
    release,
    onHandoff: (dest) => {
      handed = true;
      job.left(dest);
      for (const control of record.forward) void tell(platformOf(dest), control);
    },
  });
  if (!handed) job.end();
}

/** `outcome`, or a protocol failure when what the visit returned is malformed. */
function checkedOutcome(outcome: VisitOutcome, pkg: AgentPackage): VisitOutcome {
  const problem = outcome.ok ? checkEnd(outcome.end, pkg) : undefined;
  if (problem === undefined) return outcome;
  return {
    ok: false,
    reason: "protocol",
    message: `Cannot use the visit's result: ${problem}`,
    logs: outcome.logs,
  };
}

/** What the owner is told of a failed visit. */
function failureOf(
  outcome: Extract<VisitOutcome, { ok: false }>,
  pkg: AgentPackage,
  machine: string,
) {
  const { reason, message: text, stack, denied } = outcome;
  return {
    agent: pkg.id,
    node: machine,
    reason,
    message: text,
    ...(stack ? { stack } : {}),
    ...(denied ? { denied } : {}),
  };
}

/** Sends each clone the visit made on its own way, a copy of `next` with the clone's state. */
function spawnClones(job: VisitJob, next: AgentPackage, clones: VisitEnd["clones"]): void {
  const source = job.source;
  for (const clone of clones) {
    const kind = next.itinerary.kind === "failover" ? "failover" : "sequential";
    const copy: AgentPackage = {
      ...next,
      id: clone.id,
      state: clone.state,
      itinerary: { kind, stops: clone.stops },
      failures: [],
      children: [],
    };
    job.spawn((cctx) => carry(cctx, copy, { entry: clone.entry }, { ...job.carry, source }));
  }
}

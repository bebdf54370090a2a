/**
 * Carrying an agent to its next stop, shared by nodes and the owner's dispatcher.
 *
 * A hop is ask/offer: the signed package goes without the source; the receiver asks for the
 * source only when its cache lacks the hash. The sender keeps a copy (custody) until the
 * receiver says the agent moved on or finished (`agent-released`); when the receiver stops
 * answering, the agent is lost there: a failover itinerary goes on from the copy (skipping that
 * node), any other reports the loss to the owner with the last good state.
 * @module
 */
import { TimeoutError, UnknownProcessError } from "../core/errors.ts";
import { parseMachine } from "../core/name.ts";
import type { ProcessContext } from "../core/process.ts";
import type { AgentFailure, AgentPackage, CodeLang, Json } from "./agent_package.ts";
import {
  type AgentMessage,
  type AgentReport,
  type AgentStatus,
  message,
  type RejectCode,
} from "./messages.ts";
import { signPackage } from "./signature.ts";

/** The name of the agent platform's process on every data node. */
export const AGENT_PROCESS = "agents";

/** Address of the agent platform on machine `node`. */
export function platformOf(node: string): string {
  return `${AGENT_PROCESS}@${node}`;
}

/** Timing and keys of carrying. */
export interface CarryOptions {
  /** Shared HMAC key. */
  readonly key: string;
  /** Source of a hash, when the receiver asks for it. */
  readonly source: { readonly code: string; readonly lang: CodeLang };
  /** Ms to wait for each answer of a handoff. */
  readonly timeoutMs: number;
  /** Ms to wait for a release before asking the next node how the agent is doing. */
  readonly watchMs: number;
  /** Ms to wait for that answer before declaring the node down. */
  readonly pingTimeoutMs: number;
  /** Called once when the agent is off our hands (handed over, finished or reported). */
  readonly release?: () => void;
  /** Called when the agent is accepted by `node`. */
  readonly onHandoff?: (node: string) => void;
}

type Handoff =
  | { readonly ok: true; readonly cached: boolean }
  | {
    readonly ok: false;
    readonly why: "unreachable" | "rejected";
    readonly reason: string;
    readonly code?: RejectCode;
  };

function isNetworkFailure(error: unknown): boolean {
  return error instanceof TimeoutError || error instanceof UnknownProcessError;
}

/** Offers `pkg` to `node`, sending the source only if asked. */
async function handoff(
  ctx: ProcessContext,
  node: string,
  pkg: AgentPackage,
  options: CarryOptions,
): Promise<Handoff> {
  try {
    parseMachine(node);
  } catch (error) {
    return { ok: false, why: "unreachable", reason: (error as Error).message };
  }
  const to = platformOf(node);
  const sig = signPackage(pkg, options.key);
  try {
    const offer = message("agent-offer", { id: pkg.id, hop: pkg.hop, pkg, sig });
    let reply = (await ctx.request<AgentMessage>(to, offer, { timeout: options.timeoutMs })).body;
    if (reply.kind === "agent-need-code") {
      const { code: text } = options.source;
      const code = message("agent-code", {
        id: pkg.id,
        hop: pkg.hop,
        size: text.length,
        source: { code: text },
      });
      reply = (await ctx.request<AgentMessage>(to, code, { timeout: options.timeoutMs })).body;
    }
    if (reply.kind === "agent-accepted") return { ok: true, cached: reply.cached };
    if (reply.kind === "agent-rejected") {
      const code = reply.code === "busy" || reply.code === "hop-limit" ? reply.code : undefined;
      return { ok: false, why: "rejected", reason: reply.reason, code };
    }
    return {
      ok: false,
      why: "rejected",
      reason: `unexpected answer ${JSON.stringify(reply.kind)}`,
    };
  } catch (error) {
    if (!isNetworkFailure(error)) throw error;
    return { ok: false, why: "unreachable", reason: (error as Error).message };
  }
}

/** Waits until `node` releases the agent; `"lost"` when the node stops answering. */
async function watch(
  ctx: ProcessContext,
  node: string,
  id: string,
  options: CarryOptions,
): Promise<"released" | "lost"> {
  const suffix = `@${node}`;
  for (let round = 0; round < 1_000_000; round++) {
    try {
      const env = await ctx.receive<AgentMessage>({
        kind: "agent-released",
        timeout: options.watchMs,
      });
      if (env.from.endsWith(suffix) && env.body.kind === "agent-released" && env.body.id === id) {
        return "released";
      }
      continue;
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
    }
    try {
      const reply = await ctx.request<AgentMessage>(
        platformOf(node),
        message("agent-status", { id }),
        { timeout: options.pingTimeoutMs },
      );
      const status = reply.body.kind === "agent-status-reply" ? reply.body.status : "unknown";
      if (status === "unknown") return "lost";
      if (status !== "running") return "released";
    } catch (error) {
      if (!isNetworkFailure(error)) throw error;
      return "lost";
    }
  }
  return "lost";
}

/**
 * Sends the owner a report of how `pkg`'s journey ended.
 */
export function report(
  ctx: ProcessContext,
  pkg: AgentPackage,
  status: AgentStatus,
  extra: { result?: Json; failure?: AgentFailure } = {},
): Promise<void> {
  const body: AgentReport = {
    id: pkg.id,
    status,
    node: ctx.machine,
    ...(extra.result === undefined ? {} : { result: extra.result }),
    // The result is often the state itself: send it once.
    ...(extra.result === pkg.state ? {} : { state: pkg.state }),
    route: pkg.route,
    failures: extra.failure ? [...pkg.failures, extra.failure] : pkg.failures,
    children: pkg.children,
  };
  return ctx.send(pkg.owner, message("agent-report", { id: pkg.id, report: body })).catch(
    (error) => {
      // The owner's process is gone from its machine: nobody is left to hear the report.
      if (!(error instanceof UnknownProcessError)) throw error;
      ctx.log(`cannot report agent ${pkg.id} to ${pkg.owner}: ${error}`);
    },
  );
}

/**
 * Carries `pkg` (its state as it should continue) to its next stop, or to `to`, resuming at
 * `entry`; reports the end of the journey when there is no stop left or it cannot go on.
 */
export async function carry(
  ctx: ProcessContext,
  pkg: AgentPackage,
  target: { readonly to?: string; readonly entry: string },
  options: CarryOptions,
): Promise<void> {
  let released = false;
  const release = () => {
    if (!released) {
      released = true;
      options.release?.();
    }
  };
  let current = pkg;
  let explicit = target.to;
  for (let attempt = 0; attempt <= pkg.itinerary.stops.length + 1; attempt++) {
    const stops = current.itinerary.stops;
    if (explicit === undefined && stops.length === 0) {
      await report(ctx, current, "done", { result: current.state });
      release();
      return;
    }
    const dest = explicit ?? stops[0];
    const rest = explicit === undefined ? stops.slice(1) : stops;
    const sending: AgentPackage = {
      ...current,
      entry: target.entry,
      itinerary: { kind: current.itinerary.kind, stops: rest },
      hop: current.hop + 1,
    };
    const result = await handoff(ctx, dest, sending, options);
    let failure: AgentFailure;
    if (result.ok) {
      options.onHandoff?.(dest);
      release();
      if (await watch(ctx, dest, current.id, options) === "released") return;
      failure = {
        agent: current.id,
        node: dest,
        reason: "lost",
        message: `Node ${dest} went down while the agent was there; its work there is lost`,
      };
    } else if (result.why === "rejected") {
      await report(ctx, current, "rejected", {
        failure: {
          agent: current.id,
          node: dest,
          reason: result.code ?? "rejected",
          message: result.reason,
        },
      });
      release();
      return;
    } else {
      failure = {
        agent: current.id,
        node: dest,
        reason: "unreachable",
        message: `Cannot reach ${dest}: ${result.reason}`,
      };
    }
    if (current.itinerary.kind !== "failover") {
      await report(ctx, current, "lost", { failure });
      release();
      return;
    }
    current = {
      ...current,
      itinerary: { kind: "failover", stops: rest },
      failures: [...current.failures, failure],
    };
    explicit = undefined;
  }
  await report(ctx, current, "lost");
  release();
}

/**
 * What a sandbox child produced, and how its end is told to the owner: the classification of
 * exits (a refused permission, the quantum, the heap cap, a crash, garbled output).
 * @module
 */
import type { Json } from "./agent_package.ts";
import type { VisitEnd } from "./agent_context.ts";
import type { ExecFailure } from "./executor.ts";

/** The last line of a child: its result or its failure. */
export type Final =
  | { t: "end"; end: VisitEnd }
  | { t: "merged"; result: Json; merged: boolean }
  | { t: "fail"; reason: "threw" | "denied"; message: string; stack?: string };

/** Everything a child produced. */
export interface ChildResult {
  final?: Final;
  denied: string[];
  logs: string[];
  killed?: "timeout" | "disposed" | "protocol";
  protocolError?: string;
  status: Deno.CommandStatus;
  stderr: string;
}

/** A failure of the protocol between node and child. */
export function protocolFailure(result: ChildResult, message: string): ExecFailure {
  return {
    ok: false,
    reason: "protocol",
    message: `Cannot finish run: ${message}`,
    logs: result.logs,
  };
}

/**
 * Classifies how a child ended: `undefined` when it delivered its result, otherwise the failure
 * (denied, disposed, timeout, protocol, threw, oom, crashed) with a sentence for the owner.
 */
export function childFailure(
  result: ChildResult,
  limits: { readonly quantumMs: number; readonly heapMb: number },
): ExecFailure | undefined {
  const logs = result.logs;
  const quantum = limits.quantumMs;
  const heap = limits.heapMb;
  if (result.denied.length > 0) {
    return {
      ok: false,
      reason: "denied",
      message: `Agent refused: it tried what the sandbox does not allow: ${
        result.denied.join("; ")
      }`,
      logs,
    };
  }
  if (result.killed === "disposed") {
    return {
      ok: false,
      reason: "disposed",
      message: "Agent disposed by its owner during the visit",
      logs,
    };
  }
  if (result.killed === "timeout") {
    return {
      ok: false,
      reason: "timeout",
      message:
        `Agent killed: it ran past its quantum of ${quantum} ms (SIGKILL); the node is unaffected`,
      logs,
    };
  }
  if (result.killed === "protocol") {
    return protocolFailure(result, result.protocolError ?? "bad output");
  }
  if (result.final?.t === "fail") {
    const { reason, message, stack } = result.final;
    return { ok: false, reason: reason === "denied" ? "denied" : "threw", message, stack, logs };
  }
  // The last line came: the child's exit (by itself, or killed after it) does not matter.
  if (result.final !== undefined) return undefined;
  const { code, signal } = result.status;
  const tail = result.stderr.trim().split("\n").slice(-3).join(" | ").slice(0, 500);
  if (/out of memory|heap limit|allocation failed/i.test(result.stderr)) {
    return {
      ok: false,
      reason: "oom",
      message: `Agent killed: it ran out of its ${heap} MB heap (exit ${
        signal ?? code
      }); the node is unaffected`,
      logs,
    };
  }
  if (signal === "SIGKILL" || signal === "SIGXCPU") {
    return {
      ok: false,
      reason: "timeout",
      message: `Agent killed: it ran past its CPU limit (${signal}); the node is unaffected`,
      logs,
    };
  }
  return {
    ok: false,
    reason: "crashed",
    message: `Agent's sandbox exited with ${
      signal ? `signal ${signal}` : `code ${code}`
    } before finishing${tail ? `: ${tail}` : ""}`,
    logs,
  };
}

/**
 * What a sandbox child produced, and how its end is told to the owner: the classification of
 * exits (a refused permission, the quantum, the memory limit, too much output, a crash, garbled
 * output).
 * @module
 */
import type { Json } from "./agent_package.ts";
import type { VisitEnd } from "./agent_context.ts";
import type { ExecFailure } from "./executor.ts";

/** The last line of a child: its result or its failure. */
export type Final =
  | { t: "end"; end: VisitEnd }
  | { t: "merged"; result: Json; merged: boolean }
  | { t: "fail"; reason: "threw" | "denied" | "oom"; message: string; stack?: string };

/** Everything a child produced. */
export interface ChildResult {
  /** Its last line. */
  final?: Final;
  /** The capability denials it met, caught or not (the first 20). */
  denied: string[];
  /** Its log lines (the first 100). */
  logs: string[];
  /** Why the node killed it, if it did. */
  killed?: "timeout" | "disposed" | "protocol" | "output";
  /** What was wrong with its lines. */
  protocolError?: string;
  /** How it wrote too much. */
  outputError?: string;
  /** Why it could not be sent everything (it had gone). */
  inputError?: string;
  /** KB it held beyond an idle child when its quantum ended. */
  memoryKb?: number;
  /** Why that is not known. */
  memoryNote?: string;
  /** Whether its stderr says it ran out of memory. */
  outOfMemory?: boolean;
  /** How it exited. */
  status: Deno.CommandStatus;
  /** The end of its stderr. */
  stderr: string;
}

/** The limits a child ran under, as the failure sentences name them. */
export interface ChildLimitsInfo {
  /** Its quantum in ms. */
  readonly quantumMs: number;
  /** Its V8 heap cap in MB. */
  readonly heapMb: number;
  /** Its memory budget in MB beyond an idle child, when the kernel enforced one. */
  readonly memoryMb?: number;
}

/** A timeout is told as out-of-memory when the agent held this share of its budget. */
const NEAR_LIMIT = 0.9;

/** A failure of the protocol between node and child. */
export function protocolFailure(result: ChildResult, message: string): ExecFailure {
  const input = result.inputError ? ` (its input failed: ${result.inputError})` : "";
  return {
    ok: false,
    reason: "protocol",
    message: `Cannot finish run: ${message}${input}`,
    logs: result.logs,
  };
}

function memoryText(limits: ChildLimitsInfo): string {
  return limits.memoryMb === undefined
    ? `its ${limits.heapMb} MB heap`
    : `its memory (${limits.heapMb} MB heap, ${limits.memoryMb} MB in all)`;
}

/**
 * Classifies how a child ended: `undefined` when it delivered its result, otherwise the failure
 * (denied, disposed, output-too-large, timeout, oom, protocol, threw, crashed) with a sentence
 * for the owner.
 */
export function childFailure(
  result: ChildResult,
  limits: ChildLimitsInfo,
): ExecFailure | undefined {
  const logs = result.logs;
  const fail = (reason: ExecFailure["reason"], message: string): ExecFailure => ({
    ok: false,
    reason,
    message,
    logs,
  });
  if (result.denied.length > 0) {
    return {
      ...fail(
        "denied",
        `Agent refused: it tried what the sandbox does not allow: ${result.denied.join("; ")}`,
      ),
      denied: [...result.denied],
    };
  }
  if (result.killed === "disposed") {
    return fail("disposed", "Agent disposed by its owner during the visit");
  }
  if (result.killed === "output") {
    return fail("output-too-large", `Agent killed: ${result.outputError}; the node is unaffected`);
  }
  if (result.killed === "timeout") {
    const held = result.memoryKb ?? 0;
    if (limits.memoryMb !== undefined && held >= NEAR_LIMIT * limits.memoryMb * 1024) {
      return fail(
        "oom",
        `Agent killed: it had run out of ${memoryText(limits)} (it held ${
          Math.round(held / 1024)
        } MB) when its quantum of ${limits.quantumMs} ms ran out (SIGKILL); the node is unaffected`,
      );
    }
    const note = result.memoryNote ? ` (${result.memoryNote})` : "";
    return fail(
      "timeout",
      `Agent killed: it ran past its quantum of ${limits.quantumMs} ms (SIGKILL); the node is unaffected${note}`,
    );
  }
  if (result.killed === "protocol") {
    return protocolFailure(result, result.protocolError ?? "bad output");
  }
  if (result.final?.t === "fail") {
    const { reason, message, stack } = result.final;
    if (reason === "oom") {
      return { ...fail("oom", `Agent ran out of ${memoryText(limits)}: ${message}`), stack };
    }
    return { ...fail(reason === "denied" ? "denied" : "threw", message), stack };
  }
  // The last line came: the child's exit (by itself, or killed after it) does not matter.
  if (result.final !== undefined) return undefined;
  const { code, signal } = result.status;
  const exit = signal ?? code;
  if (result.outOfMemory) {
    return fail(
      "oom",
      `Agent killed: it ran out of ${memoryText(limits)} (exit ${exit}); the node is unaffected`,
    );
  }
  if (signal === "SIGKILL" || signal === "SIGXCPU") {
    return fail(
      "timeout",
      `Agent killed: it ran past its CPU limit (${signal}); the node is unaffected`,
    );
  }
  const tail = result.stderr.trim().split("\n").slice(-3).join(" | ").slice(0, 500);
  return fail(
    "crashed",
    `Agent's sandbox exited with ${signal ? `signal ${signal}` : `code ${code}`} before finishing${
      tail ? `: ${tail}` : ""
    }`,
  );
}

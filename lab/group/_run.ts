/**
 * One run of the group architecture without printing: deploy the membership service and the
 * members, collect their reports, and judge the trace with the view and order checkers. Shared
 * by `lab group` and its fault campaign (`group_campaign.ts`).
 * @module
 */
import type { GroupMemberReport } from "../../groups/member_program.ts";
import type { GroupOrder } from "../../groups/types.ts";
import { checkGroupRun, type GroupRunReport } from "../../groups/view_checker.ts";
import { machineOf } from "../../core/name.ts";
import type { OrderReport } from "../../groups/order_checker.ts";
import type { ProcessContext } from "../../core/process.ts";
import type { TraceEvent } from "../../core/trace.ts";
import { type CommonOptions, percentile, type Summary } from "../_common.ts";
import { CONTROL_MACHINE, type MachineSpec } from "../deploy/deploy.ts";
import { runWorkload } from "../deploy/run_workload.ts";
import { delayedArgs } from "../_delay_timeouts.ts";
import { crashesForGood } from "../_fault_flags.ts";

/** What one group run is: the command's own flags and the common ones, parsed. */
export interface GroupRunOptions {
  /** Delivery order. */
  readonly order: GroupOrder;
  /** Members p1@m1.lab ... pN@mN.lab. */
  readonly members: number;
  /** Messages each member multicasts. */
  readonly messages: number;
  /** Largest random pause between one member's multicasts, in ms. */
  readonly spacing: number;
  /** A closed group. */
  readonly closed: boolean;
  /** The common flags (transport, seed, faults). */
  readonly common: CommonOptions;
}

/** What a group run found. */
export interface GroupRunResult {
  /** The `--json` summary. */
  readonly summary: Summary;
  /** Members' reports, sorted by member (a restarted member may report twice). */
  readonly reports: GroupMemberReport[];
  /** The view and order checks of the whole trace (every incarnation, every delivery). */
  readonly check: GroupRunReport;
  /** Order promises of the chosen order that were broken. */
  readonly broken: (keyof OrderReport)[];
  /** Every promise that did not hold, one sentence each; empty when the run kept them all. */
  readonly problems: string[];
  /** Why the run ended early, if it did. */
  readonly unfinished: string[];
  /** Network counters. */
  readonly stats: { frames: number; acks: number };
  /** Wall-clock ms. */
  readonly wallMs: number;
  /** The user pressed Ctrl-C. */
  readonly interrupted: boolean;
}

/**
 * What each order promises, as the violation counts that must be 0.
 *
 * @example Total order promises FIFO too
 * ```ts
 * import assert from "node:assert/strict";
 * import { PROMISES } from "./_run.ts";
 * assert.deepEqual(PROMISES.total, ["fifo", "total"]);
 * ```
 */
export const PROMISES: Readonly<Record<GroupOrder, readonly (keyof OrderReport)[]>> = {
  none: [],
  fifo: ["fifo"],
  causal: ["fifo", "causal"],
  total: ["fifo", "total"],
};

/**
 * Ms a membership service that the run restarts (`--crash g0.lab@A..B`) listens, after each
 * start, for the groups it lost before it creates any from a join (see `recoverFor`). A run
 * that does not restart it starts without this wait.
 *
 * @example Longer than the endpoints' heartbeat period
 * ```ts
 * import assert from "node:assert/strict";
 * import { RECOVER_FOR } from "./_run.ts";
 * assert.ok(RECOVER_FOR > 50, "longer than the endpoints' heartbeat period");
 * ```
 */
export const RECOVER_FOR = 200;

function machines(options: GroupRunOptions, collector: string): MachineSpec[] {
  const restarts = options.common.crashes.some((c) =>
    c.machine === "g0.lab" && c.restartAt !== undefined
  );
  const list: MachineSpec[] = [
    {
      name: "g0.lab",
      processes: [{
        name: "groups",
        program: "group-manager",
        args: {
          ...(restarts ? { recoverFor: RECOVER_FOR } : {}),
          ...delayedArgs(options.common.latency, { suspectAfter: 1000, flushTimeout: 1000 }),
        },
      }],
    },
  ];
  for (let i = 1; i <= options.members; i++) {
    list.push({
      name: `m${i}.lab`,
      processes: [{
        name: `p${i}`,
        program: "group-member",
        args: {
          group: "lab",
          order: options.order,
          closed: options.closed,
          members: options.members,
          messages: options.messages,
          spacing: options.spacing,
          collector,
          ...delayedArgs(options.common.latency, { quiet: 3000, managerTimeout: 2000 }),
          // Joins take one view change each (flush request, reports, new view: 3 trips).
          ...delayedArgs(
            options.common.latency,
            { joinTimeout: 3000, serviceTimeout: 5000 },
            3 * options.members,
          ),
        },
      }],
    });
  }
  return list;
}

function problemsOf(
  check: GroupRunReport,
  broken: readonly (keyof OrderReport)[],
  unfinished: readonly string[],
): string[] {
  const problems: string[] = [];
  for (const k of broken) problems.push(`${check.order[k]} ${k}-order violations`);
  if (check.partial > 0) {
    problems.push(
      `${check.partial} messages delivered in a view by some members and not by others that ` +
        "moved on to the next view with them",
    );
  }
  if (check.order.duplicates > 0) problems.push(`${check.order.duplicates} duplicate deliveries`);
  if (check.disagreements > 0) {
    problems.push(`${check.disagreements} views installed with different memberships`);
  }
  if (check.unlisted > 0) problems.push(`${check.unlisted} views installed by a non-member`);
  if (check.stranded.length > 0) {
    problems.push(
      `members left behind in an old view: ${
        check.stranded.map((k) => `${k} (view ${check.final[k]})`).join(", ")
      }; the latest view is ${check.last}`,
    );
  }
  if (check.reincarnations > 0) {
    problems.push(
      `${check.reincarnations} restarted members did not come back as a new incarnation in a later view`,
    );
  }
  problems.push(...unfinished);
  return problems;
}

/** What the lab tells the collector when a machine's OS process died for good. */
type LostNote = { readonly kind: "machine-lost"; readonly machine: string };

/**
 * Gathers into `got` the first report of every `expected` member (a restarted member may report
 * once more, or report first), until each reported or its machine was lost for good.
 */
async function collectReports(
  ctx: ProcessContext,
  expected: readonly string[],
  got: GroupMemberReport[],
): Promise<void> {
  const waiting = new Set(expected);
  while (waiting.size > 0) {
    const body = (await ctx.receive<GroupMemberReport | LostNote>()).body;
    if (body.kind === "machine-lost") {
      // Its OS process died (`kill -9`) and nothing restarts it: no report will come.
      for (const member of waiting) {
        if (member.endsWith(`@${body.machine}`)) waiting.delete(member);
      }
    } else if (body.kind === "report") {
      got.push(body);
      waiting.delete(body.member);
    }
  }
}

/** Messages between machines, the lab's collector aside. */
function machineSends(events: Iterable<TraceEvent>): number {
  let sends = 0;
  for (const e of events) {
    if (e.ev !== "send" || e.from === undefined || e.to === undefined) continue;
    const to = machineOf(e.to);
    if (to !== CONTROL_MACHINE && machineOf(e.from) !== to) sends++;
  }
  return sends;
}

/**
 * Runs N members in one group and judges the run; prints nothing.
 *
 * @example A member restarts in a FIFO group: it comes back as a new incarnation
 * ```ts
 * import assert from "node:assert/strict";
 * import { groupRun } from "./_run.ts";
 * import { parseGroupArgs } from "./command.ts";
 * const run = await groupRun(parseGroupArgs(["--sim", "-q", "--order", "fifo", "--crash", "m2.lab@20..60"])!);
 * assert.deepEqual(run.problems, []);
 * assert.equal(run.check.members, 5);
 * ```
 */
export async function groupRun(options: GroupRunOptions): Promise<GroupRunResult> {
  const { common, order } = options;
  const collector = `collector@${CONTROL_MACHINE}`;
  const specs = machines(options, collector);
  const gone = new Set(crashesForGood(common.crashes).map((c) => c.machine));
  const expected = specs.slice(1).filter((m) => !gone.has(m.name))
    .map((m) => `${m.processes[0].name}@${m.name}`);
  // Every member's first report (a restarted member may report once more, or report first).
  const got: GroupMemberReport[] = [];
  const outcome = await runWorkload<GroupMemberReport, void>(specs, common, 0, {
    finish: (ctx: ProcessContext) => collectReports(ctx, expected, got),
  });
  const reports = got.toSorted((a, b) => a.member < b.member ? -1 : a.member > b.member ? 1 : 0);
  const trace = outcome.trace;
  // On real sockets the run stops while members may still be leaving: no settled view then.
  const check = checkGroupRun(trace.events, "lab", { settled: outcome.transport === "sim" });
  const sends = machineSends(trace.events);
  const latencies = reports.flatMap((r) => r.deliveries.map((d) => d.latency));
  const broken = PROMISES[order].filter((k) => (check.order[k] as number) > 0);
  const unfinished: string[] = outcome.unfinished === undefined ? [] : [outcome.unfinished];
  const reported = new Set(reports.map((r) => r.member));
  for (const member of expected) {
    if (!reported.has(member)) unfinished.push(`${member}: no report`);
  }
  const full = reports.filter((r) => r.ended === undefined);
  const summary: Summary = {
    architecture: "group",
    transport: outcome.transport,
    seed: common.seed,
    requests: reports.reduce((n, r) => n + r.multicasts, 0),
    messages: sends,
    bytes: outcome.stats.bytes,
    latency: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    retransmissions: trace.count("retransmit"),
    errors: reports.length - full.length + Math.max(0, expected.length - reported.size),
    traceDigest: trace.digest(),
    order,
    violations: { fifo: check.order.fifo, causal: check.order.causal, total: check.order.total },
    members: options.members,
    deliveries: check.order.deliveries,
    partial: check.partial,
    duplicates: check.order.duplicates,
    frames: outcome.stats.frames,
    acks: outcome.stats.acks,
    unfinished,
    views: check.last,
    incarnations: check.members,
    excluded: check.excluded,
    stranded: check.stranded,
    uniformTotal: check.uniformTotal,
  };
  return {
    summary,
    reports,
    check,
    broken,
    problems: problemsOf(check, broken, unfinished),
    unfinished,
    stats: { frames: outcome.stats.frames, acks: outcome.stats.acks },
    wallMs: outcome.wallMs,
    interrupted: outcome.interrupted,
  };
}

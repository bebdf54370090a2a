/**
 * `deno task lab group`: N members join one group, each multicasts a few messages while it
 * delivers the others', and checkers judge the run: the order checker every member's delivery
 * sequence against FIFO, causal and total order, the view checker virtual synchrony (atomic
 * delivery among the members of each view, one final view, restarted members back as new
 * incarnations).
 * @module
 */
import type { GroupMemberReport } from "../../groups/member_program.ts";
import { GROUP_ORDERS, type GroupOrder } from "../../groups/types.ts";
import { processOf } from "../../core/name.ts";
import {
  checkFaultTargets,
  COMMON_FLAGS,
  COMMON_HELP,
  intFlag,
  openCommand,
  table,
  UsageError,
} from "../_common.ts";
import {
  groupRun,
  type GroupRunOptions,
  type GroupRunResult,
  PROMISES,
  RECOVER_FOR,
} from "./_run.ts";
import { keepSummary } from "../results/session.ts";

export type { GroupRunOptions };

const USAGE = `Usage: deno task lab group [--order none|fifo|causal|total] [flags]

N members (p1@m1.lab, p2@m2.lab, ...) join one group served by the membership service
groups@g0.lab. Each multicasts M messages (one unicast per member over the reliable channel)
while it delivers the others'; then every member's delivery sequence is printed and an order
checker counts FIFO, causal and total-order violations.

Runs on: OS processes over TCP on 127.0.0.1, one per machine (default), or the deterministic
simulator with --sim.

Flags:
  --order O             none, fifo, causal (vector clocks) or total (sequencer) (default none)
  --members N           members (default 4)
  --messages N          messages each member multicasts (default 5)
  --spacing MS          largest random pause between one member's multicasts (default 5)
  --closed              make the group closed (only members may send to it)
${COMMON_HELP}

The reliable channel keeps each pair of machines FIFO, so under --order none FIFO violations
show only with --unreliable (and --reorder or a latency spread); causal and total-order
violations show with the channel on. Without the reliable channel lost messages are not
recovered: use --unreliable with --reorder, not with --drop.

The view checker reads the trace: members that move from one view to the next must have
delivered the same messages in it, every member still running must end in the latest view
(one removed while running is listed as excluded), and a member whose machine restarts comes
back as a new incarnation (p2@m2.lab#TOKEN) in a later view. A restarted membership service
(--crash g0.lab@A..B) takes the group up again from the members' heartbeats; in such a run it
waits ${RECOVER_FOR} ms after each start before it creates a group from a join.

Examples:
  deno task lab group --order causal
  deno task lab group --sim --order none --unreliable --reorder 0.5
  deno task lab group --sim --order total --crash m1.lab@30
  deno task lab group --sim --order total --crash m2.lab@220..270 --crash g0.lab@230..260`;

/**
 * A label per stream: the sender's process name, with a ' per restart (p2, p2', p2''...);
 * `incarnations` are the streams in the order they first appear in the trace.
 */
function streamLabels(incarnations: readonly string[]): Map<string, string> {
  const labels = new Map<string, string>();
  const seen = new Map<string, number>();
  for (const stream of incarnations) {
    const member = stream.slice(0, stream.lastIndexOf("#"));
    const n = seen.get(member) ?? 0;
    seen.set(member, n + 1);
    labels.set(stream, processOf(member) + "'".repeat(n));
  }
  return labels;
}

function sequence(
  report: GroupMemberReport,
  streams: Map<string, string>,
  limit: number,
): string {
  const labels = report.deliveries.map((d) =>
    `${streams.get(d.stream) ?? processOf(d.sender)}.${d.index}`
  );
  const shown = labels.slice(0, limit).join(" ");
  return labels.length > limit ? `${shown} ... (${labels.length - limit} more)` : shown;
}

/**
 * Parses `lab group`'s flags into the options of one run; `undefined` for `--help`.
 *
 * @example A simulated total-order run with a restart
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseGroupArgs } from "./command.ts";
 * const options = parseGroupArgs(["--sim", "--order", "total", "--crash", "m2.lab@50..90"])!;
 * assert.equal(options.order, "total");
 * assert.deepEqual(options.common.crashes, [{ machine: "m2.lab", at: 50, restartAt: 90 }]);
 * assert.throws(() => parseGroupArgs(["--crash", "m9.lab@5"]), /m9\.lab/);
 * ```
 */
export function parseGroupArgs(args: string[]): GroupRunOptions | undefined {
  const opened = openCommand(
    args,
    {
      ...COMMON_FLAGS,
      order: { type: "string" },
      members: { type: "string" },
      messages: { type: "string" },
      spacing: { type: "string" },
      closed: { type: "boolean" },
    },
    USAGE,
    null,
  );
  if (opened === undefined) return undefined;
  const { values, common } = opened;
  const order = (values.order ?? "none") as GroupOrder;
  if (!GROUP_ORDERS.includes(order)) {
    throw new UsageError(
      `Cannot use --order "${values.order}": give one of ${GROUP_ORDERS.join(", ")}`,
      USAGE,
    );
  }
  const members = intFlag("members", values.members, 4, USAGE, 1);
  const names = ["g0.lab", ...Array.from({ length: members }, (_, i) => `m${i + 1}.lab`)];
  checkFaultTargets(common, names, USAGE);
  return {
    order,
    members,
    messages: intFlag("messages", values.messages, 5, USAGE, 0),
    spacing: intFlag("spacing", values.spacing, 5, USAGE, 0),
    closed: values.closed === true,
    common,
  };
}

/** Runs the group architecture; returns the exit code. */
export async function runGroup(args: string[]): Promise<number> {
  const options = parseGroupArgs(args);
  if (options === undefined) {
    console.log(USAGE);
    return 0;
  }
  const { common, order, members, messages } = options;
  if (!common.quiet) {
    console.log(
      `group: ${members} members x ${messages} messages, order ${order}, ${
        common.sim
          ? `simulator (seed ${common.seed})`
          : `OS processes over ${common.transport.toUpperCase()} on 127.0.0.1`
      }${common.reliable ? "" : ", reliable channel off"}`,
    );
  }
  const run = await groupRun(options);
  const { summary, unfinished } = run;
  const code = run.interrupted ? 130 : run.problems.length === 0 ? 0 : 1;
  keepSummary(summary);
  if (common.json) {
    console.log(JSON.stringify(summary));
    return code;
  }
  if (unfinished.length > 0) {
    console.log("\nPartial summary: the run did not finish");
    for (const line of unfinished) console.log(`  ${line}`);
  }
  printDeliveries(run);
  console.log("");
  console.log(groupTable(run, order));
  console.log("");
  printOrderVerdict(run, order, common.reliable);
  printAtomicityAndViews(run, common.reliable);
  if (common.trace) console.log(`trace written to ${common.trace}`);
  return code;
}

/** Prints each member's views and delivery sequence (`sender.n`, restarts primed). */
function printDeliveries(run: GroupRunResult): void {
  const { reports, check } = run;
  console.log(
    "\nDelivery sequences (sender.n = the n-th message of that sender; p2' is p2 restarted):",
  );
  const streams = streamLabels(Object.keys(check.final));
  const label = (r: GroupMemberReport) =>
    reports.filter((x) => x.member === r.member).length > 1 && r.incarnation !== undefined
      ? `${r.member}#${r.incarnation}`
      : r.member;
  const width = Math.max(...reports.map((r) => label(r).length));
  for (const r of reports) {
    const end = r.ended === undefined ? "" : ` [stopped: ${r.ended}]`;
    console.log(
      `  ${label(r).padEnd(width)}  views ${
        r.views.join(",")
      }  ${r.deliveries.length} delivered${end}: ${sequence(r, streams, 40)}`,
    );
  }
}

/** The summary table of a group run. */
function groupTable(run: GroupRunResult, order: GroupOrder): string {
  const { summary, check } = run;
  return table([
    ["architecture", "group"],
    ["transport", summary.transport],
    ["seed", summary.seed],
    ["order", order],
    ["multicasts", summary.requests],
    ["deliveries", summary.deliveries as number],
    [
      "messages",
      `${summary.messages} between machines (frames ${run.stats.frames}, acks ${run.stats.acks})`,
    ],
    ["bytes", summary.bytes],
    ["latency p50", `${summary.latency.p50.toFixed(3)} ms (multicast to delivery)`],
    ["latency p99", `${summary.latency.p99.toFixed(3)} ms`],
    ["retransmissions", summary.retransmissions],
    ["errors", summary.errors],
    ["views", `${check.views} (latest ${check.last}), ${check.members} member incarnations`],
    ["trace digest", summary.traceDigest.slice(0, 16)],
    ["wall time", `${run.wallMs.toFixed(0)} ms`],
  ]);
}

/** Prints the order checker's verdict against what `order` promises. */
function printOrderVerdict(run: GroupRunResult, order: GroupOrder, reliable: boolean): void {
  const { check, broken } = run;
  const verdict = check.order;
  console.log(
    `Order checker: ${verdict.fifo} FIFO, ${verdict.causal} causal, ${verdict.total} total-order ` +
      "violations (pairs of messages; causal counts FIFO pairs too)",
  );
  if (check.uniformTotal > verdict.total) {
    console.log(
      `  (total order is judged between members that did not fail; with the members that ` +
        `crashed or were excluded, ${check.uniformTotal} pairs: a sequencer that crashes may have ` +
        "delivered its last numbers to members that failed with it)",
    );
  }
  if (order === "none") {
    console.log(
      "  --order none promises no order: violations here are what the other orders prevent",
    );
    if (reliable && verdict.fifo === 0) {
      console.log(
        "  (FIFO holds because the reliable channel keeps each machine pair FIFO; " +
          "add --unreliable --reorder 0.5 to see FIFO violations)",
      );
    }
    return;
  }
  const kept = PROMISES[order].join(" and ");
  console.log(
    broken.length === 0
      ? `  PASS: --order ${order} promises ${kept} order, and the checker found no violation of it`
      : `  FAIL: --order ${order} promises ${kept} order, but ${
        broken.join(", ")
      } violations were found`,
  );
}

/** Prints whether the view changes kept atomicity, and where every member's view ended. */
function printAtomicityAndViews(run: GroupRunResult, reliable: boolean): void {
  const { check } = run;
  console.log(
    check.partial === 0
      ? "Atomicity: members that moved from one view to the next delivered the same messages in it"
      : `Atomicity: ${check.partial} messages were delivered in a view by some members and not ` +
        "by others that moved on with them" +
        (reliable ? "" : " (the reliable channel is off: lost messages are not recovered)"),
  );
  const views = [...check.stranded.map((k) => `${k} left behind in view ${check.final[k]}`)];
  if (check.disagreements > 0) views.push(`${check.disagreements} views installed differently`);
  console.log(
    views.length === 0
      ? `Views: every member still running is in view ${check.last}` +
        (check.excluded.length === 0 ? "" : `; excluded: ${check.excluded.join(", ")}`)
      : `Views: ${views.join("; ")}`,
  );
}

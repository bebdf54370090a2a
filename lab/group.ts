/**
 * `deno task lab group`: N members join one group, each multicasts a few messages while it
 * delivers the others', and an order checker judges every member's delivery sequence against
 * FIFO, causal and total order.
 * @module
 */
import type { GroupMemberReport } from "../core/group_member_program.ts";
import { GROUP_ORDERS, type GroupOrder } from "../core/group_types.ts";
import { machineOf, processOf } from "../core/name.ts";
import { checkOrder, type OrderReport } from "../core/order_checker.ts";
import {
  checkFaultTargets,
  COMMON_FLAGS,
  COMMON_HELP,
  intFlag,
  parseCommon,
  parseFlags,
  percentile,
  type Summary,
  table,
  UsageError,
} from "./_common.ts";
import { CONTROL_MACHINE, type MachineSpec } from "./deploy.ts";
import { runWorkload } from "./_run.ts";

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

Examples:
  deno task lab group --order causal
  deno task lab group --sim --order none --unreliable --reorder 0.5
  deno task lab group --sim --order total --crash m1.lab@30`;

/** What each order promises, as the violation counts that must be 0. */
const PROMISES: Readonly<Record<GroupOrder, readonly (keyof OrderReport)[]>> = {
  none: [],
  fifo: ["fifo"],
  causal: ["fifo", "causal"],
  total: ["fifo", "total"],
};

function sequence(report: GroupMemberReport, limit: number): string {
  const labels = report.deliveries.map((d) => `${processOf(d.sender)}.${d.index}`);
  const shown = labels.slice(0, limit).join(" ");
  return labels.length > limit ? `${shown} ... (${labels.length - limit} more)` : shown;
}

/** Runs the group architecture; returns the exit code. */
export async function runGroup(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    ...COMMON_FLAGS,
    order: { type: "string" },
    members: { type: "string" },
    messages: { type: "string" },
    spacing: { type: "string" },
    closed: { type: "boolean" },
  }, USAGE);
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const common = parseCommon(values, USAGE);
  const order = (values.order ?? "none") as GroupOrder;
  if (!GROUP_ORDERS.includes(order)) {
    throw new UsageError(
      `Cannot use --order "${values.order}": give one of ${GROUP_ORDERS.join(", ")}`,
      USAGE,
    );
  }
  const members = intFlag("members", values.members, 4, USAGE, 1);
  const messages = intFlag("messages", values.messages, 5, USAGE, 0);
  const spacing = intFlag("spacing", values.spacing, 5, USAGE, 0);
  const collector = `collector@${CONTROL_MACHINE}`;
  const machines: MachineSpec[] = [
    { name: "g0.lab", processes: [{ name: "groups", program: "group-manager" }] },
  ];
  for (let i = 1; i <= members; i++) {
    machines.push({
      name: `m${i}.lab`,
      processes: [{
        name: `p${i}`,
        program: "group-member",
        args: {
          group: "lab",
          order,
          closed: values.closed === true,
          members,
          messages,
          spacing,
          collector,
        },
      }],
    });
  }
  checkFaultTargets(common, machines.map((m) => m.name), USAGE);
  const gone = new Set(
    common.crashes.filter((c) => c.restartAt === undefined).map((c) => c.machine),
  );
  const expected = machines.slice(1).filter((m) => !gone.has(m.name)).length;
  if (!common.quiet) {
    console.log(
      `group: ${members} members x ${messages} messages, order ${order}, ${
        common.sim ? `simulator (seed ${common.seed})` : "OS processes over TCP on 127.0.0.1"
      }${common.reliable ? "" : ", reliable channel off"}`,
    );
  }
  const outcome = await runWorkload<GroupMemberReport>(machines, common, expected);
  const reports = [...outcome.reports].sort((a, b) => a.member < b.member ? -1 : 1);
  const full = reports.filter((r) => r.ended === undefined);
  const verdict = checkOrder(Object.fromEntries(reports.map((r) => [r.member, r.deliveries])));
  const atomic = checkOrder(Object.fromEntries(full.map((r) => [r.member, r.deliveries])));
  const trace = outcome.trace;
  let sends = 0;
  for (const e of trace.events) {
    if (e.ev !== "send" || e.from === undefined || e.to === undefined) continue;
    const to = machineOf(e.to);
    if (to !== CONTROL_MACHINE && machineOf(e.from) !== to) sends++;
  }
  const latencies = reports.flatMap((r) => r.deliveries.map((d) => d.latency));
  const broken = PROMISES[order].filter((k) => (verdict[k] as number) > 0);
  const unfinished: string[] = outcome.unfinished === undefined ? [] : [outcome.unfinished];
  const reported = new Set(reports.map((r) => r.member));
  for (const m of machines.slice(1)) {
    const member = m.processes[0].name + "@" + m.name;
    if (!reported.has(member) && !gone.has(m.name)) unfinished.push(`${member}: no report`);
  }
  const summary: Summary = {
    architecture: "group",
    transport: outcome.transport,
    seed: common.seed,
    requests: reports.reduce((n, r) => n + r.multicasts, 0),
    messages: sends,
    bytes: outcome.stats.bytes,
    latency: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    retransmissions: trace.count("retransmit"),
    errors: reports.length - full.length + (expected - reports.length),
    traceDigest: trace.digest(),
    order,
    violations: { fifo: verdict.fifo, causal: verdict.causal, total: verdict.total },
    members,
    deliveries: verdict.deliveries,
    partial: atomic.partial,
    duplicates: verdict.duplicates,
    frames: outcome.stats.frames,
    acks: outcome.stats.acks,
    unfinished,
  };
  const ok = broken.length === 0 && atomic.partial === 0 && verdict.duplicates === 0 &&
    unfinished.length === 0;
  const code = outcome.interrupted ? 130 : ok ? 0 : 1;
  if (common.json) {
    console.log(JSON.stringify(summary));
    return code;
  }
  if (unfinished.length > 0) {
    console.log("\nPartial summary: the run did not finish");
    for (const line of unfinished) console.log(`  ${line}`);
  }
  console.log("\nDelivery sequences (sender.n = the n-th message of that sender):");
  const width = Math.max(...reports.map((r) => r.member.length));
  for (const r of reports) {
    const end = r.ended === undefined ? "" : ` [stopped: ${r.ended}]`;
    console.log(
      `  ${r.member.padEnd(width)}  views ${
        r.views.join(",")
      }  ${r.deliveries.length} delivered${end}: ${sequence(r, 40)}`,
    );
  }
  console.log("");
  console.log(table([
    ["architecture", "group"],
    ["transport", summary.transport],
    ["seed", summary.seed],
    ["order", order],
    ["multicasts", summary.requests],
    ["deliveries", summary.deliveries as number],
    [
      "messages",
      `${summary.messages} between machines (frames ${outcome.stats.frames}, acks ${outcome.stats.acks})`,
    ],
    ["bytes", summary.bytes],
    ["latency p50", `${summary.latency.p50.toFixed(3)} ms (multicast to delivery)`],
    ["latency p99", `${summary.latency.p99.toFixed(3)} ms`],
    ["retransmissions", summary.retransmissions],
    ["errors", summary.errors],
    ["trace digest", summary.traceDigest.slice(0, 16)],
    ["wall time", `${outcome.wallMs.toFixed(0)} ms`],
  ]));
  console.log("");
  console.log(
    `Order checker: ${verdict.fifo} FIFO, ${verdict.causal} causal, ${verdict.total} total-order ` +
      "violations (pairs of messages; causal counts FIFO pairs too)",
  );
  if (order === "none") {
    console.log(
      "  --order none promises no order: violations here are what the other orders prevent",
    );
    if (common.reliable && verdict.fifo === 0) {
      console.log(
        "  (FIFO holds because the reliable channel keeps each machine pair FIFO; " +
          "add --unreliable --reorder 0.5 to see FIFO violations)",
      );
    }
  } else {
    const kept = PROMISES[order].join(" and ");
    console.log(
      broken.length === 0
        ? `  PASS: --order ${order} promises ${kept} order, and the checker found no violation of it`
        : `  FAIL: --order ${order} promises ${kept} order, but ${
          broken.join(", ")
        } violations were found`,
    );
  }
  console.log(
    atomic.partial === 0
      ? `Atomicity: each message was delivered by all ${full.length} members that stayed, or by none`
      : `Atomicity: ${atomic.partial} messages were delivered by some members that stayed and not by others` +
        (common.reliable ? "" : " (the reliable channel is off: lost messages are not recovered)"),
  );
  if (common.trace) console.log(`trace written to ${common.trace}`);
  return code;
}

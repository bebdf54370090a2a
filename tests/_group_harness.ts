/**
 * Test harness for group communication: runs `group-member` programs in the simulator and
 * gathers their reports (private to the group tests).
 * @module
 */
import { groupManager } from "../groups/manager_process.ts";
import { groupMemberProgram, type GroupMemberReport } from "../groups/member_program.ts";
import type { GroupOrder } from "../groups/types.ts";
import type { DeliveryRecord } from "../groups/order_checker.ts";
import { Simulator, type SimulatorOptions } from "../core/simulator/simulator.ts";

/** Options of {@link runMembers}. */
export interface MembersRun {
  /** Group order. */
  readonly order: GroupOrder;
  /** Simulator options (seed, faults). @default seed 1 */
  readonly sim?: SimulatorOptions;
  /** Members, on machines m1.lab, m2.lab, ... @default 4 */
  readonly members?: number;
  /** Messages per member. @default 5 */
  readonly messages?: number;
  /** Largest pause between a member's multicasts. @default 5 */
  readonly spacing?: number;
  /** Called before the run, to schedule faults. @default none */
  readonly before?: (sim: Simulator) => void;
}

/** Runs members in the simulator; returns their reports by member address. */
export async function runMembers(
  options: MembersRun,
): Promise<{ sim: Simulator; reports: Map<string, GroupMemberReport> }> {
  const sim = new Simulator({ seed: 1, ...options.sim });
  const members = options.members ?? 4;
  const reports = new Map<string, GroupMemberReport>();
  sim.machine("g0.lab").spawn("groups", groupManager());
  sim.machine("ctl.lab").spawn("collector", async (ctx) => {
    for (;;) {
      const report = (await ctx.receive<GroupMemberReport>({ kind: "report" })).body;
      reports.set(report.member, report);
    }
  });
  for (let i = 1; i <= members; i++) {
    sim.machine(`m${i}.lab`).spawn(
      `p${i}`,
      groupMemberProgram({
        order: options.order,
        members,
        messages: options.messages ?? 5,
        spacing: options.spacing ?? 5,
        collector: "collector@ctl.lab",
      }),
    );
  }
  options.before?.(sim);
  await sim.run({ until: 600_000 });
  return { sim, reports };
}

/** The delivery logs of `reports`, for the order checker. */
export function logsOf(
  reports: Map<string, GroupMemberReport>,
): Record<string, DeliveryRecord[]> {
  return Object.fromEntries([...reports].map(([member, r]) => [member, r.deliveries]));
}

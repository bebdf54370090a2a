/**
 * Which peers of `lab p2p` are live at a given time, from what the lab itself decided: the
 * initial peers, the churn plan's departures and arrivals, and the crash windows of `--crash`.
 * The monitor judges convergence over exactly these peers, so that liveness is never guessed
 * from how recently a peer reported (on a loaded host reports arrive late, and a peer taken for
 * dead would let the others "converge" without it).
 * @module
 */
import type { ChurnPlan } from "../../peers/churn.ts";
import { peerAddress } from "../../peers/gossip_sim.ts";
import type { CrashSpec } from "../_common.ts";

/**
 * The addresses of the peers live at `t` ms: the `n` initial peers and the arrivals that joined
 * by then, less those that left or crashed by then and the machines a crash window holds down.
 *
 * @example A crash without restart and a crash window
 * ```ts
 * import assert from "node:assert/strict";
 * import { expectedPeers } from "./_expected.ts";
 * const plan = { departures: [{ index: 1, at: 125, crash: true }], arrivals: [{ index: 3, at: 175 }], until: 175 };
 * const crashes = [{ machine: "p2.lab", at: 50, restartAt: 300 }];
 * assert.deepEqual([...expectedPeers(3, plan, crashes, 0)], ["peer@p0.lab", "peer@p1.lab", "peer@p2.lab"]);
 * assert.deepEqual([...expectedPeers(3, plan, crashes, 200)], ["peer@p0.lab", "peer@p3.lab"]);
 * assert.deepEqual([...expectedPeers(3, plan, crashes, 300)], ["peer@p0.lab", "peer@p2.lab", "peer@p3.lab"]);
 * ```
 */
export function expectedPeers(
  n: number,
  plan: ChurnPlan,
  crashes: readonly CrashSpec[],
  t: number,
): Set<string> {
  const live = new Set<number>();
  for (let i = 0; i < n; i++) live.add(i);
  for (const a of plan.arrivals) if (a.at <= t) live.add(a.index);
  for (const d of plan.departures) if (d.at <= t) live.delete(d.index);
  const addresses = new Set<string>();
  for (const index of [...live].sort((a, b) => a - b)) {
    const address = peerAddress(index);
    const machine = address.slice(address.indexOf("@") + 1);
    const down = crashes.some((c) =>
      c.machine === machine && c.at <= t && (c.restartAt === undefined || t < c.restartAt)
    );
    if (!down) addresses.add(address);
  }
  return addresses;
}

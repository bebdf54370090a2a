import assert from "node:assert/strict";
import { drawGroupSchedule, replayCommand, runGroupCampaign } from "../lab/group/campaign.ts";

/** Schedules per order in the default suite (1,000 per order are run by hand: see README). */
const SCHEDULES = 300;

Deno.test("drawGroupSchedule() draws every kind of fault, restarts of members and of the service", () => {
  const seen = { memberRestarts: 0, serviceRestarts: 0, permanent: 0, oneWay: 0, twoWay: 0 };
  const kinds = new Set<string>();
  for (let seed = 1; seed <= SCHEDULES; seed++) {
    const s = drawGroupSchedule(seed, "fifo");
    seen.serviceRestarts += s.service ? 1 : 0;
    seen.memberRestarts += s.restarts - (s.service ? 1 : 0);
    seen.permanent += s.crashes - s.restarts;
    seen.oneWay += s.oneWay;
    seen.twoWay += s.partitions - s.oneWay;
    for (const arg of s.args) if (arg.startsWith("--")) kinds.add(arg);
  }
  assert.deepEqual([...kinds].sort(), [
    "--crash",
    "--delay",
    "--drop",
    "--dup",
    "--order",
    "--partition",
    "--reorder",
    "--seed",
    "--sim",
  ]);
  for (const [kind, count] of Object.entries(seen)) {
    assert.ok(count >= SCHEDULES / 20, `only ${count} ${kind} in ${SCHEDULES} schedules`);
  }
  const replay = replayCommand(drawGroupSchedule(1, "total"));
  assert.ok(replay.startsWith("deno task lab group --sim --seed 1 --order total --"), replay);
});

for (const order of ["fifo", "causal", "total"] as const) {
  Deno.test(`runGroupCampaign() finds no violation in ${SCHEDULES} fault schedules of a ${order} group`, async () => {
    const result = await runGroupCampaign(order, SCHEDULES);
    const failures = result.failures.map((f) => `${f.replay}\n    ${f.problems.join("\n    ")}`);
    assert.deepEqual(failures, [], `failing schedules replay with:\n${failures.join("\n")}`);
    assert.equal(result.runs, SCHEDULES);
    assert.ok(result.faults.restarts >= SCHEDULES, JSON.stringify(result.faults));
    // A member the service does not hear from for a suspicion period (a link that loses a
    // quarter of its frames, a service that restarted) is taken for crashed: allowed, but rare.
    const excluded = result.excluded.map((e) => `${e.replay}  (${e.members.join(", ")})`);
    assert.ok(excluded.length <= SCHEDULES / 50, `members excluded in:\n${excluded.join("\n")}`);
  });
}

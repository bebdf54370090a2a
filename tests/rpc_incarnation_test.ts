/**
 * Reincarnation's epochs belong to a client machine's incarnation (seed 004 §2.3: "Cuando un
 * cliente rearranca envía un mensaje a todas las máquinas declarando el inicio de una nueva
 * época"): a second RPC client starting on a machine that did not restart declares no new epoch
 * and kills none of its sibling's calls; a machine that crashes and restarts declares one, which
 * kills (or, gentle, probes) the orphans of all its clients of the old incarnation and leaves the
 * calls of other machines alone.
 * @module
 */
import assert from "node:assert/strict";
import type { ProcessContext } from "../core/process.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import {
  EPOCH_KIND,
  LOCATE_KIND,
  type OrphanPolicy,
  RpcClient,
  serveRpc,
  WorkLedger,
  type WorkService,
  workService,
} from "../rpc/mod.ts";

const REASONS = { reincarnation: "new epoch", gentle: "owner not located" } as const;
type EpochPolicy = keyof typeof REASONS;
const EPOCH_POLICIES: readonly EpochPolicy[] = ["reincarnation", "gentle"];

/** Cross-machine messages of `kind` in the trace, as `from -> to`. */
function sent(sim: Simulator, kind: string): string[] {
  return sim.trace.events
    .filter((e) => e.ev === "send" && e.kind === kind)
    .map((e) => `${e.from} -> ${e.to}`);
}

/** A simulator with servers `rpc@s1.lab` and `rpc@s2.lab` reporting to `ledger`. */
function servers(policy: OrphanPolicy, ledger: WorkLedger): Simulator {
  const sim = new Simulator({ seed: 7 });
  for (const s of ["s1.lab", "s2.lab"]) {
    sim.machine(s).spawn("rpc", serveRpc<WorkService>(workService, { policy, ledger, step: 1 }));
  }
  return sim;
}

const SERVERS = ["rpc@s1.lab", "rpc@s2.lab"];

Deno.test("RpcClient.boot() of a second client on a machine that did not restart leaves its sibling's waiting call alone", async () => {
  for (const policy of EPOCH_POLICIES) {
    const ledger = new WorkLedger();
    const sim = servers(policy, ledger);
    const results: Record<string, number> = {};
    const epochs: Record<string, number> = {};
    const client = (name: string, delay: number, units: number) => async (ctx: ProcessContext) => {
      await ctx.sleep(delay);
      const rpc = await RpcClient.boot(ctx, { policy, servers: SERVERS });
      epochs[name] = rpc.epoch;
      results[name] = await rpc.stub<WorkService>("rpc@s1.lab").crunch(units);
    };
    const c1 = sim.machine("c1.lab");
    c1.spawn("first", client("first", 0, 100));
    // Starts while the first client's call is in the middle of its work on the slow server.
    c1.spawn("second", client("second", 30, 5));
    await sim.run();
    assert.deepEqual(results, { first: 100, second: 5 }, `${policy}: both calls complete`);
    assert.equal(epochs.first, epochs.second, `${policy}: one incarnation, one epoch`);
    assert.deepEqual(ledger.records().filter((r) => r.outcome === "killed"), [], policy);
    assert.deepEqual(sent(sim, EPOCH_KIND), [], `${policy}: no new epoch was declared`);
    assert.deepEqual(sent(sim, LOCATE_KIND), [], `${policy}: nobody was probed`);
  }
});

Deno.test("RpcClient.boot() after a machine restart ends the old incarnation's calls of all its clients, and no other machine's", async () => {
  for (const policy of EPOCH_POLICIES) {
    const ledger = new WorkLedger();
    const sim = servers(policy, ledger);
    const results: Record<string, number> = {};
    const epochs: string[] = [];
    /** Long calls in the first incarnation; the restarted clients make a short one. */
    const client = (server: string) => async (ctx: ProcessContext) => {
      const rpc = await RpcClient.boot(ctx, { policy, servers: SERVERS });
      epochs.push(`${ctx.self} ${rpc.epoch}`);
      const units = rpc.epoch === 1 ? 200 : 1;
      results[`${ctx.self} ${rpc.epoch}`] = await rpc.stub<WorkService>(server).crunch(units);
    };
    sim.machine("c1.lab").spawn("a", client("rpc@s1.lab"));
    sim.machine("c1.lab").spawn("b", client("rpc@s2.lab"));
    sim.machine("c2.lab").spawn("c", client("rpc@s1.lab"));
    sim.crash("c1.lab", { at: 50, restartAt: 60 });
    await sim.run();
    const why = policy;
    assert.deepEqual(epochs.toSorted(), [
      "a@c1.lab 1",
      "a@c1.lab 2",
      "b@c1.lab 1",
      "b@c1.lab 2",
      "c@c2.lab 1",
    ], why);
    // The restarted machine declared its new epoch once to each server, not once per client.
    assert.deepEqual(sent(sim, EPOCH_KIND).map((s) => s.split(" -> ")[1]).toSorted(), SERVERS, why);
    const killed = ledger.records().filter((r) => r.outcome === "killed");
    assert.deepEqual(
      killed.map((r) => [r.owner, r.reason]).toSorted(),
      [["a@c1.lab", REASONS[policy]], ["b@c1.lab", REASONS[policy]]],
      why,
    );
    assert.deepEqual(results, { "a@c1.lab 2": 1, "b@c1.lab 2": 1, "c@c2.lab 1": 200 }, why);
    const report = ledger.report([{ machine: "c1.lab", at: 50 }]);
    assert.deepEqual([report.orphans, report.killed, report.collateral], [2, 2, 0], why);
  }
});

/**
 * The sync loop at scale, with the lab's defaults (heartbeat membership, reliable channel, a
 * trace): heartbeat digests do not grow with the number of peers, and a thousand peers converge
 * within the theory's bounds plus two rounds on the mean of five seeds, the bound the lab's
 * `bound` field states.
 * @module
 */
import { GOSSIP_KINDS } from "../peers/gossip_messages.ts";
import { simulateGossip } from "../peers/gossip_sim.ts";
import type { WireFrame } from "../core/wire.ts";
import { runP2p } from "../lab/p2p/command.ts";
import { assertEquals, assertTrue } from "./_assert.ts";
import { captureLog } from "./_lab.ts";

/** The largest gossip message body (JSON characters) in a heartbeat run of `n` peers. */
async function largestGossip(n: number): Promise<number> {
  let largest = 0;
  await simulateGossip({
    peers: n,
    mode: "push-pull",
    seed: 1,
    writes: 3,
    maxRounds: 30,
    simulator: { trace: { keep: false } },
    setup: (sim) => {
      // Look at every frame the machines put on the network.
      const send = sim.send.bind(sim);
      sim.send = (from: string, to: string, frame: WireFrame) => {
        if (frame.kind === "msg" && GOSSIP_KINDS.includes(frame.env.kind)) {
          largest = Math.max(largest, JSON.stringify(frame.env.body).length);
        }
        send(from, to, frame);
      };
    },
  });
  return largest;
}

Deno.test("gossipPeer() heartbeat digests stay under a fixed size whatever the number of peers", async () => {
  const small = await largestGossip(200), large = await largestGossip(1_000);
  // 8 heartbeat entries of ~20 characters, a version vector of 3 writers, the envelope's kind.
  assertTrue(small < 600, `largest gossip body at n=200: ${small} characters`);
  assertTrue(large < 600, `largest gossip body at n=1000: ${large} characters`);
  assertTrue(large - small < 40, `grew from ${small} to ${large} characters`);
});

async function summary(...args: string[]): Promise<Record<string, number | boolean>> {
  const { code, out } = await captureLog(runP2p, ["--sim", "--json", ...args]);
  assertEquals(code, 0, out.join("\n"));
  return JSON.parse(out.at(-1)!);
}

Deno.test("lab p2p --peers 1000 converges within its bound on the mean of five seeds, push and push-pull", async () => {
  for (const mode of ["push", "push-pull"]) {
    const rounds: number[] = [];
    let bound = 0;
    for (let seed = 1; seed <= 5; seed++) {
      const s = await summary("--peers", "1000", "--mode", mode, "--seed", String(seed));
      assertEquals([s.converged, s.live], [true, 1_000], `${mode} seed ${seed}`);
      rounds.push(s.rounds as number);
      assertEquals(s.withinBound, (s.rounds as number) <= (s.bound as number));
      bound = s.bound as number;
    }
    const expected = mode === "push"
      ? Math.log2(1_000) + Math.log(1_000) + 2
      : Math.log(1_000) / Math.log(3) + Math.log(Math.log(1_000)) + 2;
    assertTrue(Math.abs(bound - expected) < 1e-9, `${mode}: bound ${bound}, expected ${expected}`);
    const mean = rounds.reduce((a, b) => a + b, 0) / rounds.length;
    assertTrue(mean <= bound, `${mode}: mean ${mean} rounds (${rounds}) > ${bound.toFixed(2)}`);
  }
});

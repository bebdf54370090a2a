/**
 * The architecture comparison for availability (seed 004: the client/server model against the
 * peer-to-peer model): a peer-to-peer store keeps answering reads and writes when any single
 * peer crashes, because every peer has the same role and a replica; a client/server store stops
 * answering when its one server crashes. The client/server store here is a tiny map behind a
 * request/reply loop, written for this test.
 * @module
 */
import { TimeoutError } from "../core/errors.ts";
import type { ProcessContext } from "../core/process.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { gossipPeer } from "../peers/gossip_process.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

const PEERS = Array.from({ length: 5 }, (_, i) => `peer@p${i}.lab`);

interface Tally {
  answered: number;
  unanswered: number;
  reads: unknown[];
}

/**
 * A client that, after the crash, writes `k` and reads it back, 10 times, trying the given
 * servers in order until one answers (200 ms each).
 */
function client(servers: readonly string[], tally: Tally) {
  return async (ctx: ProcessContext) => {
    await ctx.sleep(500);
    const call = async (body: unknown): Promise<unknown> => {
      for (const server of servers) {
        try {
          return (await ctx.request<{ value?: unknown }>(server, body, { timeout: 200 })).body;
        } catch (error) {
          if (!(error instanceof TimeoutError)) throw error;
        }
      }
      throw new TimeoutError("call every server", 200);
    };
    for (let i = 0; i < 10; i++) {
      try {
        await call({ kind: "put", key: `k${i}`, value: i });
        tally.answered++;
        const read = (await call({ kind: "get", key: `k${i}` })) as { value?: unknown };
        tally.reads.push(read.value);
        tally.answered++;
      } catch {
        tally.unanswered += 2;
      }
    }
  };
}

/** The client/server store: one map on one machine. */
async function server(ctx: ProcessContext): Promise<void> {
  const map = new Map<string, unknown>();
  for (;;) {
    const request = await ctx.receive<{ kind: string; key: string; value?: unknown }>();
    const { kind, key, value } = request.body;
    if (kind === "put") map.set(key, value);
    await ctx.reply(request, { kind: "ok", value: kind === "get" ? map.get(key) ?? null : null });
  }
}

Deno.test("p2p store keeps answering reads and writes when any single peer crashes", async () => {
  for (let crashed = 0; crashed < PEERS.length; crashed++) {
    const sim = new Simulator({ seed: crashed + 1 });
    const hashes = new Map<string, string>();
    const fn = gossipPeer({
      peers: PEERS,
      mode: "push-pull",
      maxRounds: 100,
      report: (r) => hashes.set(r.peer, r.hash),
    });
    PEERS.forEach((p) => sim.machine(p.split("@")[1]).spawn("peer", fn));
    sim.crash(`p${crashed}.lab`, { at: 300 });
    const tally: Tally = { answered: 0, unanswered: 0, reads: [] };
    // Each client starts with a different peer: some of them with the crashed one.
    for (let c = 0; c < PEERS.length; c++) {
      const order = [...PEERS.slice(c), ...PEERS.slice(0, c)];
      sim.machine(`c${c}.lab`).spawn("client", client(order, tally));
    }
    await sim.run();
    assertEquals(tally.unanswered, 0, `crashed peer ${crashed}`);
    assertEquals(tally.answered, 100);
    assertEquals(tally.reads.length, 50);
    // And the surviving replicas agree on everything written.
    hashes.delete(PEERS[crashed]);
    assertEquals(new Set(hashes.values()).size, 1);
  }
});

Deno.test("client/server store stops answering when its server crashes", async () => {
  const sim = new Simulator({ seed: 1 });
  sim.machine("s.lab").spawn("kv", server);
  sim.crash("s.lab", { at: 300 });
  const tally: Tally = { answered: 0, unanswered: 0, reads: [] };
  for (let c = 0; c < 5; c++) sim.machine(`c${c}.lab`).spawn("client", client(["kv@s.lab"], tally));
  await sim.run();
  assertEquals(tally.answered, 0);
  assertEquals(tally.unanswered, 100);
  // The same store answers everything while its server is up.
  const healthy = new Simulator({ seed: 1 });
  healthy.machine("s.lab").spawn("kv", server);
  const ok: Tally = { answered: 0, unanswered: 0, reads: [] };
  healthy.machine("c0.lab").spawn("client", client(["kv@s.lab"], ok));
  await healthy.run();
  assertEquals(ok.answered, 20);
  assertTrue(ok.reads.every((v, i) => v === i));
});

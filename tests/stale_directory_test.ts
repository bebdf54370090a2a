/**
 * A stale directory entry over real sockets: m2.lab's directory still gives m9.lab's old address,
 * where m1.lab listens now. A frame for `kv@m9.lab` reaches m1.lab, which refuses it (a `drop` of
 * that message noting the stale entry, counted in `rejectedFrames`) before its reliable channel
 * sees it: m1 does not answer "unknown process" for a process that was never its own, does not
 * take the frame's sequence number as one of m2's own channel to it, and goes on serving m2.
 * @module
 */
import { startHost } from "../core/network/host.ts";
import type { TransportName } from "../core/network/host_network.ts";
import { Trace } from "../core/trace.ts";
import { narrate } from "../lab/_common.ts";
import { assertEquals, assertTrue } from "./_assert.ts";
import { within } from "./_host_pair.ts";

for (const transport of ["tcp", "udp", "http"] as const satisfies readonly TransportName[]) {
  Deno.test(`${transport}: Machine.receiveFrame() refuses a frame for a process on another machine (a stale directory entry), and keeps serving its sender`, async () => {
    const trace = new Trace();
    const endpoints = new Map<string, string>();
    const resolve = (m: string) => endpoints.get(m);
    const m1 = await startHost("m1.lab", { transport, resolve, seed: 1, trace });
    const m2 = await startHost("m2.lab", { transport, resolve, seed: 2, trace });
    // m9.lab used to listen where m1.lab listens now: m2's entry for it is stale.
    endpoints.set("m1.lab", m1.endpoint).set("m2.lab", m2.endpoint).set("m9.lab", m1.endpoint);
    try {
      m1.machine.spawn("kv", async (ctx) => {
        for (;;) {
          const m = await ctx.receive<string>();
          await ctx.reply(m, `m1 says ${m.body}`);
        }
      });
      const refused = Promise.withResolvers<void>();
      trace.listen((e) => {
        if (e.ev === "drop" && e.at === "m1.lab") refused.resolve();
      });
      const answers = Promise.withResolvers<string[]>();
      m2.machine.spawn("c", async (ctx) => {
        // The stale one first: its frame must not take the place of m2's first frame to m1.
        await ctx.send("kv@m9.lab", "lost");
        await refused.promise;
        const out: string[] = [];
        for (const body of ["a", "b"]) {
          out.push((await ctx.request<string>("kv@m1.lab", body, { timeout: 20_000 })).body);
        }
        answers.resolve(out);
      });
      assertEquals(await within([m1, m2], answers.promise), ["m1 says a", "m1 says b"]);

      const drops = trace.events.filter((e) => e.ev === "drop" && e.at === "m1.lab");
      assertTrue(drops.length >= 1, "m1 refused the stale frame");
      for (const drop of drops) {
        assertEquals([drop.from, drop.to, drop.kind], ["c@m2.lab", "kv@m9.lab", "data"]);
        assertEquals(
          drop.note,
          'refused frame from "m2.lab": Cannot accept frame: it is addressed to "kv@m9.lab" on machine "m9.lab", but this is machine "m1.lab" (the sender\'s directory entry for "m9.lab" is stale, or the frame went astray); nothing of it reaches a process or the reliable channel',
        );
      }
      assertEquals(m1.machine.rejectedFrames, drops.length);
      assertEquals(m1.network.stats.rejected, drops.length);
      assertTrue(
        narrate(drops[0])!.includes("c@m2.lab -x kv@m9.lab data DROPPED (refused frame from"),
        narrate(drops[0]),
      );
      // No answer claimed to come from kv@m9.lab, and nothing called it unknown.
      const misleading = trace.events.filter((e) =>
        e.from === "kv@m9.lab" || e.note === "unknown process" ||
        (e.ev === "drop" && e.at === "m2.lab")
      );
      assertEquals(misleading, []);
    } finally {
      await m2.close();
      await m1.close();
    }
  });
}

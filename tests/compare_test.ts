/**
 * `lab compare` puts the architectures side by side under one seed and one fault schedule; with
 * the serving machine down for good, the peer-to-peer design keeps answering and the
 * client/server one does not.
 * @module
 */
import { compareArchitectures } from "../lab/compare/command.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

Deno.test("compareArchitectures() reports cost and availability of every architecture", async () => {
  const rows = await compareArchitectures([], { seed: 1, outage: "20" });
  assertEquals(rows.map((r) => r.architecture), ["client-server", "proxy", "three-tier", "p2p"]);
  const row = (name: string) => rows.find((r) => r.architecture === name)!;
  for (const r of rows) {
    assertTrue(r.requests > 0 && r.messagesPerRequest > 0 && r.bytesPerRequest > 0);
  }
  assertTrue(row("client-server").availability < 1, "no server, no answers");
  assertEquals(row("p2p").availability, 1);
  assertTrue(row("three-tier").messagesPerRequest > row("client-server").messagesPerRequest);
});

/**
 * `lab describe` measures the lecture's taxonomy (seed 000, "Tipos y acoplamientos"): each
 * channel's synchrony, persistence and coupling come from experiments, not from a table.
 * @module
 */
import { describeChannels } from "../lab/describe/command.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

Deno.test("describeChannels() measures synchrony, persistence and coupling of every channel", async () => {
  const profiles = await describeChannels(1);
  const row = (name: string) => {
    const p = profiles.find((p) => p.channel.startsWith(name));
    assertTrue(p !== undefined, `no channel ${name}`);
    return [p.synchrony, p.persistence, p.temporal, p.referential];
  };
  assertEquals(row("send (asynchronous)"), ["asynchronous", "transient", "coupled", "coupled"]);
  assertEquals(row("send (synchronous)"), ["synchronous", "transient", "coupled", "coupled"]);
  assertEquals(row("rendezvous"), ["synchronous", "transient", "coupled", "coupled"]);
  assertEquals(row("request/reply"), ["synchronous", "transient", "coupled", "coupled"]);
  assertEquals(row("post office"), ["asynchronous", "persistent", "decoupled", "coupled"]);
  assertEquals(row("publish/subscribe"), ["asynchronous", "transient", "coupled", "decoupled"]);
  const wait = (name: string) => profiles.find((p) => p.channel.startsWith(name))!.senderWaitMs;
  assertTrue(wait("rendezvous") > wait("send (synchronous)"), "a rendezvous waits for the taker");
  assertEquals(wait("send (asynchronous)"), 0);
});

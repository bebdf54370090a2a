/**
 * Gossip as a data-driven scenario (`tests/testdata/gossip.txt`): client requests, gossip
 * messages and round ticks in; digests, deltas, rumours and replies out.
 * `UPDATE_TESTDATA=1` rewrites the effect lines.
 * @module
 */
import type { Protocol } from "../core/protocol/mod.ts";
import { GossipProtocol } from "../peers/gossip.ts";
import type { GossipPeerOptions } from "../peers/gossip_process.ts";
import { runScenario } from "./_scenario.ts";

/** `new {self, ...GossipPeerOptions}`: a peer on `self`'s machine that always picks the middle. */
function peer(args: Record<string, unknown>): Protocol {
  const options = args as GossipPeerOptions;
  const self = String(args.self);
  return new GossipProtocol(GossipProtocol.settings(options), options, {
    self,
    machine: self.split("@")[1],
    startedAt: 0,
    random: () => 0.5,
  }) as Protocol;
}

Deno.test("GossipProtocol exchanges digests first and only the missing updates (scenario)", async () => {
  await runScenario(new URL("./testdata/gossip.txt", import.meta.url), peer);
});

/**
 * `lab describe` measures the lecture's TCP against UDP on real loopback sockets: TCP and HTTP
 * deliver a burst whole and in order with the reliable channel off, UDP loses part of it (no flow
 * control: the receiver's socket buffer overflows) and the reliable channel repairs that with
 * retransmissions; every transport then delivers exactly once, in order.
 * @module
 */
import { describeTransports } from "../lab/describe/transports.ts";
import { assertEquals, assertTrue } from "./_assert.ts";
import { captureMain } from "./_lab.ts";

Deno.test("describeTransports() shows UDP losing a burst TCP and HTTP deliver, and the reliable channel repairing it", async () => {
  // 2,000 datagrams sent by one event loop take several times the kernel's default receive
  // buffer (208 KiB on Linux): some are lost whatever the machine's speed.
  const profiles = await describeTransports({ burst: 2000, roundTrips: 5, quiet: 2000 });
  assertEquals(profiles.map((p) => p.transport), ["tcp", "udp", "http"]);
  const [tcp, udp, http] = profiles;
  for (const stream of [tcp, http]) {
    assertEquals(stream.unreliable, { delivered: 2000, lost: 0, duplicated: 0, reordered: 0 });
  }
  assertTrue(udp.unreliable.lost > 0, `UDP lost nothing: ${JSON.stringify(udp)}`);
  assertEquals(udp.unreliable.delivered + udp.unreliable.lost - udp.unreliable.duplicated, 2000);
  for (const p of profiles) {
    assertTrue(p.reliable.exactlyOnceInOrder, `${p.transport}: not exactly once in order`);
    assertTrue(p.firstRoundTripMs > 0 && p.roundTripMs > 0, JSON.stringify(p));
  }
  assertTrue(udp.reliable.retransmissions > 0, "UDP's losses were retransmitted");
});

Deno.test("lab describe --transports measures the transports asked for, in --json; a bad name is refused", async () => {
  const { code, out } = await captureMain([
    "describe",
    "--json",
    "--transports",
    "udp",
    "--burst",
    "50",
  ]);
  assertEquals(code, 0);
  const summary = JSON.parse(out.at(-1)!);
  assertEquals(summary.transports.map((t: { transport: string }) => t.transport), ["udp"]);
  assertEquals(summary.transports[0].burst, 50);
  assertTrue(summary.channels.length > 0);
  const bad = await captureMain(["describe", "--transports", "tcp,quic"]);
  assertEquals(bad.code, 2);
  assertTrue(bad.err.join("\n").includes('"quic" is no transport'), bad.err.join("\n"));
});

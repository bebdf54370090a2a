/**
 * `lab compare --transport LIST` runs each architecture over each transport on real OS processes,
 * one row per architecture and transport, on the same workload and fault schedule.
 * @module
 */
import { compareArchitectures } from "../lab/compare/command.ts";
import { assertEquals, assertTrue } from "./_assert.ts";
import { captureMain } from "./_lab.ts";

Deno.test("compareArchitectures() runs an architecture over TCP, UDP and HTTP: one row each, the same workload", async () => {
  const seen: string[] = [];
  const rows = await compareArchitectures([], {
    real: true,
    transports: ["tcp", "udp", "http"],
    architectures: ["client-server"],
    outage: "20..60",
    onRun: (p) => seen.push(`${p.transport} ${p.run}`),
  });
  assertEquals(rows.map((r) => [r.architecture, r.transport]), [
    ["client-server", "tcp"],
    ["client-server", "udp"],
    ["client-server", "http"],
  ]);
  assertEquals(seen, [
    "tcp undisturbed",
    "tcp outage",
    "udp undisturbed",
    "udp outage",
    "http undisturbed",
    "http outage",
  ]);
  for (const r of rows) {
    assertEquals(r.requests, 30, `${r.transport}: ${JSON.stringify(r)}`);
    assertTrue(r.messagesPerRequest > 0 && r.bytesPerRequest > 0, JSON.stringify(r));
  }
});

Deno.test("lab compare refuses --transport with --sim, and an unknown transport", async () => {
  const sim = await captureMain(["compare", "--sim", "--transport", "udp"]);
  assertEquals(sim.code, 2);
  assertTrue(sim.err.join("\n").includes("Cannot use --transport with --sim"), sim.err.join("\n"));
  const bad = await captureMain(["compare", "--transport", "tcp,quic"]);
  assertEquals(bad.code, 2);
  assertTrue(bad.err.join("\n").includes('"quic" is no transport'), bad.err.join("\n"));
});

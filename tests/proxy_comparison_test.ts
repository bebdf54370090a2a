/**
 * The proxy architecture against no proxy, on one Zipf(1.0) workload in the simulator with a
 * fixed 5 ms latency per message (deterministic): the seed's "modelo con proxy o caché" measured.
 * @module
 */
import { runProxy } from "../lab/proxy/command.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

interface Run {
  architecture: string;
  requests: number;
  originRequests: number;
  hitRatio: number;
  latency: { p50: number; p99: number };
  errors: number;
  traceDigest: string;
  withoutProxy: Run;
}

async function compare(seed: number): Promise<Run> {
  const lines: string[] = [];
  const code = await runProxy(
    ["--sim", "--json", "--seed", String(seed), "--delay", "5", "--zipf", "1.0"],
    { log: (line) => lines.push(line) },
  );
  assertEquals(code, 0);
  assertEquals(lines.length, 1);
  return JSON.parse(lines[0]);
}

Deno.test("runProxy() on Zipf(1.0): the proxy cuts origin requests by at least its hit ratio", async () => {
  const run = await compare(1);
  assertEquals([run.architecture, run.withoutProxy.architecture], ["proxy", "client-server"]);
  assertEquals(run.withoutProxy.originRequests, run.withoutProxy.requests);
  assertTrue(run.hitRatio > 0.4, `hit ratio ${run.hitRatio}`);
  assertTrue(
    run.originRequests <= (1 - run.hitRatio) * run.withoutProxy.originRequests,
    `${run.originRequests} origin requests at hit ratio ${run.hitRatio}`,
  );
  assertEquals([run.errors, run.withoutProxy.errors], [0, 0]);
});

Deno.test("runProxy() on Zipf(1.0): the proxy lowers the median latency", async () => {
  const run = await compare(1);
  // A hit is one round trip to the proxy (10 ms); without the proxy every request also pays
  // the origin's work and its queue.
  assertEquals(run.latency.p50, 10);
  assertTrue(
    run.latency.p50 < run.withoutProxy.latency.p50,
    `p50 ${run.latency.p50} ms with the proxy, ${run.withoutProxy.latency.p50} ms without`,
  );
});

Deno.test("runProxy() gives the same trace digest for the same seed", async () => {
  const [a, b, c] = [await compare(7), await compare(7), await compare(8)];
  assertEquals(a.traceDigest, b.traceDigest);
  assertEquals(a.withoutProxy.traceDigest, b.withoutProxy.traceDigest);
  assertTrue(a.traceDigest !== c.traceDigest);
});

Deno.test("runProxy() with the origin crashed for good says its count is unknown, not 0", async () => {
  const lines: string[] = [];
  const code = await runProxy(
    ["--sim", "--seed", "3", "--crash", "origin.lab@200", "--quiet"],
    { log: (line) => lines.push(line) },
  );
  assertEquals(code, 1);
  const text = lines.join("\n");
  assertTrue(/^origin requests +unknown \(down\) with the proxy/m.test(text), text);
  const json: string[] = [];
  await runProxy(["--sim", "--seed", "3", "--crash", "origin.lab@200", "--json"], {
    log: (line) => json.push(line),
  });
  const summary = JSON.parse(json.at(-1)!);
  assertEquals([summary.originRequests, summary.withoutProxy.originRequests], [null, null]);
});

Deno.test("runProxy() reports the latency of answered requests, as client-server does: a timeout counts as an error, not as 5000 ms", async () => {
  // The origin is down for 2950 ms: one request through the proxy waits its 5000 ms and fails.
  const args = ["--sim", "--crash", "origin.lab@50..3000", "--requests", "30"];
  const json: string[] = [];
  await runProxy([...args, "--json"], { log: (line) => json.push(line) });
  const run = JSON.parse(json[0]);
  assertEquals(run.errors, 1);
  assertTrue(run.latency.p99 < 5000, JSON.stringify(run.latency));
  // Every answer was a hit or a miss: the p99 of all answers is the larger of theirs.
  assertEquals(run.latency.p99, Math.max(run.latencyHits.p99, run.latencyMisses.p99));
  const lines: string[] = [];
  await runProxy([...args, "--quiet"], { log: (line) => lines.push(line) });
  const text = lines.join("\n");
  assertTrue(/^latency p99 +3017\.627 ms +3010\.041 ms$/m.test(text), text);
  assertTrue(/^errors +1 +0$/m.test(text), text);
});

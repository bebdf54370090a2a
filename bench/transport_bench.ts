/**
 * The transports a machine can choose, against TCP, in the same run: two hosts on 127.0.0.1
 * (`startHost`, reliable channel on, trace off) over TCP (the baseline), UDP and HTTP.
 *
 * - "transports request/reply": 10 sequential requests and their replies per iteration, from a
 *   client on one host to an echo server on the other: a round trip's cost.
 * - "transports one-way": 2,000 asynchronous sends per iteration into an unbounded mailbox:
 *   throughput (UDP: datagrams the reliable channel acknowledges; HTTP: one request in flight
 *   per peer, the frames queued meanwhile posted together in the next).
 *
 * HTTP is the slow path: every request carries an HTTP head both ways and waits for its answer.
 * Run with `deno bench -A bench/transport_bench.ts`.
 *
 * @module
 */
import { type Host, startHost } from "../core/network/host.ts";
import type { TransportName } from "../core/network/host_network.ts";

const REQUESTS = 10;
const SENDS = 2_000;

/** Two hosts over `transport`, m1 running an echo server. */
async function pair(transport: TransportName): Promise<Host[]> {
  const endpoints = new Map<string, string>();
  const hosts = await Promise.all(["m1.lab", "m2.lab"].map(async (name) => {
    const host = await startHost(name, { transport, resolve: (m) => endpoints.get(m), seed: 1 });
    endpoints.set(name, host.endpoint);
    return host;
  }));
  hosts[0].machine.spawn("echo", async (ctx) => {
    for (;;) {
      const request = await ctx.receive();
      await ctx.reply(request, request.body);
    }
  });
  return hosts;
}

const transports: TransportName[] = ["tcp", "udp", "http"];
const pairs = new Map<TransportName, Host[]>();
for (const transport of transports) pairs.set(transport, await pair(transport));
let round = 0;

/** REQUESTS round trips from m2 to the echo server on m1. */
function roundTrips(hosts: Host[]): Promise<void> {
  const done = Promise.withResolvers<void>();
  hosts[1].machine.spawn(`client${++round}`, async (ctx) => {
    for (let i = 0; i < REQUESTS; i++) await ctx.request("echo@m1.lab", i);
    done.resolve();
  });
  return done.promise;
}

/** SENDS asynchronous sends from m2 to a fresh receiver on m1. */
function oneWay(hosts: Host[]): Promise<void> {
  const done = Promise.withResolvers<void>();
  const rx = `rx${++round}`;
  hosts[0].machine.spawn(rx, async (ctx) => {
    for (let i = 0; i < SENDS; i++) await ctx.receive();
    done.resolve();
  });
  hosts[1].machine.spawn(`tx${round}`, async (ctx) => {
    for (let i = 0; i < SENDS; i++) await ctx.send(`${rx}@m1.lab`, i);
  });
  return done.promise;
}

for (const transport of transports) {
  const hosts = pairs.get(transport)!;
  Deno.bench({
    name: `${transport}: ${REQUESTS} requests and replies`,
    group: "transports request/reply",
    baseline: transport === "tcp",
    async fn() {
      await roundTrips(hosts);
    },
  });
  Deno.bench({
    name: `${transport}: ${SENDS.toLocaleString("en")} sends`,
    group: "transports one-way",
    baseline: transport === "tcp",
    async fn() {
      await oneWay(hosts);
    },
  });
}

// Close every host after the last bench so the run ends cleanly.
globalThis.addEventListener("beforeunload", () => {
  for (const hosts of pairs.values()) for (const host of hosts) void host.close();
});

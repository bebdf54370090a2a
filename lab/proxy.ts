/**
 * `deno task lab proxy`: a caching proxy absorbing a Zipf workload, against the same workload
 * without it; `--serve` runs the real HTTP caching proxy in front of any origin; `--origin-demo`
 * serves a small origin whose routes each show one caching rule.
 * @module
 */
import { wallClock } from "../core/real_runtime.ts";
import type { TraceEvent } from "../core/trace.ts";
import type { ClientReport, OriginStats, ProxyStats } from "../proxy/messages.ts";
import { createDemoOrigin, DEMO_ROUTES } from "../proxy/demo_origin.ts";
import { createHttpProxy, type RequestLog } from "../proxy/http_proxy.ts";
import { serveHttpProxy } from "../proxy/http_serve.ts";
import {
  COMMON_FLAGS,
  COMMON_HELP,
  type CommonOptions,
  intFlag,
  narrate,
  parseCommon,
  parseFlags,
  percentile,
  type Summary,
  table,
  UsageError,
  writeTrace,
} from "./_common.ts";
import { CONTROL_MACHINE, deploy, deployOptions, type MachineSpec } from "./deploy.ts";

const USAGE = `Usage: deno task lab proxy [flags]
       deno task lab proxy --serve --origin URL [--listen HOST:PORT] [--cache-bytes N]
       deno task lab proxy --origin-demo [--listen HOST:PORT]
       deno task lab proxy --serve --origin-demo [--listen HOST:PORT]

Without --serve: an origin (origin@origin.lab), a caching proxy (cache@proxy.lab) and N clients
(client@c1.lab, ...) asking for Zipf-distributed keys; then the same workload with the clients
talking to the origin directly. Prints the hit ratio, origin requests, latency of hits and misses
and the comparison. Each machine is a real OS process over TCP on 127.0.0.1 unless --sim is given.

Workload flags:
  --keys N              distinct keys 0..N-1 (default 100)
  --zipf S              Zipf exponent; 0 is uniform (default 1.0)
  --cache-size N        proxy capacity in entries, LRU beyond (default 20)
  --ttl MS              ms an entry stays fresh (default 10000)
  --clients N           number of clients (default 3)
  --requests N          requests per client (default 100)
  --service-ms MS       work the origin does per request, one at a time (default 2)

HTTP flags:
  --serve               run the HTTP caching proxy until Ctrl-C, one line per request
  --origin URL          the origin to stand in front of (with --serve)
  --origin-demo         serve the demo origin (alone, or behind the proxy with --serve)
  --listen HOST:PORT    where to listen (default 127.0.0.1:8080 with --serve, :8000 for the demo)
  --cache-bytes N       cache size in bytes (default 67108864)
  --stale-if-error S    seconds a stale copy may stand in for a failed origin (default 0)
  --timeout MS          give up on the origin after MS ms (default 10000)
  Purge one URL with: curl -X PURGE http://HOST:PORT/path

${COMMON_HELP}`;

const FLAGS = {
  ...COMMON_FLAGS,
  keys: { type: "string" },
  zipf: { type: "string" },
  "cache-size": { type: "string" },
  ttl: { type: "string" },
  clients: { type: "string" },
  requests: { type: "string" },
  "service-ms": { type: "string" },
  serve: { type: "boolean" },
  origin: { type: "string" },
  "origin-demo": { type: "boolean" },
  listen: { type: "string" },
  "cache-bytes": { type: "string" },
  "stale-if-error": { type: "string" },
  timeout: { type: "string" },
} as const;

/** Options of {@link runProxy}, for embedding and tests. */
export interface RunProxyOptions {
  /** Stops `--serve` and `--origin-demo` when aborted, like Ctrl-C. @default none */
  readonly signal?: AbortSignal;
  /** Receives each line of output. @default console.log */
  readonly log?: (line: string) => void;
  /** Called once the servers listen, with their addresses. @default none */
  readonly onListen?: (addresses: { proxy?: Deno.NetAddr; origin?: Deno.NetAddr }) => void;
}

const ORIGIN = "origin@origin.lab";
const PROXY = "cache@proxy.lab";
const COLLECTOR = `collector@${CONTROL_MACHINE}`;

interface Workload {
  readonly keys: number;
  readonly zipf: number;
  readonly cacheSize: number;
  readonly ttl: number;
  readonly clients: number;
  readonly requests: number;
  readonly serviceMs: number;
}

interface Collected {
  readonly reports: ClientReport[];
  readonly proxy?: ProxyStats;
  readonly origin?: OriginStats;
}

/** A run's summary plus the proxy's figures. */
interface ProxySummary extends Summary {
  hitRatio: number;
  originRequests: number;
}

/**
 * Runs `lab proxy`; returns the exit code (0 ok, 1 the run failed or had errors, 2 bad flags).
 *
 * @example Help
 * ```ts
 * import assert from "node:assert/strict";
 * import { runProxy } from "./proxy.ts";
 * const lines: string[] = [];
 * assert.equal(await runProxy(["--help"], { log: (line) => lines.push(line) }), 0);
 * assert.match(lines.join("\n"), /--cache-size N/);
 * ```
 */
export async function runProxy(args: string[], options: RunProxyOptions = {}): Promise<number> {
  const log = options.log ?? console.log;
  const { values } = parseFlags(args, FLAGS, USAGE);
  if (values.help) {
    log(USAGE);
    return 0;
  }
  if (values.serve || values["origin-demo"]) return await serveMode(values, options, log);
  if (values.origin !== undefined || values.listen !== undefined) {
    throw new UsageError("Cannot use --origin or --listen without --serve or --origin-demo", USAGE);
  }
  return await workloadMode(values, log);
}

function parseListen(text: string): { hostname: string; port: number } {
  const colon = text.lastIndexOf(":");
  const port = Number(text.slice(colon + 1));
  if (colon < 0 || !/^\d+$/.test(text.slice(colon + 1)) || port > 65535) {
    throw new UsageError(
      `Cannot use --listen "${text}": write HOST:PORT, such as 127.0.0.1:8080 (port 0 picks one)`,
      USAGE,
    );
  }
  return { hostname: text.slice(0, colon) || "127.0.0.1", port };
}

function url(addr: Deno.NetAddr): string {
  return `http://${
    addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname
  }:${addr.port}`;
}

async function serveMode(
  values: Record<string, unknown>,
  options: RunProxyOptions,
  log: (line: string) => void,
): Promise<number> {
  const serve = values.serve === true;
  const demo = values["origin-demo"] === true;
  if (serve && !demo && typeof values.origin !== "string") {
    throw new UsageError("Cannot serve: --serve needs --origin URL (or --origin-demo)", USAGE);
  }
  if (serve && demo && typeof values.origin === "string") {
    throw new UsageError("Cannot use --origin with --origin-demo: give one origin", USAGE);
  }
  const listen = parseListen(
    typeof values.listen === "string" ? values.listen : serve ? "127.0.0.1:8080" : "127.0.0.1:8000",
  );
  const maxBytes = intFlag("cache-bytes", values["cache-bytes"], 64 * 1024 * 1024, USAGE, 1);
  const staleIfError = intFlag("stale-if-error", values["stale-if-error"], 0, USAGE);
  const timeout = intFlag("timeout", values.timeout, 10_000, USAGE, 1);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const name of signals) Deno.addSignalListener(name, onSignal);
  options.signal?.addEventListener("abort", onSignal, { once: true });
  const servers: Deno.HttpServer<Deno.NetAddr>[] = [];
  const addresses: { proxy?: Deno.NetAddr; origin?: Deno.NetAddr } = {};
  try {
    let origin = typeof values.origin === "string" ? values.origin : "";
    if (demo) {
      const app = createDemoOrigin({
        now: wallClock,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      });
      const at = serve ? { hostname: "127.0.0.1", port: 0 } : listen;
      const server = Deno.serve({ ...at, onListen: () => {} }, async (request) => {
        const response = await app.fetch(request);
        const path = new URL(request.url).pathname;
        log(`origin: ${request.method} ${path} ${response.status}`);
        return response;
      });
      servers.push(server);
      addresses.origin = server.addr;
      origin = url(server.addr);
      log(`origin: demo origin on ${origin}; routes:`);
      for (const [path, what] of Object.entries(DEMO_ROUTES)) log(`  ${path.padEnd(12)} ${what}`);
    }
    if (serve) {
      const proxy = createHttpProxy(origin, {
        now: wallClock,
        maxBytes,
        staleIfError,
        fetch: (request) => fetch(request, { signal: AbortSignal.timeout(timeout) }),
        onRequest: (entry: RequestLog) =>
          log(
            `${entry.method} ${entry.url} ${entry.status} ${entry.cache} ${entry.ms.toFixed(1)} ms`,
          ),
      });
      const server = serveHttpProxy(proxy, listen);
      servers.push(server);
      addresses.proxy = server.addr;
      log(`proxy: caching ${origin} on ${url(server.addr)} (Ctrl-C stops)`);
      log(`  try: curl -i ${url(server.addr)}/${demo ? "fresh" : ""}`);
      stop.signal.addEventListener("abort", () => {
        const s = proxy.stats();
        log(
          `proxy: ${s.hits} hits, ${s.misses} misses, ${s.revalidated} revalidated, ${s.stale} stale, ` +
            `${s.originFetches} origin fetches, ${s.entries} entries (${s.bytes} bytes)`,
        );
      }, { once: true });
    }
    options.onListen?.(addresses);
    if (!stop.signal.aborted) {
      await new Promise<void>((resolve) =>
        stop.signal.addEventListener("abort", () => resolve(), { once: true })
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    console.error(`proxy: Cannot serve: ${(error as Error).message}`);
    return 1;
  } finally {
    for (const name of signals) Deno.removeSignalListener(name, onSignal);
    options.signal?.removeEventListener("abort", onSignal);
    for (const server of servers.reverse()) await server.shutdown();
  }
}

function parseWorkload(values: Record<string, unknown>): Workload {
  const zipf = values.zipf === undefined ? 1 : Number(values.zipf);
  if (!(zipf >= 0) || !Number.isFinite(zipf)) {
    throw new UsageError(`Cannot use --zipf "${values.zipf}": give a number >= 0`, USAGE);
  }
  return {
    keys: intFlag("keys", values.keys, 100, USAGE, 1),
    zipf,
    cacheSize: intFlag("cache-size", values["cache-size"], 20, USAGE, 1),
    ttl: intFlag("ttl", values.ttl, 10_000, USAGE),
    clients: intFlag("clients", values.clients, 3, USAGE, 1),
    requests: intFlag("requests", values.requests, 100, USAGE, 1),
    serviceMs: intFlag("service-ms", values["service-ms"], 2, USAGE),
  };
}

/** The machines of one run: origin, clients, and the proxy when `withProxy`. */
function topology(w: Workload, withProxy: boolean): MachineSpec[] {
  const machines: MachineSpec[] = [{
    name: "origin.lab",
    processes: [{ name: "origin", program: "proxy-origin", args: { serviceMs: w.serviceMs } }],
  }];
  if (withProxy) {
    machines.push({
      name: "proxy.lab",
      processes: [{
        name: "cache",
        program: "proxy-cache",
        args: { origin: ORIGIN, capacity: w.cacheSize, ttl: w.ttl },
      }],
    });
  }
  for (let i = 1; i <= w.clients; i++) {
    machines.push({
      name: `c${i}.lab`,
      processes: [{
        name: "client",
        program: "proxy-client",
        args: {
          target: withProxy ? PROXY : ORIGIN,
          waitFor: withProxy ? [ORIGIN, PROXY] : [ORIGIN],
          collector: COLLECTOR,
          keys: w.keys,
          zipf: w.zipf,
          requests: w.requests,
        },
      }],
    });
  }
  return machines;
}

/** Runs one deployment; returns its summary (and writes the trace when `traceFile`). */
async function runOnce(
  w: Workload,
  common: CommonOptions,
  withProxy: boolean,
  traceFile: string | undefined,
): Promise<{ summary: ProxySummary; collected: Collected }> {
  const onEvent = common.quiet ? undefined : (event: TraceEvent) => {
    const line = narrate(event);
    if (line !== undefined) console.log(line);
  };
  const deployment = await deploy(topology(w, withProxy), deployOptions(common, onEvent));
  try {
    for (const p of common.partitions) {
      deployment.partition(p.a, p.b, { at: p.at, until: p.until, oneWay: p.oneWay });
    }
    for (const c of common.crashes) {
      deployment.crash(c.machine, { at: c.at, restartAt: c.restartAt });
    }
    const done = Promise.withResolvers<Collected>();
    // Wait long enough for every request to time out once, then give up on silent clients.
    const patience = w.requests * 5000 + 10_000;
    deployment.spawnControl("collector", async (ctx) => {
      const reports: ClientReport[] = [];
      try {
        while (reports.length < w.clients) {
          reports.push(
            (await ctx.receive<ClientReport>({ kind: "report", timeout: patience })).body,
          );
        }
      } catch {
        // A client crashed or was cut off: report what arrived.
      }
      const ask = async <T>(to: string): Promise<T | undefined> => {
        try {
          return (await ctx.request<T>(to, { kind: "stats" }, { timeout: 5000 })).body;
        } catch {
          return undefined;
        }
      };
      const origin = await ask<OriginStats>(ORIGIN);
      const proxy = withProxy ? await ask<ProxyStats>(PROXY) : undefined;
      done.resolve({ reports, origin, proxy });
    });
    await deployment.run(done.promise);
    const collected = await done.promise;
    const trace = deployment.trace;
    if (traceFile) await writeTrace(trace, traceFile);
    const reports = collected.reports;
    const latencies = reports.flatMap((r) => r.latencies);
    const outcomes = reports.flatMap((r) => r.outcomes);
    const requests = w.clients * w.requests;
    const missing = (w.clients - reports.length) * w.requests;
    // Messages between machines, without the collector's: the proxy's hand-offs to its own
    // fetcher processes stay on one machine and are not network messages.
    let messages = 0;
    for (const e of trace.events) {
      if (e.ev !== "send" || e.from === undefined || e.to === undefined) continue;
      const from = e.from.slice(e.from.indexOf("@") + 1), to = e.to.slice(e.to.indexOf("@") + 1);
      if (from !== to && from !== CONTROL_MACHINE && to !== CONTROL_MACHINE) messages++;
    }
    const hits = outcomes.filter((o) => o === "hit").length;
    const summary: ProxySummary = {
      architecture: withProxy ? "proxy" : "client-server",
      transport: deployment.transport,
      seed: common.seed,
      requests,
      messages,
      bytes: deployment.stats().bytes,
      latency: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
      retransmissions: trace.count("retransmit"),
      errors: reports.reduce((n, r) => n + r.errors, 0) + missing,
      traceDigest: trace.digest(),
      hitRatio: requests === 0 ? 0 : Math.round((hits / requests) * 10_000) / 10_000,
      originRequests: collected.origin?.requests ?? 0,
    };
    return { summary, collected };
  } finally {
    await deployment.stop();
  }
}

function latencyOf(
  reports: readonly ClientReport[],
  wanted: (o: string) => boolean,
): { count: number; p50: number; p99: number } {
  const values: number[] = [];
  for (const r of reports) {
    r.outcomes.forEach((o, i) => {
      if (wanted(o)) values.push(r.latencies[i]);
    });
  }
  return { count: values.length, p50: percentile(values, 50), p99: percentile(values, 99) };
}

async function workloadMode(
  values: Record<string, unknown>,
  log: (line: string) => void,
): Promise<number> {
  const common = parseCommon(values, USAGE);
  const w = parseWorkload(values);
  const where = common.sim
    ? `simulator (seed ${common.seed})`
    : "OS processes over TCP on 127.0.0.1";
  if (!common.quiet) {
    log(
      `proxy: Zipf(${w.zipf}) over ${w.keys} keys, ${w.clients} clients x ${w.requests} requests, ` +
        `cache ${w.cacheSize} entries, TTL ${w.ttl} ms, ${where}`,
    );
    log("== with the proxy ==");
  }
  const proxied = await runOnce(w, common, true, common.trace);
  if (!common.quiet) log("== without the proxy (clients ask the origin) ==");
  const direct = await runOnce(w, common, false, undefined);
  const main = proxied.summary, alone = direct.summary;
  const hits = latencyOf(proxied.collected.reports, (o) => o === "hit");
  const misses = latencyOf(proxied.collected.reports, (o) => o === "miss");
  const stats = proxied.collected.proxy;
  const p = (n: number) => `${n.toFixed(3)} ms`;
  if (common.json) {
    log(JSON.stringify({
      ...main,
      hits: hits.count,
      misses: misses.count,
      stale: stats?.stale ?? 0,
      coalesced: stats?.coalesced ?? 0,
      evictions: stats?.evictions ?? 0,
      latencyHits: { p50: hits.p50, p99: hits.p99 },
      latencyMisses: { p50: misses.p50, p99: misses.p99 },
      withoutProxy: alone,
    }));
  } else {
    log("");
    log(table([
      [
        "hit ratio",
        `${(main.hitRatio * 100).toFixed(1)}% (${hits.count} hits, ${misses.count} misses, ${
          stats?.stale ?? 0
        } stale)`,
      ],
      [
        "origin requests",
        `${main.originRequests} with the proxy, ${alone.originRequests} without (coalesced ${
          stats?.coalesced ?? 0
        }, evictions ${stats?.evictions ?? 0})`,
      ],
      ["latency of hits", `p50 ${p(hits.p50)}  p99 ${p(hits.p99)}`],
      ["latency of misses", `p50 ${p(misses.p50)}  p99 ${p(misses.p99)}`],
    ]));
    log("");
    const row = (name: string, a: string | number, b: string | number): [string, string] => [
      name,
      `${String(a).padEnd(18)}${b}`,
    ];
    log(table([
      row("", "with proxy", "without"),
      row("transport", main.transport, alone.transport),
      row("requests", main.requests, alone.requests),
      row("origin requests", main.originRequests, alone.originRequests),
      row("messages", main.messages, alone.messages),
      row("bytes", main.bytes, alone.bytes),
      row("latency p50", p(main.latency.p50), p(alone.latency.p50)),
      row("latency p99", p(main.latency.p99), p(alone.latency.p99)),
      row("retransmissions", main.retransmissions, alone.retransmissions),
      row("errors", main.errors, alone.errors),
      row("trace digest", main.traceDigest.slice(0, 16), alone.traceDigest.slice(0, 16)),
    ]));
    if (common.trace) log(`trace of the run with the proxy written to ${common.trace}`);
  }
  return main.errors + alone.errors > 0 ? 1 : 0;
}

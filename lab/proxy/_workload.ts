/**
 * One workload run of `lab proxy`: the origin, the clients and (when asked) the caching proxy
 * deployed as machines; a collector gathers the clients' reports and the servers' counters, and
 * the run is summed up.
 * @module
 */
import { delayedArgs, delayTimeout } from "../_delay_timeouts.ts";
import type { Latency } from "../../core/latency.ts";
import { TimeoutError, UnknownProcessError } from "../../core/errors.ts";
import type { ProcessContext, ProcessFn } from "../../core/process.ts";
import type { TraceEvent } from "../../core/trace.ts";
import type {
  ClientProgress,
  ClientReport,
  OriginStats,
  ProxyStats,
} from "../../proxy/messages.ts";
import { type CommonOptions, narrate, percentile, saveTrace, type Summary } from "../_common.ts";
import type { Workload } from "./_flags.ts";
import {
  CONTROL_MACHINE,
  deploy,
  type Deployment,
  deployOptions,
  type MachineSpec,
} from "../deploy/deploy.ts";
import { lostFields, runUnlessLost } from "../deploy/lost_run.ts";
import { scheduleFaultFlags } from "../deploy/_fault_flags.ts";
import type { MachineLostError } from "../deploy/run_errors.ts";

const ORIGIN = "origin@origin.lab";
const PROXY = "cache@proxy.lab";
const COLLECTOR = `collector@${CONTROL_MACHINE}`;

/** What the collector gathered in one run. */
export interface Collected {
  /** One report per client that answered. */
  readonly reports: ClientReport[];
  /** The proxy's counters (runs with the proxy). */
  readonly proxy?: ProxyStats;
  /** The origin's counters. */
  readonly origin?: OriginStats;
}

/** A run's summary plus the proxy's figures. */
export interface ProxySummary extends Summary {
  hitRatio: number;
  /** Requests the origin served, by its own count; `null` when it did not answer (down). */
  originRequests: number | null;
  /** Why the run did not finish (a machine died for good), when it did not. */
  unfinished?: string[];
  /** The machines that died and were not restarted, when any did. */
  machinesLost?: string[];
}

/** Asks `to` for its counters; `undefined` when it is down or does not answer in `timeout` ms. */
async function askStats<T>(
  ctx: ProcessContext,
  to: string,
  timeout = 5000,
): Promise<T | undefined> {
  try {
    return (await ctx.request<T>(to, { kind: "stats" }, { timeout })).body;
  } catch (error) {
    // Down or cut off: no stats from it.
    if (!(error instanceof TimeoutError || error instanceof UnknownProcessError)) throw error;
    return undefined;
  }
}

/** The machines of one run: origin, clients, and the proxy when `withProxy`. */
function topology(
  w: Workload,
  withProxy: boolean,
  options: { progressEvery?: number; latency?: Latency },
): MachineSpec[] {
  const { progressEvery, latency } = options;
  const waits = delayedWaits(latency, withProxy);
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
        args: { origin: ORIGIN, capacity: w.cacheSize, ttl: w.ttl, ...waits.proxy },
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
          // Real runs: progress every few requests, counted when a dead machine cuts the run.
          ...(progressEvery === undefined ? {} : { progressEvery }),
          ...waits.client,
        },
      }],
    });
  }
  return machines;
}

/**
 * The waits `--delay` needs longer than their defaults (left out when the default suffices, so
 * a run without a long delay starts its programs as before): a client's probe that a service is
 * up (a round trip), its wait for a reply (4 trips through the proxy, 2 without), and the
 * proxy's wait for the origin (a round trip).
 */
function delayedWaits(
  latency: Latency | undefined,
  withProxy: boolean,
): { client: Record<string, number>; proxy: Record<string, number> } {
  return {
    client: {
      ...delayedArgs(latency, { timeout: CLIENT_TIMEOUT }, withProxy ? 4 : 2),
      ...delayedArgs(latency, { probeTimeout: 1000 }),
    },
    proxy: delayedArgs(latency, { timeout: 5000 }),
  };
}

/** The `proxy-client`'s default wait for a reply, in ms. */
const CLIENT_TIMEOUT = 5000;

/** A client's wait for a reply: {@link CLIENT_TIMEOUT}, or longer when `latency` needs it. */
function clientTimeout(latency: Latency | undefined, withProxy: boolean): number {
  return delayTimeout(CLIENT_TIMEOUT, latency, withProxy ? 4 : 2);
}

/** How {@link runOnce} deploys. */
export interface RunOnceOptions {
  /** The common run flags. */
  readonly common: CommonOptions;
  /** Put the caching proxy between the clients and the origin. */
  readonly withProxy: boolean;
  /** Write the trace there. */
  readonly traceFile: string | undefined;
}

/** Runs one deployment; returns its summary (and writes the trace when `traceFile`). */
export async function runOnce(
  w: Workload,
  options: RunOnceOptions,
): Promise<{ summary: ProxySummary; collected: Collected; lost?: MachineLostError }> {
  const { common, withProxy, traceFile } = options;
  const onEvent = common.quiet ? undefined : (event: TraceEvent) => {
    const line = narrate(event);
    if (line !== undefined) console.log(line);
  };
  // The simulator's runs stay as they were (same seed, same trace); real ones report progress.
  const progressEvery = common.sim ? undefined : PROGRESS_EVERY;
  const deployment = await deploy(
    topology(w, withProxy, { progressEvery, latency: common.latency }),
    deployOptions(common, onEvent),
  );
  try {
    scheduleFaults(deployment, common, withProxy);
    const done = Promise.withResolvers<Collected>();
    /** The clients' reports so far: what a run that lost a machine still sums up. */
    const reports: ClientReport[] = [];
    /** The progress of the clients that have not reported yet, by client. */
    const progress = new Map<string, ClientProgress[]>();
    deployment.spawnControl(
      "collector",
      collector(w, withProxy, { reports, progress }, {
        resolve: done.resolve,
        timeout: clientTimeout(common.latency, withProxy),
      }),
    );
    const lost = await runUnlessLost(deployment, done.promise);
    const collected = lost === undefined
      ? await done.promise
      : await lateStats(deployment, lost, withProxy, { reports, progress });
    const trace = deployment.trace;
    // The run with the proxy is the one --trace and --out keep.
    if (withProxy) await saveTrace(trace, { sim: common.sim, trace: traceFile });
    // The clients that reported, then what the others said in their progress messages.
    const outcomes = collected.reports.flatMap((r) => r.outcomes);
    // Latency of answered requests, as client-server's: a failure counts among the errors,
    // not as the time it took to give up.
    const latencies = collected.reports.flatMap((r) => r.latencies)
      .filter((_, i) => outcomes[i] !== "error");
    const requests = w.clients * w.requests;
    const made = collected.reports.reduce((n, r) => n + r.requests, 0);
    const missing = requests - made;
    const silent = w.clients - reports.length;
    const hits = outcomes.filter((o) => o === "hit").length;
    const summary: ProxySummary = {
      architecture: withProxy ? "proxy" : "client-server",
      transport: deployment.transport,
      seed: common.seed,
      requests,
      messages: machineMessages(trace.events),
      bytes: deployment.stats().bytes,
      latency: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
      retransmissions: trace.count("retransmit"),
      errors: collected.reports.reduce((n, r) => n + r.errors, 0) + missing,
      traceDigest: trace.digest(),
      hitRatio: requests === 0 ? 0 : Math.round((hits / requests) * 10_000) / 10_000,
      originRequests: collected.origin?.requests ?? null,
      ...lostFields(
        lost,
        silent > 0 ? [notReported(silent, w.clients, made - reports.length * w.requests)] : [],
      ),
    };
    return { summary, collected, lost };
  } finally {
    await deployment.stop();
  }
}

/** Real runs: each client sends its collector a progress message after this many requests. */
const PROGRESS_EVERY = 5;

/** The clients that did not report, as reports of the requests their progress messages count. */
function progressReports(progress: ReadonlyMap<string, readonly ClientProgress[]>): ClientReport[] {
  return [...progress].map(([client, steps]) => {
    const outcomes = steps.flatMap((p) => p.outcomes);
    return {
      kind: "report",
      client,
      requests: outcomes.length,
      errors: outcomes.filter((o) => o === "error").length,
      latencies: steps.flatMap((p) => p.latencies),
      outcomes,
    };
  });
}

/** The sentence on the clients that did not report, and the requests their progress counted. */
function notReported(silent: number, clients: number, counted: number): string {
  const progress = counted > 0
    ? ` (their progress messages count the ${counted} requests they made before)`
    : "";
  return `${silent} of ${clients} clients did not report${progress}`;
}

/** What the collector heard from the clients: their reports, and the progress of the others. */
interface Heard {
  readonly reports: ClientReport[];
  readonly progress: Map<string, ClientProgress[]>;
}

/** Schedules the run's partitions and crashes; without the proxy, those naming proxy.lab go. */
function scheduleFaults(
  deployment: Deployment,
  common: CommonOptions,
  withProxy: boolean,
): void {
  scheduleFaultFlags(deployment, common, { keep: (name) => withProxy || name !== "proxy.lab" });
}

/**
 * The collector on `ctl.lab`: gathers every client's report (and, until it comes, its progress
 * messages) into `heard` (giving up on silent clients once each request could have timed out),
 * then asks the origin and the proxy for their counters.
 */
function collector(
  w: Workload,
  withProxy: boolean,
  heard: Heard,
  end: { resolve: (collected: Collected) => void; timeout: number },
): ProcessFn {
  const { reports, progress } = heard;
  const { resolve } = end;
  // Wait long enough for every request to time out once, then give up on silent clients.
  const patience = w.requests * end.timeout + 10_000;
  return async (ctx) => {
    try {
      while (reports.length < w.clients) {
        const { body } = await ctx.receive<ClientReport | ClientProgress>({
          kind: ["report", "progress"],
          timeout: patience,
        });
        if (body.kind === "report") {
          reports.push(body);
          progress.delete(body.client);
        } else progress.set(body.client, [...progress.get(body.client) ?? [], body]);
      }
    } catch (error) {
      // A client crashed or was cut off: report what arrived.
      if (!(error instanceof TimeoutError)) throw error;
    }
    const origin = await askStats<OriginStats>(ctx, ORIGIN);
    const proxy = withProxy ? await askStats<ProxyStats>(ctx, PROXY) : undefined;
    resolve({ reports: [...reports, ...progressReports(progress)], origin, proxy });
  };
}

/**
 * After a machine died for good (real sockets: the others still run): the counters of the
 * servers still alive, asked once with a short timeout, with the reports that arrived.
 */
function lateStats(
  deployment: Deployment,
  lost: MachineLostError,
  withProxy: boolean,
  heard: Heard,
): Promise<Collected> {
  const { reports, progress } = heard;
  const dead = new Set(lost.lost.map((l) => l.machine));
  const late = Promise.withResolvers<Collected>();
  deployment.spawnControl("late-stats", async (ctx) => {
    const origin = dead.has("origin.lab")
      ? undefined
      : await askStats<OriginStats>(ctx, ORIGIN, 1000);
    const proxy = withProxy && !dead.has("proxy.lab")
      ? await askStats<ProxyStats>(ctx, PROXY, 1000)
      : undefined;
    late.resolve({ reports: [...reports, ...progressReports(progress)], origin, proxy });
  });
  return late.promise;
}

/**
 * Messages between machines, without the collector's: the proxy's hand-offs to its own fetcher
 * processes stay on one machine and are not network messages.
 */
function machineMessages(events: Iterable<TraceEvent>): number {
  let messages = 0;
  for (const e of events) {
    if (e.ev !== "send" || e.from === undefined || e.to === undefined) continue;
    const from = e.from.slice(e.from.indexOf("@") + 1), to = e.to.slice(e.to.indexOf("@") + 1);
    if (from !== to && from !== CONTROL_MACHINE && to !== CONTROL_MACHINE) messages++;
  }
  return messages;
}

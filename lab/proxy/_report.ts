/**
 * The report of `lab proxy`'s comparison: hit ratio, origin requests and the latency of hits
 * and misses, then the run with the proxy beside the run without it (or one JSON line).
 * @module
 */
import type { ClientReport } from "../../proxy/messages.ts";
import { type CommonOptions, latencyRows, percentile, table } from "../_common.ts";
import type { Collected, ProxySummary } from "./_workload.ts";
import { keepSummary } from "../results/session.ts";
import { printPartial } from "../deploy/lost_run.ts";

/** One workload run's summary and what its collector gathered. */
export interface ProxyRun {
  readonly summary: ProxySummary;
  readonly collected: Collected;
}

/** Where {@link printProxyComparison} writes and in which form. */
export interface PrintProxyOptions {
  /** The common run flags (`json`, `trace`). */
  readonly common: CommonOptions;
  /** Receives each line. */
  readonly log: (line: string) => void;
}

/**
 * Prints the run with the proxy (`proxied`) against the run without it (`direct`); a run that
 * lost a machine for good is marked partial (`direct` is then undefined when it was the run with
 * the proxy: no comparison is run).
 */
export function printProxyComparison(
  proxied: ProxyRun,
  direct: ProxyRun | undefined,
  options: PrintProxyOptions,
): void {
  const { common, log } = options;
  const figures = figuresOf(proxied, direct);
  const json = keepSummary(summaryOf(figures));
  if (common.json) {
    log(JSON.stringify(json));
    return;
  }
  log("");
  printPartial(figures.lost, log);
  log(table(cacheRows(figures)));
  log("");
  if (figures.alone === undefined) {
    log(table(runRows(figures.main)));
    log("(the run without the proxy was not made: a machine of the run with it died)");
    return;
  }
  log(table(comparisonRows(figures.main, figures.alone)));
  if (common.trace) log(`trace of the run with the proxy written to ${common.trace}`);
}

/** Latency percentiles of one kind of answer, and how many there were. */
interface Latency {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
}

/** What the report says, gathered from both runs. */
interface Figures {
  readonly main: ProxySummary;
  readonly alone: ProxySummary | undefined;
  /** What did not finish and the machines lost, in either run; `{}` when all finished. */
  readonly lost: { unfinished?: string[]; machinesLost?: string[] };
  readonly hits: Latency;
  readonly misses: Latency;
  readonly stats: Collected["proxy"];
}

function figuresOf(proxied: ProxyRun, direct: ProxyRun | undefined): Figures {
  const main = proxied.summary, alone = direct?.summary;
  // What did not finish, in either run (the one without the proxy says which it is).
  const unfinished = [
    ...main.unfinished ?? [],
    ...(alone?.unfinished ?? []).map((line) => `without the proxy: ${line}`),
  ];
  const lost = unfinished.length === 0 ? {} : {
    unfinished,
    machinesLost: [...new Set([...main.machinesLost ?? [], ...alone?.machinesLost ?? []])],
  };
  return {
    main,
    alone,
    lost,
    hits: latencyOf(proxied.collected.reports, (o) => o === "hit"),
    misses: latencyOf(proxied.collected.reports, (o) => o === "miss"),
    stats: proxied.collected.proxy,
  };
}

/** The `--json` object (its keys in this order). */
function summaryOf({ main, alone, lost, hits, misses, stats }: Figures): Record<string, unknown> {
  return {
    ...main,
    hits: hits.count,
    misses: misses.count,
    stale: stats?.stale ?? 0,
    coalesced: stats?.coalesced ?? 0,
    evictions: stats?.evictions ?? 0,
    latencyHits: { p50: hits.p50, p99: hits.p99 },
    latencyMisses: { p50: misses.p50, p99: misses.p99 },
    withoutProxy: alone ?? null,
    proxy: stats ?? null,
    ...lost,
  };
}

const ms = (n: number): string => `${n.toFixed(3)} ms`;

/** The origin's count, or why there is none: a dead origin's counter went with it. */
const originCount = (run: ProxySummary): string | number => run.originRequests ?? "unknown (down)";

/** A latency's p50 and p99, or `none` and why when it has no sample. */
function spread(l: { count: number; p50: number; p99: number }, whyNone: string): string {
  return l.count === 0 ? `none: ${whyNone}` : `p50 ${ms(l.p50)}  p99 ${ms(l.p99)}`;
}

/**
 * A run's latency rows: of its answered requests (its errors have their own row), or `none`
 * when it answered none; client-server's rows.
 */
function latencyOfRun(run: ProxySummary): [string, string][] {
  return latencyRows(run.latency, run.requests - run.errors, "", "no request was answered");
}

/** The cache's rows: hit ratio, origin requests, latency of hits and misses. */
function cacheRows({ main, alone, hits, misses, stats }: Figures): [string, string][] {
  return [
    [
      "hit ratio",
      `${(main.hitRatio * 100).toFixed(1)}% (${hits.count} hits, ${misses.count} misses, ${
        stats?.stale ?? 0
      } stale)`,
    ],
    [
      "origin requests",
      `${originCount(main)} with the proxy, ${
        alone === undefined ? "not run" : originCount(alone)
      } without ` +
      `(coalesced ${stats?.coalesced ?? 0}, evictions ${stats?.evictions ?? 0})`,
    ],
    ["latency of hits", spread(hits, "no hit")],
    ["latency of misses", spread(misses, "no miss")],
    ...(main.machinesLost === undefined ? [] : [
      ["machines lost", main.machinesLost.join(", ")] as [string, string],
    ]),
  ];
}

/** The rows of the run with the proxy alone (the one without it was not made). */
function runRows(main: ProxySummary): [string, string | number][] {
  return [
    ["transport", main.transport],
    ["requests", main.requests],
    ["messages", main.messages],
    ["bytes", main.bytes],
    ...latencyOfRun(main),
    ["retransmissions", main.retransmissions],
    ["errors", main.errors],
    ["trace digest", main.traceDigest.slice(0, 16)],
  ];
}

/** The run with the proxy beside the run without it, row by row. */
function comparisonRows(main: ProxySummary, alone: ProxySummary): [string, string][] {
  const row = (name: string, a: string | number, b: string | number): [string, string] => [
    name,
    `${String(a).padEnd(18)}${b}`,
  ];
  return [
    row("", "with proxy", "without"),
    row("transport", main.transport, alone.transport),
    row("requests", main.requests, alone.requests),
    row("origin requests", originCount(main), originCount(alone)),
    row("messages", main.messages, alone.messages),
    row("bytes", main.bytes, alone.bytes),
    ...latencyOfRun(main).map(([name, cell], i) => row(name, cell, latencyOfRun(alone)[i][1])),
    row("retransmissions", main.retransmissions, alone.retransmissions),
    row("errors", main.errors, alone.errors),
    row("trace digest", main.traceDigest.slice(0, 16), alone.traceDigest.slice(0, 16)),
  ];
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

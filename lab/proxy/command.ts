/**
 * `deno task lab proxy`: a caching proxy absorbing a Zipf workload, against the same workload
 * without it; `--serve` runs the real HTTP caching proxy in front of any origin; `--origin-demo`
 * serves a small origin whose routes each show one caching rule.
 * @module
 */
import { checkFaultTargets, openFlags, parseCommon, refuseFlags, UsageError } from "../_common.ts";
import { parseWorkload, PROXY_FLAGS, PROXY_USAGE as USAGE } from "./_flags.ts";
import { printProxyComparison } from "./_report.ts";
import { serveMode } from "./_serve.ts";
import { runOnce } from "./_workload.ts";

/** Options of {@link runProxy}, for embedding and tests. */
export interface RunProxyOptions {
  /** Stops `--serve` and `--origin-demo` when aborted, like Ctrl-C. @default none */
  readonly signal?: AbortSignal;
  /**
   * Receives each line of output. @default console.log (request lines of `--serve` are then
   * written in batches, one write per batch)
   */
  readonly log?: (line: string) => void;
  /** Called once the servers listen, with their addresses. @default none */
  readonly onListen?: (addresses: { proxy?: Deno.NetAddr; origin?: Deno.NetAddr }) => void;
}

/**
 * Runs `lab proxy`; returns the exit code (0 ok, 1 the run failed or had errors, 2 bad flags).
 *
 * @example Help
 * ```ts
 * import assert from "node:assert/strict";
 * import { runProxy } from "./command.ts";
 * const lines: string[] = [];
 * assert.equal(await runProxy(["--help"], { log: (line) => lines.push(line) }), 0);
 * assert.match(lines.join("\n"), /--cache-size N/);
 * ```
 */
export async function runProxy(args: string[], options: RunProxyOptions = {}): Promise<number> {
  const log = options.log ?? console.log;
  const opened = openFlags(args, PROXY_FLAGS, USAGE, log);
  if (opened === undefined) return 0;
  const { values } = opened;
  if (values.serve || values["origin-demo"]) {
    const reason = "it applies to the workload run, not to --serve or --origin-demo (real HTTP)";
    refuseFlags(values, {
      ...Object.fromEntries(WORKLOAD_ONLY.map((flag) => [flag, reason])),
      transport: "--serve and --origin-demo are real HTTP servers, not machines over the core's " +
        "transports; drop --transport, or use it without --serve (lab proxy --transport udp)",
    }, USAGE);
    const writeLines = options.log === undefined
      ? (lines: readonly string[]) => console.log(lines.join("\n"))
      : (lines: readonly string[]) => lines.forEach((line) => log(line));
    return await serveMode(values, { ...options, log, writeLines });
  }
  if (values.origin !== undefined || values.listen !== undefined) {
    throw new UsageError("Cannot use --origin or --listen without --serve or --origin-demo", USAGE);
  }
  const serveOnly = "it applies to --serve (the HTTP caching proxy) only";
  refuseFlags(values, Object.fromEntries(SERVE_ONLY.map((flag) => [flag, serveOnly])), USAGE);
  return await workloadMode(values, log);
}

/** Flags of the workload run that mean nothing to the HTTP modes. */
const WORKLOAD_ONLY = [
  "sim",
  "seed",
  "drop",
  "dup",
  "reorder",
  "delay",
  "partition",
  "crash",
  "unreliable",
  "auth",
  "encrypt",
  "json",
  "trace",
  "keys",
  "zipf",
  "cache-size",
  "ttl",
  "clients",
  "requests",
  "service-ms",
];

/** Flags of the HTTP proxy that mean nothing to the workload run. */
const SERVE_ONLY = [
  "cache-bytes",
  "stale-if-error",
  "timeout",
  "max-object-bytes",
  "max-storing-bytes",
  "cache-cookies",
  "purge-token",
  "max-connections",
  "header-timeout",
  "idle-timeout",
  "max-body-bytes",
];

async function workloadMode(
  values: Record<string, unknown>,
  log: (line: string) => void,
): Promise<number> {
  const common = parseCommon(values, USAGE);
  const w = parseWorkload(values);
  const machines = [
    "origin.lab",
    "proxy.lab",
    ...Array.from({ length: w.clients }, (_, i) => `c${i + 1}.lab`),
  ];
  checkFaultTargets(common, machines, USAGE);
  const where = common.sim
    ? `simulator (seed ${common.seed})`
    : `OS processes over ${common.transport.toUpperCase()} on 127.0.0.1`;
  if (!common.quiet) {
    log(
      `proxy: Zipf(${w.zipf}) over ${w.keys} keys, ${w.clients} clients x ${w.requests} requests, ` +
        `cache ${w.cacheSize} entries, TTL ${w.ttl} ms, ${where}`,
    );
    log("== with the proxy ==");
  }
  const proxied = await runOnce(w, { common, withProxy: true, traceFile: common.trace });
  if (proxied.lost !== undefined) {
    // A machine died for good: what the run with the proxy measured, without a comparison.
    printProxyComparison(proxied, undefined, { common, log });
    return 1;
  }
  if (!common.quiet) log("== without the proxy (clients ask the origin) ==");
  const direct = await runOnce(w, { common, withProxy: false, traceFile: undefined });
  printProxyComparison(proxied, direct, { common, log });
  return proxied.summary.errors + direct.summary.errors > 0 || direct.lost !== undefined ? 1 : 0;
}

/**
 * The command line of `lab proxy`: its usage text, its flags, and the parsing of the workload
 * flags and of `--listen`, with a {@link UsageError} for every mistake.
 * @module
 */
import { COMMON_FLAGS, COMMON_HELP, intFlag, UsageError } from "../_common.ts";

/** Usage text of `lab proxy`. */
export const PROXY_USAGE = `Usage: deno task lab proxy [flags]
       deno task lab proxy --serve --origin URL [--listen HOST:PORT] [--cache-bytes N]
       deno task lab proxy --origin-demo [--listen HOST:PORT]
       deno task lab proxy --serve --origin-demo [--listen HOST:PORT]

Without --serve: an origin (origin@origin.lab), a caching proxy (cache@proxy.lab) and N clients
(client@c1.lab, ...) asking for Zipf-distributed keys; then the same workload with the clients
talking to the origin directly. Prints the hit ratio, origin requests, latency of hits and misses
and the comparison.

Runs on: the workload run uses OS processes over TCP on 127.0.0.1, one per machine (default), or
the deterministic simulator with --sim; --serve and --origin-demo serve real HTTP on 127.0.0.1.

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
                        (buffered, written about every 100 ms; -q/--quiet writes none)
  --origin URL          the origin to stand in front of (with --serve)
  --origin-demo         serve the demo origin (alone, or behind the proxy with --serve)
  --listen HOST:PORT    where to listen (default 127.0.0.1:8080 with --serve, :8000 for the demo)
  --cache-bytes N       cache size in bytes (default 67108864)
  --stale-if-error S    seconds a stale copy may stand in for a failed origin (default 0)
  --timeout MS          give up on the origin after MS ms (default 10000)
  --max-object-bytes N  largest response stored; larger ones are streamed (default 8388608)
  --max-storing-bytes N bytes all responses being stored may hold together while they
                        stream; past it a response streams unstored (default: --cache-bytes)
  --cache-cookies       store responses that carry Set-Cookie (default: never)
  --purge-token T       PURGE needs "Authorization: Bearer T" (default: loopback clients only)
  --max-connections N   open client connections at most; more get 503 (default 1024)
  --header-timeout MS   a request head must arrive within MS ms (default 10000)
  --idle-timeout MS     an idle keep-alive connection, or a body or answer moving under 1 KiB
                        per MS ms, closes after MS ms (default 60000)
  --max-body-bytes N    largest request body, chunked included; larger gets 413 (default 1048576)
  Purge one URL with: curl -X PURGE http://HOST:PORT/path

${COMMON_HELP}

Examples:
  deno task lab proxy
  deno task lab proxy --sim --seed 7 --drop 0.2 --trace proxy.mmd
  deno task lab proxy --sim --crash origin.lab@50..400          # misses fail, hits still served
  deno task lab proxy --serve --origin-demo --listen 127.0.0.1:8080`;
const USAGE = PROXY_USAGE;

/** The flags `lab proxy` accepts. */
export const PROXY_FLAGS = {
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
  "max-object-bytes": { type: "string" },
  "max-storing-bytes": { type: "string" },
  "cache-cookies": { type: "boolean" },
  "purge-token": { type: "string" },
  "max-connections": { type: "string" },
  "header-timeout": { type: "string" },
  "idle-timeout": { type: "string" },
  "max-body-bytes": { type: "string" },
} as const;

/** The workload of one comparison run. */
export interface Workload {
  /** Distinct keys 0..keys-1. */
  readonly keys: number;
  /** Zipf exponent; 0 is uniform. */
  readonly zipf: number;
  /** Proxy capacity in entries. */
  readonly cacheSize: number;
  /** Ms an entry stays fresh. */
  readonly ttl: number;
  readonly clients: number;
  /** Requests per client. */
  readonly requests: number;
  /** Work the origin does per request, in ms. */
  readonly serviceMs: number;
}

/** Parses the workload flags of `values`. */
export function parseWorkload(values: Record<string, unknown>): Workload {
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

/** Parses `--listen HOST:PORT`. */
export function parseListen(text: string): { hostname: string; port: number } {
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

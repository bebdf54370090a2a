/**
 * The HTTP modes of `lab proxy`: `--serve` runs the real caching proxy in front of an origin,
 * `--origin-demo` serves the demo origin (alone, or behind the proxy); both until Ctrl-C or an
 * abort.
 * @module
 */
import { wallClock } from "../../core/real_runtime.ts";
import { createDemoOrigin, DEMO_ROUTES } from "../../proxy/demo_origin.ts";
import { createHttpProxy, type RequestLog } from "../../proxy/http_proxy.ts";
import { serveHttpProxy } from "../../proxy/http_serve.ts";
import { createHttp1Client } from "../../proxy/http1_client.ts";
import { intFlag, UsageError } from "../_common.ts";
import { parseListen, PROXY_USAGE as USAGE } from "./_flags.ts";

/** How {@link serveMode} reports and stops. */
export interface ServeModeOptions {
  /** Stops serving when aborted, like Ctrl-C. */
  readonly signal?: AbortSignal;
  /** Receives each line of output. */
  readonly log: (line: string) => void;
  /** Receives a batch of request log lines (one write for many requests). @default each line to `log` */
  readonly writeLines?: (lines: readonly string[]) => void;
  /** Called once the servers listen, with their addresses. */
  readonly onListen?: (addresses: { proxy?: Deno.NetAddr; origin?: Deno.NetAddr }) => void;
}

/**
 * Request log lines, written in batches: a synchronous write per request costs a hit a quarter of
 * its time, so lines wait up to 100 ms (or 1,000 lines) and go out in one write.
 */
class LineBuffer {
  #lines: string[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  constructor(readonly write: (lines: readonly string[]) => void) {}

  push(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length >= 1000) this.flush();
    else if (this.#timer === undefined) {
      const timer = setTimeout(() => this.flush(), 100);
      Deno.unrefTimer(timer);
      this.#timer = timer;
    }
  }

  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#lines.length === 0) return;
    const lines = this.#lines;
    this.#lines = [];
    this.write(lines);
  }

  close(): void {
    this.flush();
  }
}

function url(addr: Deno.NetAddr): string {
  return `http://${
    addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname
  }:${addr.port}`;
}

/** What `--serve` and `--origin-demo` run with, each flag checked. */
interface ServeSettings {
  readonly serve: boolean;
  readonly demo: boolean;
  readonly listen: { hostname: string; port: number };
  readonly maxBytes: number;
  readonly staleIfError: number;
  readonly timeout: number;
  readonly maxObjectBytes: number;
  readonly maxStoringBytes: number;
  readonly listenLimits: {
    readonly maxConnections: number;
    readonly headerTimeoutMs: number;
    readonly idleTimeoutMs: number;
    readonly maxBodyBytes: number;
  };
}

/** Reads and checks the serving flags. */
function serveSettings(values: Record<string, unknown>): ServeSettings {
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
  const maxObjectBytes = intFlag(
    "max-object-bytes",
    values["max-object-bytes"],
    8 * 1024 * 1024,
    USAGE,
    1,
  );
  const maxStoringBytes = intFlag(
    "max-storing-bytes",
    values["max-storing-bytes"],
    maxBytes,
    USAGE,
    1,
  );
  const listenLimits = {
    maxConnections: intFlag("max-connections", values["max-connections"], 1024, USAGE, 1),
    headerTimeoutMs: intFlag("header-timeout", values["header-timeout"], 10_000, USAGE, 1),
    idleTimeoutMs: intFlag("idle-timeout", values["idle-timeout"], 60_000, USAGE, 1),
    maxBodyBytes: intFlag("max-body-bytes", values["max-body-bytes"], 1024 * 1024, USAGE, 0),
  };
  return {
    serve,
    demo,
    listen,
    maxBytes,
    staleIfError,
    timeout,
    maxObjectBytes,
    maxStoringBytes,
    listenLimits,
  };
}

/** A server this mode started, to shut down at the end. */
interface StartedServer {
  readonly addr: Deno.NetAddr;
  shutdown(): Promise<void>;
}

/** Runs `--serve` and/or `--origin-demo` from the flag `values`; returns the exit code. */
export async function serveMode(
  values: Record<string, unknown>,
  options: ServeModeOptions,
): Promise<number> {
  const log = options.log;
  const settings = serveSettings(values);
  const { serve, demo, listen } = settings;
  const quiet = values.quiet === true;
  const requestLog = new LineBuffer(
    options.writeLines ?? ((lines) => lines.forEach((line) => log(line))),
  );
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const name of signals) Deno.addSignalListener(name, onSignal);
  options.signal?.addEventListener("abort", onSignal, { once: true });
  const servers: StartedServer[] = [];
  const addresses: { proxy?: Deno.NetAddr; origin?: Deno.NetAddr } = {};
  try {
    let origin = typeof values.origin === "string" ? values.origin : "";
    if (demo) {
      const server = startDemoOrigin(serve ? { hostname: "127.0.0.1", port: 0 } : listen, log);
      servers.push(server);
      addresses.origin = server.addr;
      origin = url(server.addr);
    }
    if (serve) {
      const server = startProxy(origin, values, settings, {
        log,
        requestLog: quiet ? undefined : requestLog,
        stop: stop.signal,
      });
      servers.push(server);
      addresses.proxy = server.addr;
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
    requestLog.close();
    for (const name of signals) Deno.removeSignalListener(name, onSignal);
    options.signal?.removeEventListener("abort", onSignal);
    for (const server of servers.reverse()) await server.shutdown();
  }
}

/** Serves the demo origin at `at`, logging each request, and says what its routes are. */
function startDemoOrigin(
  at: { hostname: string; port: number },
  log: (line: string) => void,
): StartedServer {
  const app = createDemoOrigin({
    now: wallClock,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
  const server = Deno.serve({ ...at, onListen: () => {} }, async (request) => {
    const response = await app.fetch(request);
    const path = new URL(request.url).pathname;
    log(`origin: ${request.method} ${path} ${response.status}`);
    return response;
  });
  log(`origin: demo origin on ${url(server.addr)}; routes:`);
  for (const [path, what] of Object.entries(DEMO_ROUTES)) log(`  ${path.padEnd(12)} ${what}`);
  return server;
}

/** Serves the caching proxy in front of `origin`; when `stop` aborts, logs its counters. */
function startProxy(
  origin: string,
  values: Record<string, unknown>,
  settings: ServeSettings,
  io: {
    readonly log: (line: string) => void;
    /** Where each request's line goes; none when quiet. */
    readonly requestLog: LineBuffer | undefined;
    readonly stop: AbortSignal;
  },
): StartedServer {
  const { log, requestLog } = io;
  const proxy = createHttpProxy(origin, {
    now: wallClock,
    maxBytes: settings.maxBytes,
    maxObjectBytes: settings.maxObjectBytes,
    maxStoringBytes: settings.maxStoringBytes,
    cacheCookies: values["cache-cookies"] === true,
    purgeToken: typeof values["purge-token"] === "string" ? values["purge-token"] : undefined,
    staleIfError: settings.staleIfError,
    fetch: createHttp1Client({ timeoutMs: settings.timeout }),
    onRequest: requestLog === undefined ? undefined : (entry: RequestLog) =>
      requestLog.push(
        `${entry.method} ${entry.url} ${entry.status} ${entry.cache} ${entry.ms.toFixed(1)} ms`,
      ),
  });
  const server = serveHttpProxy(proxy, { ...settings.listen, ...settings.listenLimits });
  log(`proxy: caching ${origin} on ${url(server.addr)} (Ctrl-C stops)`);
  log(`  try: curl -i ${url(server.addr)}/${settings.demo ? "fresh" : ""}`);
  io.stop.addEventListener("abort", () => {
    requestLog?.flush();
    const s = proxy.stats();
    log(
      `proxy: ${s.hits} hits, ${s.misses} misses, ${s.revalidated} revalidated, ${s.stale} stale, ` +
        `${s.originFetches} origin fetches, ${s.entries} entries (${s.bytes} bytes)`,
    );
  }, { once: true });
  return server;
}

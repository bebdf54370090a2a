/**
 * `deno task lab echo`: a framed TCP echo server and its client, the smallest demonstration of
 * the TCP transport. The server sends every frame back unchanged; the client sends a UTF-8
 * message and prints what comes back. Frames are a 4-byte big-endian length and the payload, so
 * a plain socket client can talk to the server too.
 *
 * Run directly with `deno run -A lab/echo.ts --listen 127.0.0.1:4444`.
 *
 * @module
 */
import { parseFlags } from "../_flags.ts";
import { FrameConnection, listenFrames } from "../../core/network/tcp_transport.ts";

/** Usage text printed by `--help` and after a bad flag. */
const ECHO_USAGE = `Usage:
  deno task lab echo --listen HOST:PORT
  deno task lab echo --connect HOST:PORT --message TEXT [--count N] [--timeout MS]

A framed TCP echo: each frame (4-byte big-endian length + payload) is sent back unchanged.

Runs on: real TCP sockets (no simulator: it shows the framing on the wire).

Options:
  --listen HOST:PORT    serve echoes on HOST:PORT until SIGINT/SIGTERM (port 0 picks a free one)
  --connect HOST:PORT   send to an echo server and print each echo
  --message TEXT        the text to send as one UTF-8 frame (required with --connect)
  --count N             send the message N times, pipelined (default 1)
  --timeout MS          fail if the echoes take longer than MS milliseconds (default 5000)
  -h, --help            print this help

Examples:
  deno task lab echo --listen 127.0.0.1:4444 &
  deno task lab echo --connect 127.0.0.1:4444 --message "waku waku" --count 3`;

/** Options for {@linkcode runEcho}, mainly for embedding and tests. */
export interface EchoOptions {
  /**
   * Stops a `--listen` server when aborted, like SIGINT.
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Receives each line of normal output.
   * @default {console.log}
   */
  log?: (line: string) => void;
  /**
   * Receives each error line.
   * @default {console.error}
   */
  error?: (line: string) => void;
}

interface Address {
  hostname: string;
  port: number;
}

/**
 * Runs `lab echo` with command-line arguments.
 *
 * @example Reject an unknown flag with exit code 2
 * ```ts
 * import assert from "node:assert/strict";
 * import { runEcho } from "./command.ts";
 *
 * const errors: string[] = [];
 * assert.equal(await runEcho(["--lisen", ":1"], { error: (line) => errors.push(line) }), 2);
 * assert.match(errors.join("\n"), /--listen HOST:PORT/);
 * ```
 *
 * @param args The arguments after `echo`.
 * @param options Output sinks and a stop signal.
 * @returns The exit code: 0 on success, 1 when the network fails, 2 for bad arguments.
 */
export async function runEcho(args: string[], options: EchoOptions = {}): Promise<number> {
  const log = options.log ?? console.log;
  const error = options.error ?? console.error;
  const usageError = (message: string): number => {
    error(`echo: ${message}\n\n${ECHO_USAGE}`);
    return 2;
  };
  let values: {
    listen?: string;
    connect?: string;
    message?: string;
    count?: string;
    timeout?: string;
    help?: boolean;
  };
  try {
    const parsed = parseFlags(args, {
      listen: { type: "string" },
      connect: { type: "string" },
      message: { type: "string" },
      count: { type: "string" },
      timeout: { type: "string" },
      help: { type: "boolean", short: "h" },
    }, ECHO_USAGE);
    if (parsed.positionals.length > 0) {
      return usageError(`Cannot use "${parsed.positionals[0]}": echo takes only flags`);
    }
    values = parsed.values as typeof values;
  } catch (thrown) {
    return usageError((thrown as Error).message);
  }
  if (values.help) {
    log(ECHO_USAGE);
    return 0;
  }
  if ((values.listen === undefined) === (values.connect === undefined)) {
    return usageError("give exactly one of --listen HOST:PORT or --connect HOST:PORT");
  }
  if (values.listen !== undefined) {
    if (values.message !== undefined || values.count !== undefined) {
      return usageError("--message and --count only apply with --connect");
    }
    const address = parseAddress(values.listen, 0);
    if (typeof address === "string") return usageError(address);
    return await serve(address, { log, error, signal: options.signal });
  }
  const address = parseAddress(values.connect!, 1);
  if (typeof address === "string") return usageError(address);
  if (values.message === undefined) return usageError("--connect needs --message TEXT");
  const count = parseCount(values.count ?? "1", "--count");
  if (typeof count === "string") return usageError(count);
  const timeout = parseCount(values.timeout ?? "5000", "--timeout");
  if (typeof timeout === "string") return usageError(timeout);
  return await ask(address, values.message, { count, timeout, log, error });
}

async function serve(
  { hostname, port }: Address,
  { log, error, signal }: Required<Pick<EchoOptions, "log" | "error">> & EchoOptions,
): Promise<number> {
  let server;
  try {
    server = listenFrames({
      hostname,
      port,
      onFrame: (payload, conn) => conn.send(payload),
      onError: (failure, conn) =>
        error(`echo: closed connection with ${conn.remote}: ${failure.message}`),
    });
  } catch (thrown) {
    error(`echo: Cannot listen on ${format(hostname, port)}: ${(thrown as Error).message}`);
    return 1;
  }
  log(`echo: listening on ${format(server.hostname, server.port)}`);
  const { promise: stopped, resolve: stop } = Promise.withResolvers<void>();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const onAbort = () => stop();
  for (const name of signals) Deno.addSignalListener(name, stop);
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) stop();
  try {
    await stopped;
  } finally {
    for (const name of signals) Deno.removeSignalListener(name, stop);
    signal?.removeEventListener("abort", onAbort);
    await server.close();
  }
  log("echo: stopped");
  return 0;
}

async function ask(
  { hostname, port }: Address,
  message: string,
  { count, timeout, log, error }: {
    count: number;
    timeout: number;
    log: (line: string) => void;
    error: (line: string) => void;
  },
): Promise<number> {
  const address = format(hostname, port);
  const decoder = new TextDecoder();
  const { promise: finished, resolve: finish } = Promise.withResolvers<string | undefined>();
  let received = 0;
  let conn: FrameConnection;
  try {
    conn = await FrameConnection.connect(hostname, port, {
      onFrame: (payload) => {
        log(decoder.decode(payload));
        if (++received === count) finish(undefined);
      },
      onError: (failure) => finish(failure.message),
      onClose: () =>
        finish(`${address} closed the connection after ${received} of ${count} echoes`),
    });
  } catch (thrown) {
    error(`echo: ${(thrown as Error).message}`);
    return 1;
  }
  const started = performance.now();
  const timer = setTimeout(
    () => finish(`no echo from ${address} within ${timeout} ms (${received} of ${count} received)`),
    timeout,
  );
  try {
    const payload = new TextEncoder().encode(message);
    for (let i = 0; i < count; i++) conn.send(payload);
  } catch (thrown) {
    finish((thrown as Error).message);
  }
  const failure = await finished;
  clearTimeout(timer);
  await conn.close();
  if (failure !== undefined) {
    error(`echo: ${failure}`);
    return 1;
  }
  if (count > 1) {
    log(`echo: ${count} echoes from ${address} in ${(performance.now() - started).toFixed(1)} ms`);
  }
  return 0;
}

/** Parses `host:port`, `[v6]:port` or `:port` (127.0.0.1); returns an error text on failure. */
function parseAddress(text: string, minPort: number): Address | string {
  const colon = text.lastIndexOf(":");
  const portText = text.slice(colon + 1);
  let hostname = text.slice(0, Math.max(colon, 0));
  if (hostname.startsWith("[") && hostname.endsWith("]")) hostname = hostname.slice(1, -1);
  const port = Number(portText);
  if (colon < 0 || !/^\d+$/.test(portText) || port < minPort || port > 65535) {
    return `address "${text}" is not HOST:PORT with a port from ${minPort} to 65535 (e.g. 127.0.0.1:4444)`;
  }
  return { hostname: hostname || "127.0.0.1", port };
}

function parseCount(text: string, flag: string): number | string {
  const value = Number(text);
  return /^\d+$/.test(text) && value >= 1 && Number.isSafeInteger(value)
    ? value
    : `${flag} "${text}" is not a positive integer`;
}

function format(hostname: string, port: number): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

if (import.meta.main) Deno.exit(await runEcho(Deno.args));

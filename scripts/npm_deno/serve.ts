/**
 * `Deno.serve` on `node:http`: a fetch-style handler (Request in, Response out), bound before
 * it returns, with a graceful `shutdown`.
 * @module
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type * as net from "node:net";
import { Readable } from "node:stream";
import { bindNow, netAddr } from "./_bind.ts";
import type { HttpServer, NetAddr } from "./types.ts";

/** A fetch-style request handler. */
export type ServeHandler = (
  request: Request,
  info: { remoteAddr: NetAddr },
) => Response | Promise<Response>;

/** Options of {@linkcode serve}. */
export interface ServeOptions {
  hostname?: string;
  port?: number;
  signal?: AbortSignal;
  onListen?: (addr: NetAddr) => void;
  onError?: (error: unknown) => Response | Promise<Response>;
  handler?: ServeHandler;
}

/** Serves HTTP with `handler` until shut down, as `Deno.serve` does. */
export function serve(
  optionsOrHandler: ServeOptions | ServeHandler,
  maybeHandler?: ServeHandler,
): HttpServer<NetAddr> {
  const options = typeof optionsOrHandler === "function" ? {} : optionsOrHandler;
  const handler = typeof optionsOrHandler === "function"
    ? optionsOrHandler
    : maybeHandler ?? options.handler;
  if (typeof handler !== "function") {
    throw new TypeError("Cannot serve: no handler function was given; pass (options, handler)");
  }
  const onError = options.onError ?? ((error: unknown) => {
    console.error("Cannot serve request: the handler threw", error);
    return new Response("Internal Server Error", { status: 500 });
  });
  let inFlight = 0;
  let stopping = false;
  const server = createHttpServer((req, res) => {
    inFlight++;
    void respond(req, res, handler, onError).finally(() => {
      if (--inFlight === 0 && stopping) server.closeIdleConnections();
    });
  });
  bindNow(server, options.hostname ?? "0.0.0.0", options.port ?? 8000);
  server.on("error", (error) => console.error("archlab: the HTTP server failed:", error));
  const address = server.address() as net.AddressInfo;
  const addr = netAddr(address.address, address.port);
  const finished = new Promise<void>((resolve) => server.once("close", () => resolve()));
  const shutdown = (): Promise<void> => {
    if (!stopping) {
      stopping = true;
      server.close();
      server.closeIdleConnections();
    }
    return finished;
  };
  options.signal?.addEventListener("abort", () => void shutdown(), { once: true });
  const onListen = options.onListen ??
    ((a: NetAddr) => console.log(`Listening on http://${a.hostname}:${a.port}/`));
  onListen(addr);
  return {
    addr,
    finished,
    shutdown,
    ref: () => void server.ref(),
    unref: () => void server.unref(),
  };
}

async function respond(
  req: IncomingMessage,
  res: ServerResponse,
  handler: ServeHandler,
  onError: (error: unknown) => Response | Promise<Response>,
): Promise<void> {
  const aborted = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) aborted.abort();
  });
  const remoteAddr = netAddr(req.socket.remoteAddress, req.socket.remotePort);
  let response: Response;
  try {
    response = await handler(toRequest(req, aborted.signal), { remoteAddr });
  } catch (error) {
    response = await onError(error);
  }
  await writeResponse(res, response, req.method === "HEAD");
}

function toRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if (!req.rawHeaders[i].startsWith(":")) {
      headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    }
  }
  const local = req.socket.localAddress ?? "127.0.0.1";
  const host = req.headers.host ??
    `${local.includes(":") ? `[${local}]` : local}:${req.socket.localPort}`;
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  const init: RequestInit & { duplex?: "half" } = {
    method,
    headers,
    signal,
    body: hasBody ? Readable.toWeb(req) as unknown as ReadableStream<Uint8Array> : null,
    duplex: hasBody ? "half" : undefined,
  };
  return new Request(`http://${host}${req.url ?? "/"}`, init);
}

async function writeResponse(
  res: ServerResponse,
  response: Response,
  head: boolean,
): Promise<void> {
  const headers: string[] = [];
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers.push(name, value);
  });
  for (const cookie of response.headers.getSetCookie()) headers.push("set-cookie", cookie);
  res.writeHead(response.status, response.statusText || undefined, headers);
  if (head || response.body === null) {
    await response.body?.cancel();
    res.end();
    return;
  }
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) {
        await reader.cancel();
        return;
      }
      if (!res.write(value)) {
        await new Promise<void>((resolve) => {
          res.once("drain", resolve);
          res.once("close", resolve);
        });
      }
    }
    res.end();
  } catch (error) {
    res.destroy(error instanceof Error ? error : new Error(String(error)));
  }
}

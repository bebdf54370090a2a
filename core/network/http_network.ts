/**
 * The network of a machine on a real host over HTTP/1.1: frames travel as `POST /frames`
 * requests (the body is the frame codec of `frame.ts`: a hello naming the sending machine, then
 * the frames), answered `204 No Content` by a Hono app served on the lab's bounded HTTP/1.1
 * listener (its connection cap, head deadline, idle deadline and body cap). Each peer has at
 * most one request in flight, so frames keep their order; frames queued meanwhile go together
 * in the next request, on the same keep-alive connection.
 *
 * It is the slow path: every request carries an HTTP head both ways and waits for its answer
 * before the next one goes, where TCP writes frames back to back on an open stream (see
 * `deno task bench`, `bench/transport_bench.ts`). A machine the directory does not know cannot
 * be answered (HTTP has no way back on a request the other side made); over TCP and UDP it can.
 * @module
 */
import { Hono } from "hono";
import type { Machine } from "../machine.ts";
import type { WireFrame } from "../wire.ts";
import type { HostNetwork, HostNetworkOptions, HostNetworkStats } from "./host_network.ts";
import { type Http1Info, type Http1Server, serveHttp1 } from "./http1_server.ts";
import { encodePacket, FramedCore, packetSize } from "./_framed_host_network.ts";

/** Options of {@link HttpNetwork}. */
export interface HttpNetworkOptions extends HostNetworkOptions {
  /** Largest request body sent or accepted, in bytes (one frame at least fits). @default 1 MiB */
  readonly maxBody?: number;
  /** Most open incoming connections. @default 1024 */
  readonly maxConnections?: number;
  /** Ms a request head may take to arrive. @default 10000 */
  readonly headerTimeout?: number;
  /** Ms a keep-alive connection may wait for its next request. @default 60000 */
  readonly idleTimeout?: number;
}

/** Ms a request may wait for its response before its frames count as lost. */
const REQUEST_TIMEOUT_MS = 10_000;

/** The path frames are posted to. */
export const FRAMES_PATH = "/frames";

/** A pool of keep-alive connections that `fetch` can be given (Deno's `HttpClient`). */
interface PooledClient {
  close(): void;
}

/**
 * A connection pool of this network's own on Deno (closed with it); elsewhere (Node) `fetch`'s
 * shared pool, which keeps connections alive too.
 */
function ownClient(): PooledClient | undefined {
  const runtime = (globalThis as {
    Deno?: { createHttpClient?: (options: Record<string, never>) => PooledClient };
  }).Deno;
  return runtime?.createHttpClient?.({});
}

interface Peer {
  readonly queue: { payload: Uint8Array; frame: WireFrame; from: string }[];
  busy: boolean;
}

/**
 * HTTP network for one local machine: frames as requests through Hono, on keep-alive
 * connections.
 *
 * @example Two machines in one process over loopback HTTP
 * ```ts
 * import assert from "node:assert/strict";
 * import { createRealRuntime, Directory, Machine } from "../mod.ts";
 * import { HttpNetwork } from "./http_network.ts";
 * const endpoints = new Map<string, string>();
 * const make = async (name: string) => {
 *   const runtime = createRealRuntime({ seed: 1 });
 *   const directory = new Directory((m) => endpoints.get(m), { now: runtime.now });
 *   const network = new HttpNetwork({ directory, runtime });
 *   const machine = new Machine(name, { runtime, network });
 *   const { hostname, port } = await network.listen(machine);
 *   endpoints.set(name, `${hostname}:${port}`);
 *   return { machine, network };
 * };
 * const a = await make("m1.lab"), b = await make("m2.lab");
 * const got = Promise.withResolvers<string>();
 * b.machine.spawn("echo", async (ctx) => { const m = await ctx.receive(); await ctx.reply(m, m.body); });
 * a.machine.spawn("client", async (ctx) => { got.resolve((await ctx.request<string>("echo@m2.lab", "hi")).body); });
 * assert.equal(await got.promise, "hi");
 * a.machine.shutdown(); b.machine.shutdown();
 * await a.network.close(); await b.network.close();
 * ```
 */
export class HttpNetwork implements HostNetwork {
  readonly #core: FramedCore;
  readonly #maxBody: number;
  readonly #peers = new Map<string, Peer>();
  readonly #client: PooledClient | undefined;
  #server: Http1Server | undefined;
  /** Aborts the requests in flight when the network closes. */
  readonly #abort = new AbortController();
  /** Requests in flight, waited for by `close()`. */
  readonly #inflight = new Set<Promise<void>>();

  /** Creates the network; call {@link HttpNetwork.listen} to receive. */
  constructor(options: HttpNetworkOptions) {
    this.#core = new FramedCore(options, {
      check: (from, payload) => this.#check(from, payload),
      write: (from, to, payload, frame) => this.#write(from, to, payload, frame),
    });
    this.#maxBody = options.maxBody ?? 1024 * 1024;
    // A client of its own: its keep-alive connections close with the network.
    this.#client = ownClient();
  }

  /** Counters: frames and bytes sent, frames received, acks, drops, refused frames. */
  get stats(): HostNetworkStats {
    return this.#core.stats;
  }

  /** Sends a frame under the injected faults; a lost frame is the reliable channel's business. */
  send(from: string, to: string, frame: WireFrame): void {
    this.#core.send(from, to, frame);
  }

  /** Cuts (or restores) the link to `machines`: frames to them are lost, as in a partition. */
  cut(machines: readonly string[], on = true): void {
    this.#core.cut(machines, on);
  }

  /** Open incoming connections now (keep-alive: one per peer that sends). */
  get connections(): number {
    return this.#server?.connections ?? 0;
  }

  /** Serves `POST /frames` for `machine`. */
  listen(
    machine: Machine,
    address: { hostname?: string; port?: number } = {},
  ): Promise<{ hostname: string; port: number }> {
    this.#core.machine = machine;
    const options = this.#core.options as HttpNetworkOptions;
    const app = new Hono<{ Bindings: Http1Info }>();
    app.post(FRAMES_PATH, async (c) => {
      const body = new Uint8Array(await c.req.arrayBuffer());
      const remote = c.env.remoteAddr;
      const sender = this.#core.receivePacket(body, {
        maxFrame: this.#maxBody,
        origin: `${remote.hostname}:${remote.port}`,
      });
      // A body that is not a hello and frames is refused (and counted, and traced as a drop).
      return sender === undefined
        ? c.text("Cannot accept frames: the body is not a hello frame and wire frames\n", 400)
        : c.body(null, 204);
    });
    const hostname = address.hostname ?? "127.0.0.1";
    this.#server = serveHttp1((request, info) => app.fetch(request, info), {
      hostname,
      port: address.port ?? 0,
      maxBodyBytes: this.#maxBody,
      maxConnections: options.maxConnections,
      headerTimeoutMs: options.headerTimeout,
      idleTimeoutMs: options.idleTimeout,
    });
    return Promise.resolve({ hostname, port: this.#server.addr.port });
  }

  /** Forgets the cached endpoint of `machine` (after it moved or restarted). */
  forget(machine: string): void {
    this.#core.options.directory.invalidate(machine);
  }

  /** Stops serving, waits for the requests in flight, closes the keep-alive connections. */
  async close(): Promise<void> {
    if (this.#core.closed) return;
    this.#core.closed = true;
    for (const peer of this.#peers.values()) peer.queue.length = 0;
    this.#abort.abort();
    await Promise.allSettled([...this.#inflight]);
    this.#client?.close();
    await this.#server?.shutdown();
  }

  #check(from: string, payload: Uint8Array): void {
    const size = packetSize(from, payload);
    if (size > this.#maxBody) {
      throw new RangeError(
        `Cannot send frame over HTTP: ${size} bytes exceed the request body limit of ${this.#maxBody} bytes (raise maxBody or send smaller messages)`,
      );
    }
  }

  #write(from: string, to: string, payload: Uint8Array, frame: WireFrame): void {
    let peer = this.#peers.get(to);
    if (peer === undefined) {
      peer = { queue: [], busy: false };
      this.#peers.set(to, peer);
    }
    peer.queue.push({ payload, frame, from });
    if (!peer.busy) this.#track(this.#drain(to, peer));
  }

  #track(request: Promise<void>): void {
    this.#inflight.add(request);
    void request.finally(() => this.#inflight.delete(request));
  }

  /** Posts the queued frames of `peer`, one request at a time, until none is left. */
  async #drain(to: string, peer: Peer): Promise<void> {
    peer.busy = true;
    try {
      while (peer.queue.length > 0 && !this.#core.closed) {
        const batch = this.#batch(peer);
        const failure = await this.#post(to, batch);
        if (failure === undefined) continue;
        for (const item of batch) this.#core.lost(item.frame, item.from, failure);
      }
    } finally {
      peer.busy = false;
    }
  }

  /** The frames of the next request: of one sender, within the body limit. */
  #batch(peer: Peer): Peer["queue"] {
    const from = peer.queue[0].from;
    let size = packetSize(from, new Uint8Array());
    let n = 0;
    for (const item of peer.queue) {
      if (item.from !== from || (n > 0 && size + 4 + item.payload.length > this.#maxBody)) break;
      size += 4 + item.payload.length;
      n++;
    }
    return peer.queue.splice(0, n);
  }

  /** Posts `batch` to `to`; why it failed, or `undefined` when it was taken. */
  async #post(to: string, batch: Peer["queue"]): Promise<string | undefined> {
    let endpoint: string;
    try {
      endpoint = await this.#core.options.directory.resolve(to);
    } catch (error) {
      return (error as Error).message;
    }
    const body = encodePacket(batch[0].from, batch.map((item) => item.payload));
    try {
      const init: RequestInit & { client?: PooledClient } = {
        method: "POST",
        headers: { "content-type": "application/octet-stream" },
        body,
        // A peer that takes the request and never answers holds this peer's frames back only
        // so long; the frames are then lost and the reliable channel sends them again.
        signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
      };
      if (this.#client) init.client = this.#client;
      const response = await fetch(`http://${endpoint}${FRAMES_PATH}`, init);
      await response.body?.cancel();
      return response.ok ? undefined : `HTTP ${response.status} from ${to}`;
    } catch (error) {
      // Nothing answers there now (it stopped or restarted): the frames are lost, as on a real
      // network; the reliable channel retransmits them.
      return (error as Error).message;
    }
  }
}

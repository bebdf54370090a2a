/**
 * The network of a machine on a real host over UDP: each wire frame is one datagram (a hello
 * naming the sending machine, then the frame, in the frame codec of `frame.ts`), sent to the
 * endpoint the directory gives. No connection is set up and none is kept: UDP loses, duplicates
 * and reorders datagrams and says nothing of it, which the reliable channel above repairs (acks,
 * retransmission, duplicate suppression, per-pair order), or, with it off, the trace shows. A
 * frame over the datagram limit (64 KB less the headers) is refused with a
 * {@link DatagramTooLargeError}. A machine the directory does not know is answered at the
 * address its datagrams come from, as TCP answers over the connection a peer opened; a datagram
 * whose hello claims a machine heard from another address within the last 5 s is refused
 * (counted and traced), so a third party cannot take a live peer's replies. Hellos are not
 * authenticated: the first one naming a machine, or one after 5 s of silence, still binds it.
 *
 * Listener bounds: a datagram is read whole by the kernel, so no peer holds a buffer or a
 * connection here (what the TCP listener's cap, budget and timeouts are for); a datagram is at
 * most `maxDatagram` bytes and the kernel drops what arrives while the receive buffer is full.
 * @module
 */
import dgram from "node:dgram";
import type { Machine } from "../machine.ts";
import type { WireFrame } from "../wire.ts";
import type { HostNetwork, HostNetworkOptions, HostNetworkStats } from "./host_network.ts";
import { DatagramTooLargeError, MAX_DATAGRAM } from "./datagram_too_large_error.ts";
import { encodePacket, FramedCore, packetSize } from "./_framed_host_network.ts";

export { DatagramTooLargeError, MAX_DATAGRAM } from "./datagram_too_large_error.ts";

/** Options of {@link UdpNetwork}. */
export interface UdpNetworkOptions extends HostNetworkOptions {
  /** Largest datagram sent or accepted, in bytes. @default MAX_DATAGRAM (65,507) */
  readonly maxDatagram?: number;
}

/**
 * UDP network for one local machine: one datagram per frame.
 *
 * @example Two machines in one process over loopback UDP
 * ```ts
 * import assert from "node:assert/strict";
 * import { createRealRuntime, Directory, Machine } from "../mod.ts";
 * import { UdpNetwork } from "./udp_network.ts";
 * const endpoints = new Map<string, string>();
 * const make = async (name: string) => {
 *   const runtime = createRealRuntime({ seed: 1 });
 *   const directory = new Directory((m) => endpoints.get(m), { now: runtime.now });
 *   const network = new UdpNetwork({ directory, runtime });
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
export class UdpNetwork implements HostNetwork {
  readonly #core: FramedCore;
  readonly #max: number;
  #socket: dgram.Socket | undefined;
  /**
   * Where each machine's datagrams come from, and when the last one came: the way back to one
   * the directory lacks.
   */
  readonly #seen = new Map<string, Heard>();
  readonly #peers = new Map<string, UdpPeer>();

  /** Creates the network; call {@link UdpNetwork.listen} to receive. */
  constructor(options: UdpNetworkOptions) {
    this.#core = new FramedCore(options, {
      check: (from, payload) => this.#check(from, payload),
      write: (from, to, payload, frame) => this.#write(from, to, payload, frame),
    });
    this.#max = options.maxDatagram ?? MAX_DATAGRAM;
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

  /** Binds a UDP socket for datagrams addressed to `machine`. */
  async listen(
    machine: Machine,
    address: { hostname?: string; port?: number } = {},
  ): Promise<{ hostname: string; port: number }> {
    this.#core.machine = machine;
    const hostname = address.hostname ?? "127.0.0.1";
    const socket = dgram.createSocket(hostname.includes(":") ? "udp6" : "udp4");
    this.#socket = socket;
    socket.on("message", (message: Uint8Array, remote: dgram.RemoteInfo) => {
      if (message.byteLength === 0) return; // The warm-up below.
      const bytes = new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
      this.#core.receivePacket(bytes, {
        maxFrame: this.#max,
        origin: `${remote.address}:${remote.port}`,
        admit: (sender) => this.#hello(sender, remote),
      });
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(address.port ?? 0, hostname, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    socket.on("error", (error: Error) => {
      console.error(`archlab: ${machine.name} UDP socket: ${error.message}`);
    });
    // Deno's node:dgram sends the datagrams of a burst given before the socket's first send
    // completed in reverse order: one empty datagram to itself first. (A later burst that fills
    // the socket's send buffer can still go out of order, as UDP allows: the runtime retries the
    // sends that did not fit while later ones go through.)
    await new Promise<void>((resolve) => {
      socket.send(new Uint8Array(0), socket.address().port, hostname, () => resolve());
    });
    return { hostname, port: socket.address().port };
  }

  /** Closes the socket. */
  close(): Promise<void> {
    if (this.#core.closed) return Promise.resolve();
    this.#core.closed = true;
    const socket = this.#socket;
    if (socket === undefined) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => resolve()));
  }

  /**
   * Takes the hello of a datagram from `remote` naming `sender`, which binds `sender` to
   * `remote`; returns why it is refused instead: `sender` was heard from another address less
   * than {@link HELLO_REBIND_MS} ago, so a third party cannot take the replies of a live peer.
   */
  #hello(sender: string, remote: Endpoint): string | undefined {
    const now = this.#core.options.runtime.now();
    const heard = this.#seen.get(sender);
    if (
      heard !== undefined && now - heard.at < HELLO_REBIND_MS &&
      (heard.address !== remote.address || heard.port !== remote.port)
    ) {
      return `Cannot accept hello: it claims machine ${JSON.stringify(sender)}, heard from ${
        endpointText(heard)
      } ${
        Math.round(now - heard.at)
      } ms ago (a machine's address moves only after ${HELLO_REBIND_MS} ms of silence, or once the network forgets it)`;
    }
    this.#seen.set(sender, { address: remote.address, port: remote.port, at: now });
    return undefined;
  }

  #check(from: string, payload: Uint8Array): void {
    const size = packetSize(from, payload);
    if (size > this.#max) throw new DatagramTooLargeError(size, this.#max);
  }

  /** Forgets the endpoint of `machine` (after it moved or restarted). */
  forget(machine: string): void {
    this.#core.options.directory.invalidate(machine);
    this.#peers.delete(machine);
    this.#seen.delete(machine);
  }

  #write(from: string, to: string, payload: Uint8Array, frame: WireFrame): void {
    const item = { packet: encodePacket(from, [payload]), frame, from };
    let peer = this.#peers.get(to);
    if (peer?.endpoint !== undefined) {
      this.#sendTo(peer.endpoint, item);
      return;
    }
    if (peer !== undefined) {
      peer.waiting.push(item);
      return;
    }
    // The first frame to `to` asks the directory; the frames after it wait, in order.
    const current: UdpPeer = { waiting: [item] };
    peer = current;
    this.#peers.set(to, current);
    this.#core.options.directory.resolve(to).then((endpoint) => {
      const colon = endpoint.lastIndexOf(":");
      return { address: endpoint.slice(0, colon), port: Number(endpoint.slice(colon + 1)) };
    }).catch((error) => {
      const back = this.#seen.get(to);
      if (back === undefined) throw error;
      return back;
    }).then((endpoint) => {
      if (this.#peers.get(to) === current) current.endpoint = endpoint;
      for (const waiting of current.waiting.splice(0)) this.#sendTo(endpoint, waiting);
    }, (error: Error) => {
      // Unknown now: forget the peer so that a retransmission asks again.
      if (this.#peers.get(to) === current) this.#peers.delete(to);
      for (const waiting of current.waiting.splice(0)) {
        this.#core.lost(waiting.frame, waiting.from, error.message);
      }
    });
  }

  #sendTo(endpoint: Endpoint, item: Outgoing): void {
    const socket = this.#socket;
    if (this.#core.closed) return;
    if (socket === undefined) {
      this.#core.lost(item.frame, item.from, "the sending machine is not listening yet");
      return;
    }
    socket.send(item.packet, endpoint.port, endpoint.address, (error) => {
      if (error) this.#core.lost(item.frame, item.from, error.message);
    });
  }
}

/**
 * How long a machine's address stays bound to it after its last datagram: a hello naming it
 * from another address within this time is refused.
 */
const HELLO_REBIND_MS = 5_000;

interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** An address a machine was heard from, and when (`runtime.now()`) it was last. */
interface Heard extends Endpoint {
  readonly at: number;
}

function endpointText(endpoint: Endpoint): string {
  return endpoint.address.includes(":")
    ? `[${endpoint.address}]:${endpoint.port}`
    : `${endpoint.address}:${endpoint.port}`;
}

interface Outgoing {
  readonly packet: Uint8Array;
  readonly frame: WireFrame;
  readonly from: string;
}

/** What the network keeps of a peer: its endpoint once known, frames waiting for it until. */
interface UdpPeer {
  endpoint?: Endpoint;
  readonly waiting: Outgoing[];
}

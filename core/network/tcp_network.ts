/**
 * The network of a machine that is a real OS process: wire frames travel as length-prefixed
 * JSON over TCP, one outgoing connection per peer machine (opened on first use, coalesced
 * writes), one listener for incoming ones. A connection starts with a hello frame that names the
 * sending machine, and it carries frames both ways: a machine that the directory cannot resolve
 * (or that cannot be connected to) is reached over the connection it opened to this one, so a
 * server answers any machine that reached it (replies, acks and credits alike). Frames go
 * through the frame pipeline the simulator uses too (the given stages, such as authentication,
 * then the fault stage: drop, duplicate, reorder and delay from a seeded generator, cuts), so the
 * same faults can be tried on real sockets.
 * @module
 */
import type { Machine, Network } from "../machine.ts";
import type { Runtime } from "../runtime.ts";
import {
  FrameConnection,
  type FrameListener,
  listenFrames,
  type ListenFramesOptions,
} from "./tcp_transport.ts";
import type { TraceSink } from "../trace.ts";
import { decodeHello, decodeWire, encodeWire, WireError, type WireFrame } from "../wire.ts";
import { DEFAULT_MAX_FRAME, FrameError } from "./frame.ts";
import type { Directory } from "../directory.ts";
import { checkFaults, type FaultSchedule } from "../pipeline/fault_schedule.ts";
import { FaultStage } from "../pipeline/fault_stage.ts";
import { FramePipeline, type FrameStage, type Transit } from "../pipeline/frame_pipeline.ts";

/**
 * Options of {@link TcpNetwork}. Its faults are a {@link FaultSchedule}'s: `drop` and
 * `duplicate` before a frame is written, `latency` (none by default) and `reorder` as a delay
 * before it is written, and `exempt` machines (the lab's own) whose frames skip every fault and
 * cut and are not counted in `stats`.
 */
export interface TcpNetworkOptions extends FaultSchedule {
  /** Resolves `machine.domain` to `host:port` (a {@link Directory} caches with a TTL). */
  readonly directory: Directory;
  /** Runtime for delays and trace times. */
  readonly runtime: Runtime;
  /** Where drops are recorded. @default none */
  readonly trace?: TraceSink;
  /**
   * The generator the faults are drawn from: `faultRandom(seed)` draws the faults the simulator
   * draws under the same seed. @default the runtime's
   */
  readonly random?: () => number;
  /**
   * Stages of the frame pipeline between the machine and the fault stage, nearest the machine
   * first (an authentication stage, say). @default none
   */
  readonly stages?: readonly FrameStage[];
  /** Largest frame accepted. @default 16 MiB */
  readonly maxFrame?: number;
  /**
   * Bounds of the listener for incoming connections (connection cap, buffered-bytes budget,
   * header and idle timeouts); a connection that breaks one is closed and logged.
   * @default those of `listenFrames`: 1,024 connections, 64 MiB, 10 s, 30 s per KiB
   */
  readonly limits?: Pick<
    ListenFramesOptions,
    "maxConnections" | "maxBuffered" | "headerTimeout" | "idleTimeout" | "minReadBytes"
  >;
}

/** Counters of a TCP network. */
export interface TcpStats {
  /** Frames written (acks included). */
  frames: number;
  /** Frames received (acks included), on incoming and outgoing connections. */
  received: number;
  /** Bytes written, 4-byte headers included. */
  bytes: number;
  /** Acknowledgement frames. */
  acks: number;
  /** Frames lost: injected drops and frames to unreachable machines. */
  dropped: number;
  /** Frames the fault stage wrote twice. */
  duplicated: number;
  /**
   * Frames received and refused: malformed (not JSON, or not a well-formed frame), or a message
   * whose envelope names a sender on another machine than the one that said hello.
   */
  rejected: number;
}

interface Peer {
  conn?: FrameConnection;
  connecting?: Promise<void>;
  queue: Uint8Array[];
}

/**
 * TCP network for one local machine.
 *
 * @example Two machines in one process over loopback TCP
 * ```ts
 * import assert from "node:assert/strict";
 * import { createRealRuntime, Directory, Machine, TcpNetwork } from "../mod.ts";
 * const endpoints = new Map<string, string>();
 * const make = async (name: string) => {
 *   const runtime = createRealRuntime({ seed: 1 });
 *   const directory = new Directory((m) => endpoints.get(m), { now: runtime.now });
 *   const network = new TcpNetwork({ directory, runtime });
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
export class TcpNetwork implements Network {
  /** Counters. */
  readonly stats: TcpStats = {
    frames: 0,
    bytes: 0,
    acks: 0,
    dropped: 0,
    duplicated: 0,
    received: 0,
    rejected: 0,
  };
  readonly #options: TcpNetworkOptions;
  readonly #peers = new Map<string, Peer>();
  /** The latest open incoming connection from each machine, by the name its hello gave. */
  readonly #incoming = new Map<string, FrameConnection>();
  #listener: FrameListener | undefined;
  #machine: Machine | undefined;
  #closed = false;
  readonly #faults: FaultStage;
  readonly #pipeline: FramePipeline;

  /** The fault stage of this network's frame pipeline (the cuts of {@link TcpNetwork.cut} included). */
  get faults(): FaultStage {
    return this.#faults;
  }

  /** Creates the network; call {@link TcpNetwork.listen} to receive. */
  constructor(options: TcpNetworkOptions) {
    checkFaults(options, "Cannot create TCP network");
    this.#options = options;
    this.#faults = new FaultStage({
      schedule: options,
      random: options.random ?? options.runtime.random,
      stats: this.stats,
    });
    this.#pipeline = new FramePipeline([...options.stages ?? [], this.#faults], {
      carry: (t) => this.#carry(t),
      deliver: (t) => {
        // Refused by the machine (its envelope names a sender on another machine): counted.
        if (this.#machine?.receiveFrame(t.from, t.frame) === false) this.stats.rejected++;
      },
      trace: options.trace,
      now: () => options.runtime.now(),
      machine: (name) => this.#machine?.name === name ? this.#machine : undefined,
    });
  }

  /** Listens for frames addressed to `machine`. */
  listen(
    machine: Machine,
    address: { hostname?: string; port?: number } = {},
  ): Promise<{ hostname: string; port: number }> {
    this.#machine = machine;
    const from = new WeakMap<FrameConnection, string>();
    this.#listener = listenFrames({
      hostname: address.hostname ?? "127.0.0.1",
      port: address.port ?? 0,
      ...this.#options.limits,
      maxFrame: this.#options.maxFrame,
      onFrame: (payload, conn) => {
        const sender = from.get(conn);
        if (sender === undefined) {
          let hello: string;
          try {
            hello = decodeHello(payload);
          } catch (error) {
            if (!(error instanceof WireError)) throw error;
            // Closes this connection only: nothing is known of the peer yet.
            throw new HelloError(
              `Cannot accept connection from ${conn.remote}: its first frame is not a hello naming a machine ({"kind":"hello","machine":"m1.lab"}): ${error.reason}`,
            );
          }
          from.set(conn, hello);
          this.#remember(hello, conn);
          return;
        }
        this.#receive(sender, payload);
      },
      onError: (error, conn) => {
        // Bytes the peer sent that are not frames (a bad hello, garbage, an oversize length, a
        // frame cut short): refused like a malformed frame, counted and traced.
        if (error instanceof HelloError || error instanceof FrameError) {
          this.stats.rejected++;
          machine.refuseFrame(from.get(conn) ?? conn.remote, error.message);
          return;
        }
        console.error(
          `archlab: ${machine.name} closed connection from ${conn.remote}: ${error.message}`,
        );
      },
    });
    return Promise.resolve({ hostname: this.#listener.hostname, port: this.#listener.port });
  }

  /** Forgets the connection to `machine` and its cached endpoint (after it moved or restarted). */
  forget(machine: string): void {
    this.#options.directory.invalidate(machine);
    const peer = this.#peers.get(machine);
    this.#peers.delete(machine);
    void peer?.conn?.close();
  }

  /**
   * Cuts (or restores) the link to `machines`: frames to them are lost, as in a partition.
   * The machines on the other side cut their links back for a two-way partition.
   */
  cut(machines: readonly string[], on = true): void {
    this.#faults.cutTo(machines, on);
  }

  /**
   * Sends a frame; a lost frame is the reliable channel's business.
   *
   * @throws {RangeError} When the encoded frame is longer than `maxFrame`.
   */
  send(from: string, to: string, frame: WireFrame): void {
    if (this.#closed) return;
    this.#pipeline.send({ from, to, frame });
  }

  /** The pipeline's carrier: encodes the frame, counts it and writes it after its delay. */
  #carry(t: Transit): void {
    // Stages send frames of their own (an authentication hello): none after close().
    if (this.#closed) return;
    const { from, to, frame } = t;
    const payload = encodeWire(frame);
    if (this.#faults.exempt(from, to)) return this.#write(from, to, payload, frame);
    const options = this.#options;
    const max = options.maxFrame ?? DEFAULT_MAX_FRAME;
    if (payload.length > max) {
      // The sender's mistake, refused here whatever state the connection is in.
      throw new RangeError(
        `Cannot send frame: length ${payload.length} exceeds the maximum ${max} (raise maxFrame or send smaller messages)`,
      );
    }
    this.stats.frames++;
    this.stats.bytes += payload.length + 4;
    if (frame.kind === "ack") this.stats.acks++;
    if (t.delay === undefined) this.#write(from, to, payload, frame);
    else options.runtime.setTimer(t.delay, () => this.#write(from, to, payload, frame));
  }

  /** Closes the listener and every connection. */
  async close(): Promise<void> {
    this.#closed = true;
    const conns = [...this.#peers.values()];
    this.#peers.clear();
    await Promise.all(conns.map(async (peer) => {
      await peer.connecting?.catch(() => {});
      await peer.conn?.close();
    }));
    await this.#listener?.close();
  }

  #write(from: string, to: string, payload: Uint8Array, frame: WireFrame): void {
    let peer = this.#peers.get(to);
    if (peer === undefined) {
      peer = { queue: [] };
      this.#peers.set(to, peer);
    }
    if (peer.conn !== undefined) {
      try {
        peer.conn.send(payload);
      } catch (error) {
        if (error instanceof RangeError) throw error; // Too large: the sender's mistake.
        // The connection is closing (the peer stopped or restarted): the frame is lost, as on a
        // real network, and the next frame reconnects.
        this.#peers.delete(to);
        this.#lost(frame, from, to, (error as Error).message);
      }
      return;
    }
    peer.queue.push(payload);
    if (peer.connecting !== undefined) return;
    const current = peer;
    current.connecting = this.#open(to, current).then(({ conn, outgoing }) => {
      if (this.#closed) {
        if (outgoing) void conn.close();
        return;
      }
      current.conn = conn;
      try {
        // An incoming connection already knows who opened it; an outgoing one says who it is.
        if (outgoing) conn.send(encodeWire({ kind: "hello", machine: from }));
        for (const queued of current.queue) conn.send(queued);
      } catch (error) {
        // The connection closed as it opened (the peer is stopping): the queued frames are
        // lost, as on a real network, and the next frame reconnects.
        if (this.#peers.get(to) === current) this.#peers.delete(to);
        this.stats.dropped += current.queue.length;
        this.#lost(frame, from, to, (error as Error).message);
      }
      current.queue = [];
    }, (error) => {
      // Unknown or unreachable now: forget the peer so that a retransmission tries again.
      if (this.#peers.get(to) === current) this.#peers.delete(to);
      this.stats.dropped += current.queue.length;
      this.#lost(frame, from, to, (error as Error).message);
    });
  }

  /**
   * A connection to machine `to`: a new one to the endpoint the directory gives, or else (the
   * directory does not know it, or nothing answers there) the connection `to` opened to us.
   */
  #open(to: string, peer: Peer): Promise<{ conn: FrameConnection; outgoing: boolean }> {
    return this.#options.directory.resolve(to).then((endpoint) => {
      const colon = endpoint.lastIndexOf(":");
      return FrameConnection.connect(endpoint.slice(0, colon), Number(endpoint.slice(colon + 1)), {
        maxFrame: this.#options.maxFrame,
        // Frames come back on it when `to` answers over the connection it did not open.
        onFrame: (payload) => this.#receive(to, payload),
        onClose: () => {
          if (this.#peers.get(to) === peer) this.#peers.delete(to);
        },
        onError: (error) => {
          console.error(
            `archlab: ${this.#machine?.name} closed connection to ${to}: ${error.message}`,
          );
        },
      });
    }).then((conn) => ({ conn, outgoing: true }), (error) => {
      const back = this.#incoming.get(to);
      if (back === undefined) throw error;
      return { conn: back, outgoing: false };
    });
  }

  /** Keeps `conn`, opened by machine `sender`, as the way back to it while it is open. */
  #remember(sender: string, conn: FrameConnection): void {
    this.#incoming.set(sender, conn);
    void conn.closed.then(() => {
      if (this.#incoming.get(sender) === conn) this.#incoming.delete(sender);
      if (this.#peers.get(sender)?.conn === conn) this.#peers.delete(sender);
    });
  }

  #receive(sender: string, payload: Uint8Array): void {
    const machine = this.#machine;
    if (machine === undefined) return;
    if (!this.#faults.exempt(sender, machine.name)) {
      this.stats.received++;
    }
    let frame: WireFrame;
    try {
      frame = decodeWire(payload);
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      // A peer's bad bytes are refused and counted; the connection and the machine go on.
      this.stats.rejected++;
      machine.refuseFrame(sender, error.reason);
      return;
    }
    this.#pipeline.receive({ from: sender, to: machine.name, frame });
  }

  /** Counts and traces a frame lost on its way to `to` (its connection failed). */
  #lost(frame: WireFrame, from: string, to: string, note: string): void {
    this.#faults.lost({ from, to, frame }, note);
  }
}

/** A connection's first frame is not a hello naming a machine: the connection is refused. */
class HelloError extends TypeError {
  override name = "HelloError";
}

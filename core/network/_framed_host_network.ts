/**
 * What the UDP and HTTP networks share: the frame pipeline the simulator and the TCP network use
 * too (the given stages, such as authentication, then the fault stage: drop, duplicate, delay,
 * cuts, the lab's exempt machines), counters as the TCP network has them, and the packet both
 * send: frames in the frame codec of `frame.ts` (4-byte big-endian length + payload), a hello
 * frame of the wire codec naming the sending machine first (as a TCP connection starts), then one
 * or more wire frames.
 * @module
 */
import type { Machine } from "../machine.ts";
import { decodeHello, decodeWire, encodeWire, WireError, type WireFrame } from "../wire.ts";
import { checkFaults } from "../pipeline/fault_schedule.ts";
import { FaultStage } from "../pipeline/fault_stage.ts";
import { FramePipeline, type Transit } from "../pipeline/frame_pipeline.ts";
import { encodeFrame, FrameDecoder, FrameError, writeFrameHeader } from "./frame.ts";
import type { HostNetworkOptions, HostNetworkStats } from "./host_network.ts";

/** Options shared by the UDP and HTTP networks. */
export type FramedNetworkOptions = HostNetworkOptions;

/** The frames of `payloads`, after a hello naming `from`, in one buffer. */
export function encodePacket(
  from: string,
  payloads: readonly Uint8Array[],
): Uint8Array<ArrayBuffer> {
  const hello = encodeWire({ kind: "hello", machine: from });
  let size = 4 + hello.length;
  for (const p of payloads) size += 4 + p.length;
  const packet = new Uint8Array(size);
  packet.set(encodeFrame(hello), 0);
  let offset = 4 + hello.length;
  for (const p of payloads) {
    writeFrameHeader(packet, offset, p.length);
    packet.set(p, offset + 4);
    offset += 4 + p.length;
  }
  return packet;
}

/** Bytes a packet of one `payload` from `from` takes. */
export function packetSize(from: string, payload: Uint8Array): number {
  return 8 + encodeWire({ kind: "hello", machine: from }).length + payload.length;
}

/**
 * The sending machine and the wire frames of a packet.
 *
 * @throws {TypeError} When the packet does not start with a hello naming a machine.
 * @throws {FrameError} When a frame is over `maxFrame` or the packet ends inside one.
 */
export function decodePacket(
  bytes: Uint8Array,
  maxFrame: number,
): { sender: string; payloads: Uint8Array[] } {
  const frames = new FrameDecoder({ maxFrame });
  const [hello, ...payloads] = frames.push(bytes);
  frames.end();
  const sender = hello === undefined ? undefined : helloOf(hello);
  if (sender === undefined) {
    throw new TypeError(
      'Cannot accept packet: its first frame is not a hello naming a machine ({"kind":"hello","machine":"m1.lab"})',
    );
  }
  return { sender, payloads };
}

/** The machine a hello frame names, or `undefined` when the payload is not a hello. */
function helloOf(payload: Uint8Array): string | undefined {
  try {
    return decodeHello(payload);
  } catch (error) {
    if (error instanceof WireError) return undefined;
    throw error;
  }
}

/** How {@link FramedCore.receivePacket} takes a packet. */
export interface ReceivePacketOptions {
  /** Largest frame in the packet. */
  readonly maxFrame: number;
  /** Where the packet came from (`host:port`), for the trace of a refusal. */
  readonly origin: string;
  /** Why the packet's hello, naming `sender`, is refused; `undefined` takes it. @default takes every hello */
  readonly admit?: (sender: string) => string | undefined;
}

/** How a transport moves the bytes of a {@link FramedCore}. */
export interface FramedTransport {
  /** Throws when `payload` from `from` cannot be sent at all (too large for the transport). */
  check(from: string, payload: Uint8Array): void;
  /** Moves one encoded wire frame; `frame` is for the trace when it is lost. */
  write(from: string, to: string, payload: Uint8Array, frame: WireFrame): void;
}

/**
 * The part of a host network that does not depend on how bytes move, for networks that send
 * each frame on its own (a datagram, a request): faults, counters, the size check, cuts, and
 * delivery to the machine. The UDP and HTTP networks hold one.
 */
export class FramedCore {
  /** Counters. */
  readonly stats: HostNetworkStats = {
    frames: 0,
    bytes: 0,
    acks: 0,
    dropped: 0,
    duplicated: 0,
    received: 0,
    rejected: 0,
  };
  readonly options: FramedNetworkOptions;
  machine: Machine | undefined;
  closed = false;
  readonly #transport: FramedTransport;
  readonly #faults: FaultStage;
  readonly #pipeline: FramePipeline;

  constructor(options: FramedNetworkOptions, transport: FramedTransport) {
    checkFaults(options, "Cannot create network");
    this.options = options;
    this.#transport = transport;
    this.#faults = new FaultStage({
      schedule: options,
      random: options.random ?? options.runtime.random,
      stats: this.stats,
    });
    this.#pipeline = new FramePipeline([...options.stages ?? [], this.#faults], {
      carry: (t) => this.#carry(t),
      deliver: (t) => {
        // Refused by the machine (its envelope names a sender on another machine): counted.
        if (this.machine?.receiveFrame(t.from, t.frame) === false) this.stats.rejected++;
      },
      trace: options.trace,
      now: () => options.runtime.now(),
      machine: (name) => this.machine?.name === name ? this.machine : undefined,
    });
  }

  /** The fault stage of this network's frame pipeline (the cuts of {@link FramedCore.cut} included). */
  get faults(): FaultStage {
    return this.#faults;
  }

  /** Cuts (or restores) the link to `machines`: frames to them are lost, as in a partition. */
  cut(machines: readonly string[], on = true): void {
    this.#faults.cutTo(machines, on);
  }

  /** Sends a frame through the pipeline; a lost frame is the reliable channel's business. */
  send(from: string, to: string, frame: WireFrame): void {
    if (this.closed) return;
    this.#pipeline.send({ from, to, frame });
  }

  /** The pipeline's carrier: encodes the frame, checks its size, counts it, writes it after its delay. */
  #carry(t: Transit): void {
    // Stages send frames of their own (an authentication hello): none after close().
    if (this.closed) return;
    const { from, to, frame } = t;
    const payload = encodeWire(frame);
    const transport = this.#transport;
    transport.check(from, payload);
    if (this.#faults.exempt(from, to)) return transport.write(from, to, payload, frame);
    this.stats.frames++;
    this.stats.bytes += packetSize(from, payload);
    if (frame.kind === "ack") this.stats.acks++;
    if (t.delay === undefined) transport.write(from, to, payload, frame);
    else this.options.runtime.setTimer(t.delay, () => transport.write(from, to, payload, frame));
  }

  /**
   * Hands the frames of a received packet to the machine; bad bytes are refused and counted, and
   * so is a packet whose hello `admit` refuses (every frame of it). Returns the sending machine,
   * when the packet named one and was taken.
   */
  receivePacket(bytes: Uint8Array, options: ReceivePacketOptions): string | undefined {
    const machine = this.machine;
    if (machine === undefined || this.closed) return undefined;
    const { origin } = options;
    let packet: { sender: string; payloads: Uint8Array[] };
    try {
      packet = decodePacket(bytes, options.maxFrame);
    } catch (error) {
      if (!(error instanceof TypeError || error instanceof FrameError)) throw error;
      this.stats.rejected++;
      machine.refuseFrame(origin, error.message);
      return undefined;
    }
    const refusal = options.admit?.(packet.sender);
    if (refusal !== undefined) {
      this.stats.rejected++;
      machine.refuse(origin, refusal);
      return undefined;
    }
    for (const payload of packet.payloads) this.#receive(machine, packet.sender, payload);
    return packet.sender;
  }

  #receive(machine: Machine, sender: string, payload: Uint8Array): void {
    if (!this.#faults.exempt(sender, machine.name)) this.stats.received++;
    let frame: WireFrame;
    try {
      frame = decodeWire(payload);
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      this.stats.rejected++;
      machine.refuseFrame(sender, error.reason);
      return;
    }
    this.#pipeline.receive({ from: sender, to: machine.name, frame });
  }

  /** Counts a lost frame and traces it when it carried a message. */
  lost(frame: WireFrame, at: string, note: string, to = ""): void {
    this.#faults.lost({ from: at, to, frame }, note);
  }
}

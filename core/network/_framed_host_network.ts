/**
 * What the UDP and HTTP networks share: the injected faults (drop, duplicate, delay, cuts, the
 * lab's exempt machines) and counters as {@link TcpNetwork} has them, and the packet both send:
 * frames in the frame codec of `frame.ts` (4-byte big-endian length + payload), a hello frame
 * naming the sending machine first (as a TCP connection starts), then one or more wire frames.
 * @module
 */
import type { Machine } from "../machine.ts";
import { parseMachine } from "../name.ts";
import { envelopeEvent } from "../trace.ts";
import { decodeWire, WireError, type WireFrame } from "../wire.ts";
import { sampleLatency } from "../latency.ts";
import { encodeFrame, FrameDecoder, FrameError, writeFrameHeader } from "./frame.ts";
import type { HostNetworkOptions, HostNetworkStats } from "./host_network.ts";

/** Options shared by the UDP and HTTP networks. */
export type FramedNetworkOptions = HostNetworkOptions;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The frames of `payloads`, after a hello naming `from`, in one buffer. */
export function encodePacket(
  from: string,
  payloads: readonly Uint8Array[],
): Uint8Array<ArrayBuffer> {
  const hello = encoder.encode(JSON.stringify({ hello: from }));
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
  return 8 + encoder.encode(JSON.stringify({ hello: from })).length + payload.length;
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
      'Cannot accept packet: its first frame is not a hello naming a machine ({"hello":"m1.lab"})',
    );
  }
  return { sender, payloads };
}

/** The machine a hello frame names, or `undefined` when the payload is not a hello. */
function helloOf(payload: Uint8Array): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(payload));
  } catch {
    return undefined;
  }
  const hello = (value as { hello?: unknown } | null)?.hello;
  if (typeof hello !== "string") return undefined;
  try {
    const { machine, domain } = parseMachine(hello);
    return `${machine}.${domain}` === hello ? hello : undefined;
  } catch (error) {
    if (error instanceof TypeError) return undefined;
    throw error;
  }
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
    received: 0,
    rejected: 0,
  };
  readonly options: FramedNetworkOptions;
  machine: Machine | undefined;
  closed = false;
  readonly #transport: FramedTransport;
  readonly #cut = new Set<string>();
  readonly #exempt: ReadonlySet<string>;

  constructor(options: FramedNetworkOptions, transport: FramedTransport) {
    this.options = options;
    this.#transport = transport;
    this.#exempt = new Set(options.exempt ?? []);
  }

  /** Cuts (or restores) the link to `machines`: frames to them are lost, as in a partition. */
  cut(machines: readonly string[], on = true): void {
    for (const machine of machines) {
      if (on) this.#cut.add(machine);
      else this.#cut.delete(machine);
    }
  }

  /** Sends a frame under the injected faults; a lost frame is the reliable channel's business. */
  send(from: string, to: string, frame: WireFrame): void {
    if (this.closed) return;
    const payload = encoder.encode(JSON.stringify(frame));
    const transport = this.#transport;
    transport.check(from, payload);
    if (this.#exempt.size > 0 && (this.#exempt.has(from) || this.#exempt.has(to))) {
      transport.write(from, to, payload, frame);
      return;
    }
    if (this.#cut.size > 0 && this.#cut.has(to)) {
      this.lost(frame, from, "partition");
      return;
    }
    const { runtime, drop, duplicate, latency } = this.options;
    if (drop && runtime.random() < drop) {
      this.lost(frame, from, "lost (injected)");
      return;
    }
    const copies = duplicate && runtime.random() < duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      this.stats.frames++;
      this.stats.bytes += packetSize(from, payload);
      if (frame.kind === "ack") this.stats.acks++;
      if (latency) {
        const delay = sampleLatency(latency, runtime.random);
        runtime.setTimer(delay, () => transport.write(from, to, payload, frame));
      } else {
        transport.write(from, to, payload, frame);
      }
    }
  }

  /**
   * Hands the frames of a received packet to the machine; bad bytes are refused and counted.
   * Returns the sending machine, when the packet named one.
   */
  receivePacket(bytes: Uint8Array, maxFrame: number, origin: string): string | undefined {
    const machine = this.machine;
    if (machine === undefined || this.closed) return undefined;
    let packet: { sender: string; payloads: Uint8Array[] };
    try {
      packet = decodePacket(bytes, maxFrame);
    } catch (error) {
      if (!(error instanceof TypeError || error instanceof FrameError)) throw error;
      this.stats.rejected++;
      machine.refuseFrame(origin, error.message);
      return undefined;
    }
    for (const payload of packet.payloads) this.#receive(machine, packet.sender, payload);
    return packet.sender;
  }

  #receive(machine: Machine, sender: string, payload: Uint8Array): void {
    if (this.#exempt.size === 0 || !(this.#exempt.has(sender) || this.#exempt.has(machine.name))) {
      this.stats.received++;
    }
    let frame: WireFrame;
    try {
      frame = decodeWire(payload);
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      this.stats.rejected++;
      machine.refuseFrame(sender, error.reason);
      return;
    }
    machine.receiveFrame(sender, frame);
  }

  /** Counts a lost frame and traces it when it carried a message. */
  lost(frame: WireFrame, at: string, note: string): void {
    this.stats.dropped++;
    if (frame.kind !== "msg" || this.options.trace === undefined) return;
    this.options.trace.record(
      envelopeEvent(this.options.runtime.now(), "drop", at, frame.env, note),
    );
  }
}

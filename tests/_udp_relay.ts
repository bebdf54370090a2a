/**
 * A lossy UDP path for tests: a relay on 127.0.0.1 that forwards every datagram to one target,
 * dropping, duplicating and holding back (so that the next datagram overtakes it) by a seeded
 * generator, and counting what it did. Faults stop after `faultyDatagrams` datagrams (the run
 * then completes on a clean path); a datagram held when no other follows goes on after 20 ms.
 * @module
 */
import dgram from "node:dgram";
import { createRandom } from "../core/prng.ts";

/** Options of {@link lossyRelay}. */
export interface LossyRelayOptions {
  /** Seed of the relay's generator. */
  readonly seed: number;
  /** Probability that a datagram is dropped. @default 0 */
  readonly drop?: number;
  /** Probability that a datagram is sent twice. @default 0 */
  readonly duplicate?: number;
  /** Probability that a datagram is held until the next one went. @default 0 */
  readonly reorder?: number;
  /** Datagrams the faults apply to; later ones are forwarded as they come. @default 10,000 */
  readonly faultyDatagrams?: number;
}

/** What a relay did. */
export interface RelayCounts {
  forwarded: number;
  dropped: number;
  duplicated: number;
  /** Datagrams held back and overtaken by a later one. */
  reordered: number;
}

/** A running relay. */
export interface LossyRelay {
  /** `127.0.0.1:port` to send to instead of the target. */
  readonly endpoint: string;
  readonly counts: RelayCounts;
  close(): Promise<void>;
}

/** Starts a relay to `target` (`host:port`). */
export async function lossyRelay(target: string, options: LossyRelayOptions): Promise<LossyRelay> {
  const colon = target.lastIndexOf(":");
  const host = target.slice(0, colon), port = Number(target.slice(colon + 1));
  const generator = createRandom(options.seed);
  const random = () => generator.next();
  const counts: RelayCounts = { forwarded: 0, dropped: 0, duplicated: 0, reordered: 0 };
  const socket = dgram.createSocket("udp4");
  const limit = options.faultyDatagrams ?? 10_000;
  let seen = 0;
  let held: { bytes: Uint8Array; timer: ReturnType<typeof setTimeout> } | undefined;
  const forward = (bytes: Uint8Array) => {
    counts.forwarded++;
    socket.send(bytes, port, host);
  };
  const release = (overtaken: boolean) => {
    if (held === undefined) return;
    clearTimeout(held.timer);
    if (overtaken) counts.reordered++;
    forward(held.bytes);
    held = undefined;
  };
  socket.on("message", (message: Uint8Array) => {
    if (message.byteLength === 0) return; // The warm-up below.
    const bytes = new Uint8Array(message);
    if (++seen > limit) {
      forward(bytes);
      release(true);
      return;
    }
    if (random() < (options.drop ?? 0)) {
      counts.dropped++;
      return;
    }
    if (held === undefined && random() < (options.reorder ?? 0)) {
      held = { bytes, timer: setTimeout(() => release(false), 20) };
      return;
    }
    const copies = random() < (options.duplicate ?? 0) ? 2 : 1;
    if (copies === 2) counts.duplicated++;
    for (let i = 0; i < copies; i++) forward(bytes);
    release(true);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  // Deno's node:dgram reverses a burst sent before the socket's first send completed.
  await new Promise<void>((resolve) => {
    socket.send(new Uint8Array(0), socket.address().port, "127.0.0.1", () => resolve());
  });
  return {
    endpoint: `127.0.0.1:${socket.address().port}`,
    counts,
    close() {
      if (held !== undefined) clearTimeout(held.timer);
      return new Promise((resolve) => socket.close(() => resolve()));
    },
  };
}

/**
 * Binding authenticated frames to the receiver's incarnation, so that frames recorded before a
 * receiver restarted are refused after it. A replay window lives in memory: a restarted
 * machine's is empty, and without more it would take a recorded frame again. So every signed
 * frame also names, inside its MAC, the incarnation (epoch) of the machine it is for (`peer`),
 * and a machine accepts only frames bound to its current one.
 *
 * A sender learns a peer's incarnation from the peer's authenticated frames. Before it knows
 * one (first contact, or after the peer restarted), its frames are refused as `stale`, and the
 * receiver answers the sender with a signed `hello` frame (twice, against loss), bound to the
 * sender's incarnation, that carries its own: the sender learns it and sends again, bound, the frames it had sent
 * unbound (a peer that restarted gets the rest from the reliable channel's retransmissions).
 * First contact costs one round trip; a frame recorded in an earlier incarnation of the receiver
 * can never be accepted again, since its MAC binds it to that incarnation.
 *
 * An `AuthStage` keeps one {@link Incarnations} for the machines of its network, signing and
 * verifying alike: a host's one machine, or every machine of a simulator.
 * @module
 */
import type { WireFrame } from "../wire.ts";

/** Frames held per channel while the peer's incarnation is unknown; older ones are forgotten. */
const HELD_PER_CHANNEL = 64;

/** Sends a frame signed by `from`'s network; `hello` marks it as a hello. */
export type HelloSender = (from: string, to: string, frame: WireFrame, hello: boolean) => void;

/** The inner frame of a hello: an acknowledgement of nothing, never handed to a machine. */
const HELLO_FRAME: WireFrame = { kind: "ack", epoch: 0, seq: 0 };

interface Held {
  readonly epoch: number;
  readonly frames: WireFrame[];
}

/**
 * What machines know of their peers' incarnations, and the frames waiting to be bound.
 *
 * @example A sender learns the receiver's incarnation and gets its held frames back
 * ```ts
 * import assert from "node:assert/strict";
 * import { Incarnations } from "./incarnations.ts";
 * const book = new Incarnations();
 * assert.equal(book.of("m1.lab", "m2.lab"), undefined);
 * const frame = { kind: "ack", epoch: 1, seq: 1 } as const;
 * book.hold("m1.lab", 1, "m2.lab", frame);
 * assert.equal(book.learn("m1.lab", "m2.lab", 7), true);
 * assert.equal(book.learn("m1.lab", "m2.lab", 3), false); // never goes back
 * assert.equal(book.of("m1.lab", "m2.lab"), 7);
 * assert.deepEqual(book.release("m1.lab", 1, "m2.lab"), [frame]);
 * assert.deepEqual(book.release("m1.lab", 1, "m2.lab"), []);
 * ```
 */
export class Incarnations {
  /** Least time between two hellos to the same peer, in ms of the receiver's clock. */
  readonly helloInterval: number;
  readonly #known = new Map<string, number>();
  readonly #held = new Map<string, Held>();
  readonly #lastHello = new Map<string, number>();
  #send: HelloSender | undefined;

  /** Creates an empty book; `helloInterval` (ms, default 100) rate-limits hellos per peer. */
  constructor(options: { readonly helloInterval?: number } = {}) {
    const interval = options.helloInterval ?? 100;
    if (!(interval >= 0)) {
      throw new RangeError(
        `Cannot create Incarnations: helloInterval ${interval} must be a number >= 0`,
      );
    }
    this.helloInterval = interval;
  }

  /** The incarnation of `remote` that `local` binds its frames to, if it knows one. */
  of(local: string, remote: string): number | undefined {
    return this.#known.get(`${local}>${remote}`);
  }

  /**
   * `local` heard `remote` (authenticated) in incarnation `epoch`; the newest one is kept, since
   * incarnations only grow. Returns whether that changed what `local` knew.
   */
  learn(local: string, remote: string, epoch: number): boolean {
    const key = `${local}>${remote}`;
    const known = this.#known.get(key);
    if (known !== undefined && known >= epoch) return false;
    this.#known.set(key, epoch);
    return true;
  }

  /** Keeps `frame`, sent unbound by `local` in its incarnation `epoch`, to send it again bound. */
  hold(local: string, epoch: number, remote: string, frame: WireFrame): void {
    const key = `${local}>${remote}`;
    let held = this.#held.get(key);
    if (held === undefined || held.epoch !== epoch) {
      this.#held.set(key, held = { epoch, frames: [] });
    }
    // A retransmission replaces its earlier copy, and a pure ack the earlier one (acks are
    // cumulative): what is sent again is each frame once.
    const frames = held.frames;
    const same = frames.findIndex((f) =>
      frame.kind === "ack"
        ? f.kind === "ack"
        : f.kind === "msg" && frame.seq !== undefined && f.seq === frame.seq
    );
    if (same >= 0) frames.splice(same, 1);
    else if (frames.length >= HELD_PER_CHANNEL) frames.shift();
    frames.push(frame);
  }

  /** Takes the frames `local` held for `remote` in its incarnation `epoch` (older ones are dropped). */
  release(local: string, epoch: number, remote: string): WireFrame[] {
    const key = `${local}>${remote}`;
    const held = this.#held.get(key);
    this.#held.delete(key);
    return held === undefined || held.epoch !== epoch ? [] : held.frames;
  }

  /** Connects the signing network that sends hellos and frames sent again. */
  attach(send: HelloSender): void {
    this.#send = send;
  }

  /**
   * Sends a hello from `local` to `remote` at time `now`, unless one went less than
   * {@link Incarnations.helloInterval} ago (or no network is attached). Returns whether it did.
   */
  hello(local: string, remote: string, now: number): boolean {
    const key = `${local}>${remote}`;
    const last = this.#lastHello.get(key);
    if (this.#send === undefined || (last !== undefined && now - last < this.helloInterval)) {
      return false;
    }
    this.#lastHello.set(key, now);
    // Twice: a lost hello would leave the sender waiting for its retransmission timeout, and
    // the second costs one small frame (it finds nothing left to send again).
    this.#send(local, remote, HELLO_FRAME, true);
    this.#send(local, remote, HELLO_FRAME, true);
    return true;
  }

  /** Sends again, now bound, the frames `local` (incarnation `epoch`) held for `remote`. */
  resend(local: string, epoch: number, remote: string): void {
    const send = this.#send;
    if (send === undefined) return;
    for (const frame of this.release(local, epoch, remote)) send(local, remote, frame, false);
  }
}

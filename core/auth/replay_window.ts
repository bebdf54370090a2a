/**
 * A sliding replay window per sender, as in IPsec: a frame is identified by the sender's
 * incarnation `epoch` and a sequence number `seq`; the window remembers the last `size` numbers
 * of the newest epoch, so a repeated frame, or one older than the window or than the newest
 * epoch, is recognised. O(1) per frame: slot `seq % size` holds the last number seen there.
 * @module
 */

/** Where a frame sits in its sender's stream. */
export interface FramePosition {
  /** The sender's incarnation. */
  readonly epoch: number;
  /** Sequence number within the incarnation, from 1. */
  readonly seq: number;
}

/** What {@link ReplayWindow.check} finds. */
export type ReplayVerdict = "fresh" | "seen" | "too-old" | "old-epoch";

/** Options of {@link ReplayWindow}. */
export interface ReplayWindowOptions {
  /** Sequence numbers remembered per sender: reordering deeper than this is refused. @default 64 */
  readonly size?: number;
}

interface SenderState {
  epoch: number;
  max: number;
  readonly slots: Float64Array;
}

/**
 * Replay windows of every sender a machine hears from.
 *
 * @example A repeat and an old frame are refused, reordering within the window is not
 * ```ts
 * import assert from "node:assert/strict";
 * import { ReplayWindow } from "./replay_window.ts";
 * const window = new ReplayWindow({ size: 4 });
 * for (const seq of [1, 3, 2]) {
 *   assert.equal(window.check("m1.lab", { epoch: 1, seq }), "fresh");
 *   window.record("m1.lab", { epoch: 1, seq });
 * }
 * assert.equal(window.check("m1.lab", { epoch: 1, seq: 3 }), "seen");
 * window.record("m1.lab", { epoch: 1, seq: 9 });
 * assert.equal(window.check("m1.lab", { epoch: 1, seq: 4 }), "too-old");
 * assert.equal(window.check("m1.lab", { epoch: 2, seq: 1 }), "fresh");
 * ```
 */
export class ReplayWindow {
  /** Sequence numbers remembered per sender. */
  readonly size: number;
  readonly #senders = new Map<string, SenderState>();

  /** Creates empty windows. */
  constructor(options: ReplayWindowOptions = {}) {
    const size = options.size ?? 64;
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`Cannot create replay window: size ${size} must be an integer >= 1`);
    }
    this.size = size;
  }

  /** Whether a frame at `position` from `from` would be new; records nothing. */
  check(from: string, position: FramePosition): ReplayVerdict {
    const state = this.#senders.get(from);
    if (state === undefined || position.epoch > state.epoch) return "fresh";
    if (position.epoch < state.epoch) return "old-epoch";
    const seq = position.seq;
    if (seq > state.max) return "fresh";
    if (seq <= state.max - this.size) return "too-old";
    return state.slots[seq % this.size] === seq ? "seen" : "fresh";
  }

  /** Remembers a frame at `position` from `from` (after it was checked and authenticated). */
  record(from: string, position: FramePosition): void {
    let state = this.#senders.get(from);
    if (state === undefined || position.epoch > state.epoch) {
      state = { epoch: position.epoch, max: 0, slots: new Float64Array(this.size) };
      this.#senders.set(from, state);
    } else if (position.epoch < state.epoch) {
      return;
    }
    if (position.seq > state.max) state.max = position.seq;
    state.slots[position.seq % this.size] = position.seq;
  }

  /** Explains a verdict other than `"fresh"` for an error message. */
  explain(from: string, position: FramePosition, verdict: ReplayVerdict): string {
    const at = `epoch ${position.epoch} seq ${position.seq}`;
    const state = this.#senders.get(from);
    switch (verdict) {
      case "seen":
        return `${at} was accepted before (a replay)`;
      case "too-old":
        return `${at} is older than the ${this.size}-frame replay window (newest seq ${state?.max})`;
      case "old-epoch":
        return `${at} belongs to an incarnation older than epoch ${state?.epoch} (a replay)`;
      default:
        return `${at} is fresh`;
    }
  }
}

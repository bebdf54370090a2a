/**
 * Runs a machine incarnation's {@link ReliableLink}: steps it with the envelopes to send, the
 * frames that arrive and the ticks of its one timer, carries out the effects it answers with,
 * and keeps its runtime timers at the link's deadlines: one at the earliest retransmission
 * deadline and one 0 ms timer while acks are due this turn (two per machine, not one per frame or
 * per peer). Flow control, once the machine has it, is ticked by the same timers.
 * @module
 */
import type { Envelope } from "./envelope.ts";
import type { MachineTimers } from "./_machine_timers.ts";
import type { LinkEffect, ReliableLink } from "./reliable_link.ts";
import type { Runtime, TimerId } from "./runtime.ts";
import type { WireFrame } from "./wire.ts";

/** Where a link's effects go. */
export interface LinkPorts {
  /** Puts a frame on the network. */
  transmit(to: string, frame: WireFrame): void;
  /** Hands an envelope that arrived from machine `from` (in order, once) to the machine. */
  deliver(from: string, env: Envelope): void;
  /** Records a link event about `env`. */
  event(ev: "retransmit" | "drop" | "duplicate", env: Envelope, note: string): void;
  /** Machine `machine` restarted. */
  restarted(machine: string): void;
  /** The channel to `machine` gave up on its frames. */
  unreachable(machine: string): void;
}

/** Something else the link's timer ticks (flow control). */
export interface Ticked {
  /** When it must be ticked next (ms), or `Infinity`. */
  readonly deadline: number;
  /** The time is `now`. */
  tick(now: number): void;
}

/** The driver of one incarnation's link. */
export class LinkDriver {
  /** The state machine it drives. */
  readonly link: ReliableLink;
  readonly #runtime: Runtime;
  readonly #timers: MachineTimers;
  readonly #ports: LinkPorts;
  /** The timer for what is due this turn (acks, flow control's messages), if armed. */
  #turn: TimerId | undefined;
  /** The timer for the later deadlines (retransmissions, flow control's waits), if armed. */
  #timer: TimerId | undefined;
  #armedAt = Infinity;
  /** The two timers last set, which are set again once they ran or were cancelled. */
  #turnSpare: TimerId | undefined;
  #timerSpare: TimerId | undefined;
  #other: Ticked | undefined;
  readonly #fireTurn = (): void => {
    this.#turn = undefined;
    this.#tick();
  };
  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    this.#tick();
  };

  /** Drives `link` on `timers`, its effects to `ports`. */
  constructor(link: ReliableLink, runtime: Runtime, timers: MachineTimers, ports: LinkPorts) {
    this.link = link;
    this.#runtime = runtime;
    this.#timers = timers;
    this.#ports = ports;
  }

  /** Ticks `other` too, at its deadline (see {@link LinkDriver.wake}). */
  attach(other: Ticked): void {
    this.#other = other;
  }

  /** The attached deadline may have come closer: the timer follows. */
  wake(): void {
    this.#arm();
  }

  /** Sends `env` to machine `to`. */
  send(to: string, env: Envelope): void {
    // Without the reliable channel the link answers one transmit of the envelope as it is: the
    // frame goes out without the effect list (the in-memory path's hot spot between machines).
    if (!this.link.reliable) return this.#ports.transmit(to, { kind: "msg", env });
    this.#ports.transmit(to, this.link.sendFrame(to, env, this.#runtime.now()));
    this.#arm();
  }

  /** Takes a frame from machine `from`. */
  receive(from: string, frame: WireFrame): void {
    // Likewise a message frame without a sequence number on a link without the channel: the
    // link's one effect is to deliver it.
    if (!this.link.reliable && frame.kind === "msg" && frame.seq === undefined) {
      return this.#ports.deliver(from, frame.env);
    }
    const got = this.link.take(from, frame, this.#runtime.now());
    if (!Array.isArray(got)) {
      // The frame's one effect: its envelope is delivered (the link has settled first).
      this.#ports.deliver(from, got as Envelope);
      return this.#arm();
    }
    this.#apply(got);
  }

  #apply(effects: readonly LinkEffect[]): void {
    const ports = this.#ports;
    for (let i = 0; i < effects.length; i++) {
      const effect = effects[i];
      switch (effect.kind) {
        case "transmit":
          ports.transmit(effect.to, effect.frame);
          break;
        case "deliver":
          ports.deliver(effect.from, effect.env);
          break;
        case "event":
          ports.event(effect.ev, effect.env, effect.note);
          break;
        case "restarted":
          ports.restarted(effect.machine);
          break;
        case "unreachable":
          ports.unreachable(effect.machine);
          break;
      }
    }
    if (this.link.reliable) this.#arm();
  }

  #tick(): void {
    const now = this.#runtime.now();
    this.#apply(this.link.tick(now));
    if (this.#other !== undefined) {
      this.#other.tick(now);
      this.#arm();
    }
  }

  /**
   * Keeps the timers at the deadlines of the link and of what is attached: one 0 ms timer while
   * something is due this turn (as acks were timed before the link had deadlines), one timer at
   * the earliest later deadline, moved only when that deadline moves.
   */
  #arm(): void {
    const now = this.#runtime.now();
    let turn = this.link.acksDue, later = this.link.timersDue;
    const other = this.#other?.deadline ?? Infinity;
    if (other > now) {
      if (other < later) later = other;
    } else if (other < turn) turn = other;
    if (turn !== Infinity) {
      this.#turn ??= this.#turnSpare = this.#timers.set(
        Math.max(0, turn - now),
        this.#fireTurn,
        this.#turnSpare,
      );
    } else if (this.#turn !== undefined) {
      this.#timers.clear(this.#turn);
      this.#turn = undefined;
    }
    if (later === this.#armedAt) return;
    if (this.#timer !== undefined) this.#timers.clear(this.#timer);
    this.#armedAt = later;
    this.#timer = later === Infinity
      ? undefined
      : this.#timerSpare = this.#timers.set(Math.max(0, later - now), this.#fire, this.#timerSpare);
  }
}

/**
 * Authentication as a stage of the frame pipeline: on the way out every frame is signed
 * (HMAC-SHA256 over the frame, both machine names and its `(epoch, seq)`, numbered per channel
 * and starting again when the sender's epoch changes; the body optionally sealed with
 * AES-256-GCM); on the way in it is verified (MAC, replay window, binding to the receiver's
 * incarnation) and handed on unsealed, or refused. Composed when the network is built: the
 * simulator's `stages` option, a TCP network's, `startHost`'s `auth`.
 *
 * Limits: the `(epoch, seq)` of a frame is its own, numbered per transmission (a retransmission
 * of the reliable channel is a new frame; a network duplicate is refused as a replay). The
 * sender's epoch must grow with each restart (a machine's does). The replay windows are volatile
 * like the rest of the machine (a restart, a new epoch, starts them empty); with incarnations
 * (the default) every frame is bound to the receiver's incarnation ({@link Incarnations}), so a
 * frame recorded before a restart is refused after it. Kind, addresses and ids stay readable;
 * machine names come from the transport (TCP's hello) and are bound by the MAC, not by a
 * handshake.
 * @module
 */
import { AuthError, type AuthFailure } from "./auth_error.ts";
import { AuthKey, type AuthKeySource, type AuthSecret } from "./auth_key.ts";
import { type SignedFrame, signFrame, verifyFrame } from "./envelope_auth.ts";
import { Incarnations } from "./incarnations.ts";
import { ReplayWindow } from "./replay_window.ts";
import type { Machine } from "../machine.ts";
import { envelopeEvent } from "../trace.ts";
import type { WireFrame } from "../wire.ts";
import type { FrameStage, StageContext, Transit, TransitSink } from "../pipeline/frame_pipeline.ts";

/** Counters of an authentication stage (live: they change as frames arrive). */
export interface AuthStats {
  /** Frames that passed. */
  accepted: number;
  /** Frames refused, by reason. */
  readonly rejected: Record<AuthFailure, number>;
}

/** Options of {@link AuthStage}. */
export interface AuthStageOptions {
  /**
   * The key every machine shares, or each machine's key (required). A machine without one sends
   * unsigned frames and accepts anything: an outsider.
   */
  readonly key: AuthKeySource;
  /** Seal every message body with AES-256-GCM. @default false */
  readonly encrypt?: boolean;
  /** Sequence numbers remembered per sender (reordering deeper than this is refused). @default 64 */
  readonly window?: number;
  /** Record refused frames in the network's trace as `drop` events noting the reason. @default true */
  readonly trace?: boolean;
  /** Called with each refused frame. @default none */
  readonly onReject?: (error: AuthError, frame: WireFrame) => void;
  /**
   * Bind every frame to its receiver's incarnation: `true` with a book of the stage's own, or
   * the book to use; `false` leaves frames unbound (a restarted receiver would take a frame
   * recorded before its restart once). @default true
   */
  readonly incarnations?: boolean | Incarnations;
}

/** What a verifying machine keeps: its replay windows, for the epoch they belong to. */
interface Verifier {
  epoch: number;
  window: ReplayWindow;
}

/**
 * Signs every frame its machines send and verifies every frame they receive.
 *
 * @example An outsider without the key is not heard
 * ```ts
 * import assert from "node:assert/strict";
 * import { AuthStage, Simulator } from "../mod.ts";
 * const auth = new AuthStage({
 *   key: (machine) => machine === "evil.lab" ? undefined : "a long shared secret, 32+ bytes",
 *   encrypt: true,
 * });
 * const sim = new Simulator({ seed: 1, stages: [auth] });
 * const heard: string[] = [];
 * sim.machine("m2.lab").spawn("b", async (ctx) => {
 *   for (;;) heard.push((await ctx.receive<string>()).body);
 * });
 * sim.machine("m1.lab").spawn("a", (ctx) => ctx.send("b@m2.lab", "from a friend"));
 * sim.machine("evil.lab").spawn("x", (ctx) => ctx.send("b@m2.lab", "from an outsider"));
 * await sim.run({ until: 1000 });
 * assert.deepEqual(heard, ["from a friend"]);
 * assert.ok(auth.stats.rejected.missing >= 1);
 * ```
 */
export class AuthStage implements FrameStage {
  /** Frames accepted and refused by every machine of the network. */
  readonly stats: AuthStats = {
    accepted: 0,
    rejected: { "bad-mac": 0, replay: 0, missing: 0, stale: 0 },
  };
  /** What the machines know of their peers' incarnations; `undefined` when frames are unbound. */
  readonly incarnations: Incarnations | undefined;
  readonly #keys: (machine: string) => AuthKey | undefined;
  readonly #encrypt: boolean;
  readonly #window: number;
  readonly #options: AuthStageOptions;
  readonly #channels = new Map<string, { epoch: number; seq: number }>();
  readonly #verifiers = new Map<string, Verifier>();
  #context: StageContext | undefined;

  /** Creates the stage. */
  constructor(options: AuthStageOptions) {
    const window = options.window ?? 64;
    if (!(Number.isSafeInteger(window) && window >= 1)) {
      throw new RangeError(`Cannot create AuthStage: window ${window} must be an integer >= 1`);
    }
    this.#options = options;
    this.#keys = keyring(options.key);
    this.#encrypt = options.encrypt ?? false;
    this.#window = window;
    const book = options.incarnations ?? true;
    this.incarnations = book === true ? new Incarnations() : book === false ? undefined : book;
  }

  /** Keeps the network's machines and trace; hellos and held frames go out after this stage. */
  attach(context: StageContext): void {
    this.#context = context;
    this.incarnations?.attach((from, to, frame, hello) =>
      this.#sign({ from, to, frame }, hello, context.next)
    );
  }

  /** Signs a frame going out (unless its machine has no key). */
  send(t: Transit, next: TransitSink): void {
    this.#sign(t, false, next);
  }

  /** Verifies a frame coming in and hands it on unsealed, or refuses it. */
  receive(t: Transit, next: TransitSink): void {
    const machine = this.#context?.machine(t.to);
    if (machine === undefined || !machine.alive) return;
    const key = this.#keys(machine.name);
    if (key === undefined) return next(t);
    const { from, frame } = t;
    const verifier = this.#verifier(machine);
    const book = this.incarnations;
    const signed = frame as SignedFrame;
    let plain: WireFrame;
    try {
      plain = verifyFrame(signed, {
        key,
        from,
        to: machine.name,
        window: verifier.window,
        epoch: book === undefined ? undefined : verifier.epoch,
      });
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      this.#refused(machine, from, frame, error);
      if (error.reason === "stale" && book !== undefined) {
        // Authentic, but not bound to this incarnation: tell its sender which one is current.
        book.learn(machine.name, from, signed.auth!.epoch);
        if (signed.auth!.hello !== true) book.hello(machine.name, from, machine.runtime.now());
      }
      return;
    }
    this.stats.accepted++;
    if (book !== undefined) {
      book.learn(machine.name, from, signed.auth!.epoch);
      if (signed.auth!.hello === true) return book.resend(machine.name, verifier.epoch, from);
    }
    t.frame = plain;
    next(t);
  }

  #sign(t: Transit, hello: boolean, next: TransitSink): void {
    const { from, to, frame } = t;
    const key = this.#keys(from);
    if (key === undefined) return next(t);
    const epoch = this.#context?.machine(from)?.epoch ?? 1;
    const name = `${from}>${to}`;
    let channel = this.#channels.get(name);
    if (channel === undefined || channel.epoch !== epoch) {
      this.#channels.set(name, channel = { epoch, seq: 0 });
    }
    const seq = ++channel.seq;
    const book = this.incarnations;
    const peer = book?.of(from, to);
    // Unbound, it will be refused: held to go again as soon as the receiver says who it is.
    if (book !== undefined && peer === undefined && !hello) book.hold(from, epoch, to, frame);
    t.frame = signFrame(frame, { key, from, to, epoch, seq, encrypt: this.#encrypt, peer, hello });
    next(t);
  }

  /** The replay windows of `machine`, started again when its epoch changed (a restart). */
  #verifier(machine: Machine): Verifier {
    let verifier = this.#verifiers.get(machine.name);
    if (verifier === undefined || verifier.epoch !== machine.epoch) {
      verifier = { epoch: machine.epoch, window: new ReplayWindow({ size: this.#window }) };
      this.#verifiers.set(machine.name, verifier);
    }
    return verifier;
  }

  #refused(machine: Machine, from: string, frame: WireFrame, error: AuthError): void {
    this.stats.rejected[error.reason]++;
    const trace = this.#options.trace === false ? undefined : this.#context?.trace;
    if (trace !== undefined) {
      const t = machine.runtime.now(), note = `auth ${error.reason}: ${error.message}`;
      trace.record(
        frame.kind === "msg"
          ? envelopeEvent(t, "drop", machine.name, frame.env, note)
          : { t, ev: "drop", at: machine.name, note: `${note} (an ack from ${from})` },
      );
    }
    this.#options.onReject?.(error, frame);
  }
}

/** Resolves `source` to a function giving each machine's derived key (derived once per secret). */
function keyring(source: AuthKeySource): (machine: string) => AuthKey | undefined {
  const derived = new Map<AuthSecret, AuthKey>();
  const derive = (secret: AuthKey | AuthSecret | undefined): AuthKey | undefined => {
    if (secret === undefined || secret instanceof AuthKey) return secret;
    let key = derived.get(secret);
    if (key === undefined) derived.set(secret, key = new AuthKey(secret));
    return key;
  };
  if (typeof source !== "function") {
    const key = derive(source);
    return () => key;
  }
  const perMachine = new Map<string, AuthKey | undefined>();
  return (machine) => {
    if (!perMachine.has(machine)) perMachine.set(machine, derive(source(machine)));
    return perMachine.get(machine);
  };
}

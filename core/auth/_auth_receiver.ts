/**
 * The pieces the authenticating adapters share: resolving keys per machine, and putting a
 * verifying filter in front of a machine's `receiveFrame`.
 * @module
 */
import { AuthError, type AuthFailure } from "./auth_error.ts";
import { AuthKey, type AuthKeySource, type AuthSecret } from "./auth_key.ts";
import { type SignedFrame, verifyFrame } from "./envelope_auth.ts";
import type { Machine } from "../machine.ts";
import { ReplayWindow } from "./replay_window.ts";
import { envelopeEvent, type TraceSink } from "../trace.ts";
import type { WireFrame } from "../wire.ts";
import type { Incarnations } from "./incarnations.ts";

/** Counters of a verifying receiver (live: they change as frames arrive). */
export interface AuthStats {
  /** Frames that passed. */
  accepted: number;
  /** Frames refused, by reason. */
  readonly rejected: Record<AuthFailure, number>;
}

/** Settings of {@link installVerifier}. */
export interface VerifierSettings {
  readonly window: number;
  /** Binds frames to incarnations (see incarnations.ts); without it, frames need no binding. */
  readonly incarnations?: Incarnations;
  readonly trace?: TraceSink;
  readonly onReject?: (error: AuthError, frame: WireFrame) => void;
}

/** Fresh counters. */
export function newStats(): AuthStats {
  return { accepted: 0, rejected: { "bad-mac": 0, replay: 0, missing: 0, stale: 0 } };
}

/** Resolves `source` to a function giving each machine's derived key (derived once per secret). */
export function keyring(source: AuthKeySource): (machine: string) => AuthKey | undefined {
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

/**
 * Replaces `machine.receiveFrame` with a filter that verifies each frame under `key` and hands
 * on only the frames that pass. The replay windows are volatile like the rest of the machine:
 * a restart (a new epoch) starts them empty. With `settings.incarnations`, a frame must also be
 * bound to the machine's current epoch: one that is not is refused as `stale` and its sender
 * gets a hello; a hello that passes teaches this machine the sender's epoch and is not handed on.
 */
export function installVerifier(
  machine: Machine,
  key: AuthKey,
  settings: VerifierSettings,
  stats: AuthStats,
): void {
  const inner = machine.receiveFrame.bind(machine);
  const book = settings.incarnations;
  let epoch = machine.epoch;
  let window = new ReplayWindow({ size: settings.window });
  machine.receiveFrame = (from: string, frame: WireFrame): void => {
    if (!machine.alive) return;
    if (machine.epoch !== epoch) {
      epoch = machine.epoch;
      window = new ReplayWindow({ size: settings.window });
    }
    const signed = frame as SignedFrame;
    let plain: WireFrame;
    try {
      plain = verifyFrame(signed, {
        key,
        from,
        to: machine.name,
        window,
        epoch: book === undefined ? undefined : epoch,
      });
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      refused(machine, from, frame, error, settings, stats);
      if (error.reason === "stale" && book !== undefined) {
        // Authentic, but not bound to this incarnation: tell its sender which one is current.
        book.learn(machine.name, from, signed.auth!.epoch);
        if (signed.auth!.hello !== true) book.hello(machine.name, from, machine.runtime.now());
      }
      return;
    }
    stats.accepted++;
    if (book !== undefined) {
      book.learn(machine.name, from, signed.auth!.epoch);
      if (signed.auth!.hello === true) {
        book.resend(machine.name, epoch, from);
        return;
      }
    }
    inner(from, plain);
  };
}

function refused(
  machine: Machine,
  from: string,
  frame: WireFrame,
  error: AuthError,
  settings: VerifierSettings,
  stats: AuthStats,
): void {
  stats.rejected[error.reason]++;
  const trace = settings.trace;
  if (trace !== undefined) {
    const t = machine.runtime.now(), note = `auth ${error.reason}: ${error.message}`;
    trace.record(
      frame.kind === "msg"
        ? envelopeEvent(t, "drop", machine.name, frame.env, note)
        : { t, ev: "drop", at: machine.name, note: `${note} (an ack from ${from})` },
    );
  }
  settings.onReject?.(error, frame);
}

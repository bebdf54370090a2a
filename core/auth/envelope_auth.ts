/**
 * Envelope authentication as a pure layer over wire frames: {@link signFrame} adds an `auth`
 * header holding the sender's `(epoch, seq)` and an HMAC-SHA256 over a canonical serialisation
 * of the whole frame (envelope and channel header), both machine names, `(epoch, seq)` and
 * whether the body is sealed; {@link verifyFrame} checks the MAC, then the replay window, then
 * opens a body sealed with AES-256-GCM. Message kind, addresses and ids stay readable (routing
 * needs them); only the body is hidden.
 * @module
 */
import { canonicalJson } from "../canonical_json.ts";
import { Buffer } from "node:buffer";
import { timingSafeEqual } from "node:crypto";
import { AuthError } from "./auth_error.ts";
import { AuthKey, type AuthSecret, type SealNonce } from "./auth_key.ts";
import type { ReplayWindow } from "./replay_window.ts";
import type { WireFrame } from "../wire.ts";

/** The authentication header of a signed frame. */
export interface FrameAuth {
  /** The sending machine's incarnation. */
  readonly epoch: number;
  /** Sequence number on the channel from the sending machine to the receiving one, from 1. */
  readonly seq: number;
  /** HMAC-SHA256, base64. */
  readonly mac: string;
  /** Set when the envelope's body is sealed (AES-256-GCM). */
  readonly sealed?: true;
  /**
   * The receiving machine's incarnation the frame is bound to (see `incarnations.ts`); absent
   * when the sender does not know it yet.
   */
  readonly peer?: number;
  /** Set on a hello: the frame only tells the receiver the sender's incarnation. */
  readonly hello?: true;
}

/** A frame as it travels on an authenticated network. */
export type SignedFrame = WireFrame & { readonly auth?: FrameAuth };

/** The body of an envelope whose real body is sealed. */
export interface SealedBody {
  /** Base64 of the AES-256-GCM ciphertext and tag. */
  readonly $sealed: string;
}

/** Options of {@link signFrame}. */
export interface SignOptions {
  /** The shared key (required); pass an {@link AuthKey} to derive it once. */
  readonly key: AuthKey | AuthSecret;
  /** Sending machine (required). */
  readonly from: string;
  /** Receiving machine (required). */
  readonly to: string;
  /** Sender's incarnation (required): it must grow when the sender restarts. */
  readonly epoch: number;
  /** Sequence number on the channel `from -> to` in this epoch, from 1 (required). */
  readonly seq: number;
  /** Seal the envelope's body with AES-256-GCM. @default false */
  readonly encrypt?: boolean;
  /** The receiver's incarnation to bind the frame to. @default unbound */
  readonly peer?: number;
  /** Mark the frame as a hello. @default false */
  readonly hello?: boolean;
}

/** Options of {@link verifyFrame}. */
export interface VerifyOptions {
  /** The shared key (required); pass an {@link AuthKey} to derive it once. */
  readonly key: AuthKey | AuthSecret;
  /** The machine the frame comes from, as the transport reports it (required). */
  readonly from: string;
  /** The receiving machine (required). */
  readonly to: string;
  /** Replay windows of the receiving machine; recorded into when the frame is accepted. @default no replay check */
  readonly window?: ReplayWindow;
  /**
   * The receiving machine's current incarnation: a frame not bound to it (signed for an earlier
   * incarnation, or unbound) is refused as `stale`. @default frames need no binding
   */
  readonly epoch?: number;
}

function authKey(key: AuthKey | AuthSecret): AuthKey {
  return key instanceof AuthKey ? key : new AuthKey(key);
}

function macInput(frame: WireFrame, nonce: SealNonce, auth: Omit<FrameAuth, "mac">): string {
  const { from, to, epoch, seq } = nonce;
  const sealed = auth.sealed === true, hello = auth.hello === true, peer = auth.peer ?? null;
  return canonicalJson({ v: 2, from, to, epoch, seq, peer, hello, sealed, frame });
}

function withoutAuth(frame: SignedFrame): WireFrame {
  if (frame.auth === undefined) return frame;
  const { auth: _auth, ...rest } = frame;
  return rest as WireFrame;
}

function isHeader(auth: unknown): auth is FrameAuth {
  const a = auth as FrameAuth | undefined;
  return typeof a === "object" && a !== null && typeof a.mac === "string" &&
    Number.isSafeInteger(a.epoch) && Number.isSafeInteger(a.seq) && a.seq >= 1 &&
    (a.sealed === undefined || a.sealed === true) && (a.hello === undefined || a.hello === true) &&
    (a.peer === undefined || Number.isSafeInteger(a.peer));
}

function sameMac(a: string, b: string): boolean {
  const x = Buffer.from(a, "base64"), y = Buffer.from(b, "base64");
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Signs `frame` (and seals its body when `encrypt`); returns a new frame with an `auth` header.
 *
 * @example Sign, then verify
 * ```ts
 * import assert from "node:assert/strict";
 * import { AuthKey, signFrame, verifyFrame } from "../mod.ts";
 * const key = new AuthKey("a long shared secret, at least 32 bytes long");
 * const env = { id: "a#1.1", from: "a@m1.lab", to: "b@m2.lab", kind: "data", body: "hi", lamport: 1 };
 * const route = { key, from: "m1.lab", to: "m2.lab" };
 * const signed = signFrame({ kind: "msg", env }, { ...route, epoch: 1, seq: 1, encrypt: true });
 * assert.ok(!JSON.stringify(signed).includes('"hi"'));
 * assert.deepEqual(verifyFrame(signed, route), { kind: "msg", env });
 * ```
 */
export function signFrame(frame: WireFrame, options: SignOptions): SignedFrame {
  const key = authKey(options.key);
  const { from, to, epoch, seq, peer } = options;
  if (!Number.isSafeInteger(epoch) || !Number.isSafeInteger(seq) || seq < 1) {
    throw new RangeError(
      `Cannot sign frame: epoch ${epoch} and seq ${seq} must be integers, seq 1 or more`,
    );
  }
  if (peer !== undefined && !Number.isSafeInteger(peer)) {
    throw new RangeError(`Cannot sign frame: peer ${peer} must be an integer (an epoch)`);
  }
  const nonce: SealNonce = { from, to, epoch, seq };
  let out = withoutAuth(frame);
  const sealed = options.encrypt === true && out.kind === "msg";
  if (sealed && out.kind === "msg") {
    const body: SealedBody = { $sealed: key.seal(JSON.stringify(out.env.body) ?? "null", nonce) };
    out = { ...out, env: { ...out.env, body } };
  }
  const header: { -readonly [K in keyof FrameAuth]: FrameAuth[K] } = { epoch, seq, mac: "" };
  if (sealed) header.sealed = true;
  if (peer !== undefined) header.peer = peer;
  if (options.hello === true) header.hello = true;
  header.mac = key.mac(macInput(out, nonce, header));
  return { ...out, auth: header };
}

/**
 * Verifies a signed frame and returns it without its header, its body opened.
 * @throws {AuthError} `missing` without a header, `bad-mac` when the MAC (or the sealed body)
 * does not authenticate, `stale` when `epoch` is given and the frame is not bound to it,
 * `replay` when `window` has seen its `(epoch, seq)` or finds it too old.
 *
 * @example A tampered body is refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { AuthError, AuthKey, signFrame, verifyFrame } from "../mod.ts";
 * const key = new AuthKey("a long shared secret, at least 32 bytes long");
 * const env = { id: "a#1.1", from: "a@m1.lab", to: "b@m2.lab", kind: "pay", body: { amount: 5 }, lamport: 1 };
 * const signed = signFrame({ kind: "msg", env }, { key, from: "m1.lab", to: "m2.lab", epoch: 1, seq: 1 });
 * const forged = { ...signed, env: { ...env, body: { amount: 500 } } };
 * assert.throws(
 *   () => verifyFrame(forged, { key, from: "m1.lab", to: "m2.lab" }),
 *   (error) => error instanceof AuthError && error.reason === "bad-mac",
 * );
 * ```
 */
export function verifyFrame(frame: SignedFrame, options: VerifyOptions): WireFrame {
  const { from, to, window } = options;
  const auth = frame.auth;
  if (!isHeader(auth)) throw new AuthError("missing", from);
  const key = authKey(options.key);
  const nonce: SealNonce = { from, to, epoch: auth.epoch, seq: auth.seq };
  const rest = withoutAuth(frame);
  if (!sameMac(key.mac(macInput(rest, nonce, auth)), auth.mac)) {
    throw new AuthError("bad-mac", from);
  }
  if (options.epoch !== undefined && auth.peer !== options.epoch) {
    throw new AuthError(
      "stale",
      from,
      auth.peer === undefined
        ? `epoch ${auth.epoch} seq ${auth.seq} is not bound to this machine's incarnation ${options.epoch} (its sender does not know it yet)`
        : `epoch ${auth.epoch} seq ${auth.seq} is bound to incarnation ${auth.peer} of this machine, not to the current ${options.epoch} (a replay from before a restart)`,
    );
  }
  if (window !== undefined) {
    const verdict = window.check(from, auth);
    if (verdict !== "fresh") {
      throw new AuthError("replay", from, window.explain(from, auth, verdict));
    }
  }
  let plain = rest;
  if (auth.sealed) {
    const sealed = rest.kind === "msg" ? (rest.env.body as SealedBody | null)?.$sealed : undefined;
    const text = typeof sealed === "string" ? key.open(sealed, nonce) : undefined;
    if (text === undefined || rest.kind !== "msg") {
      throw new AuthError("bad-mac", from, "its sealed body does not authenticate");
    }
    plain = { ...rest, env: { ...rest.env, body: JSON.parse(text) } };
  }
  window?.record(from, auth);
  return plain;
}

/**
 * A shared authentication key and what is derived from it (HKDF-SHA256): one key for
 * HMAC-SHA256 over frames, and one AES-256-GCM key per channel `(from, to, epoch)` whose nonce is
 * the frame's sequence number, so a nonce never repeats under a key as long as a restarted
 * machine comes back with a higher epoch. Everything is synchronous `node:crypto`, so it runs
 * inside simulated processes; WebCrypto's `crypto.subtle` would be the portable choice but is
 * asynchronous (real I/O from the simulator's point of view).
 * @module
 */
import { Buffer } from "node:buffer";
import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from "node:crypto";

/** A shared secret: text (UTF-8) or bytes. Use at least 32 random bytes; HKDF does not stretch a weak passphrase. */
export type AuthSecret = string | Uint8Array;

/** The channel and position a sealed body belongs to (its nonce). */
export interface SealNonce {
  /** Sending machine. */
  readonly from: string;
  /** Receiving machine. */
  readonly to: string;
  /** Sender's incarnation. */
  readonly epoch: number;
  /** Sequence number on the channel. */
  readonly seq: number;
}

const SALT = "archlab-auth-v1";
const TAG_BYTES = 16;
const MAX_CHANNEL_KEYS = 1024;

/**
 * A shared key, derived once: create one per process and reuse it.
 *
 * @example MAC and sealing
 * ```ts
 * import assert from "node:assert/strict";
 * import { AuthKey } from "./auth_key.ts";
 * const key = new AuthKey("a long shared secret, at least 32 bytes long");
 * assert.equal(key.mac("hello"), new AuthKey("a long shared secret, at least 32 bytes long").mac("hello"));
 * assert.notEqual(key.mac("hello"), new AuthKey("another secret").mac("hello"));
 * const nonce = { from: "m1.lab", to: "m2.lab", epoch: 1, seq: 1 };
 * const sealed = key.seal("secret body", nonce);
 * assert.ok(!sealed.includes("secret"));
 * assert.equal(key.open(sealed, nonce), "secret body");
 * assert.equal(key.open(sealed, { ...nonce, seq: 2 }), undefined);
 * ```
 */
export class AuthKey {
  /** A short fingerprint of the key (safe to log): equal keys have equal ids. */
  readonly id: string;
  readonly #secret: Uint8Array;
  readonly #macKey: Uint8Array;
  readonly #channelKeys = new Map<string, Uint8Array>();

  /**
   * Derives the keys of `secret`.
   * @throws {TypeError} when the secret is empty or not a string or bytes.
   */
  constructor(secret: AuthSecret) {
    const bytes = typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
    if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
      throw new TypeError(
        `Cannot create authentication key: secret ${
          typeof secret === "string" ? '""' : String(secret)
        } must be a non-empty string or Uint8Array; use 32 or more random bytes`,
      );
    }
    this.#secret = bytes;
    this.#macKey = this.#derive("mac");
    this.id = Buffer.from(this.#derive("id")).toString("hex").slice(0, 8);
  }

  /** HMAC-SHA256 of `text` (UTF-8) under the derived MAC key, base64. */
  mac(text: string): string {
    return createHmac("sha256", this.#macKey).update(text).digest("base64");
  }

  /** Encrypts `plaintext` with AES-256-GCM for the channel and position `nonce`; base64 of ciphertext and tag. */
  seal(plaintext: string, nonce: SealNonce): string {
    const cipher = createCipheriv("aes-256-gcm", this.#channelKey(nonce), iv(nonce.seq));
    cipher.setAAD(Buffer.from(aad(nonce)));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return Buffer.concat([body, cipher.getAuthTag()]).toString("base64");
  }

  /** Decrypts what {@link AuthKey.seal} gave for `nonce`; `undefined` when it does not authenticate. */
  open(sealed: string, nonce: SealNonce): string | undefined {
    const bytes = Buffer.from(sealed, "base64");
    if (bytes.length < TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#channelKey(nonce), iv(nonce.seq));
      decipher.setAAD(Buffer.from(aad(nonce)));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      const body = decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES));
      return Buffer.concat([body, decipher.final()]).toString("utf8");
    } catch {
      return undefined;
    }
  }

  #derive(info: string): Uint8Array {
    return new Uint8Array(hkdfSync("sha256", this.#secret, SALT, info, 32));
  }

  #channelKey(nonce: SealNonce): Uint8Array {
    const name = `enc ${nonce.from}>${nonce.to}#${nonce.epoch}`;
    let key = this.#channelKeys.get(name);
    if (key === undefined) {
      if (this.#channelKeys.size >= MAX_CHANNEL_KEYS) this.#channelKeys.clear();
      this.#channelKeys.set(name, key = this.#derive(name));
    }
    return key;
  }
}

function iv(seq: number): Uint8Array {
  const bytes = new Uint8Array(12);
  new DataView(bytes.buffer).setBigUint64(4, BigInt(seq));
  return bytes;
}

function aad(nonce: SealNonce): string {
  return `${nonce.from}>${nonce.to}#${nonce.epoch}.${nonce.seq}`;
}

/**
 * Where an authenticating adapter finds a machine's key: one key for every machine, or a
 * function from a machine name to its key (`undefined`: the machine has none).
 */
export type AuthKeySource =
  | AuthKey
  | AuthSecret
  | ((machine: string) => AuthKey | AuthSecret | undefined);

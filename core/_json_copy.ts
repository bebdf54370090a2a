/**
 * The simulator's JSON wire without the text: a copy of a frame that is exactly what
 * `JSON.parse(encodeWireText(frame, { vectorClock: false }))` returns, taken in one walk that
 * also counts the length of that text. Only plain data is copied (plain objects, arrays, strings,
 * numbers, booleans, `null`); anything else JSON treats specially (a `toJSON`, a class instance,
 * a bigint, a `__proto__` key, a nesting deeper than {@link MAX_DEPTH}) makes the walk give up,
 * and the caller encodes the frame as text instead, so the result is the same either way.
 * @module
 */
import type { WireFrame } from "./wire.ts";
import { isNotedPlain } from "./_plain_ids.ts";

/** Deeper than this the walk gives up (and JSON.stringify reports a cycle, if it is one). */
const MAX_DEPTH = 64;

/** The walk met something that is not plain data. */
const UNSUPPORTED: unique symbol = Symbol("unsupported");

/** Length of the decimal text of a number, as JSON writes it. */
function numberLength(n: number): number {
  if (n >= 0 && n < 1e9 && (n | 0) === n) {
    return n < 10
      ? 1
      : n < 100
      ? 2
      : n < 1e3
      ? 3
      : n < 1e4
      ? 4
      : n < 1e5
      ? 5
      : n < 1e6
      ? 6
      : n < 1e7
      ? 7
      : n < 1e8
      ? 8
      : 9;
  }
  return String(n).length;
}

/** Length of a string as JSON writes it, quotes included. */
function stringLength(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A quote, a backslash, a control character or a surrogate: JSON.stringify decides.
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) {
      return JSON.stringify(s).length;
    }
  }
  return s.length + 2;
}

/** Keys repeat from frame to frame: their JSON length (quotes and colon included), once each. */
const keyLengths = new Map<string, number>();

function keyLength(key: string): number {
  let n = keyLengths.get(key);
  if (n === undefined) {
    n = stringLength(key) + 1;
    if (keyLengths.size < 4096) keyLengths.set(key, n);
  }
  return n;
}

/**
 * The fast walk's objects have `Object.prototype` (any other, a null one included, goes to the
 * general walk) and no `toJSON`. The check is written out at each place, not called: one
 * function met every shape of frame, envelope and acknowledgement, and its `toJSON` lookup,
 * megamorphic, was 2% of a simulated ping-pong. `toJSON` is read first (JSON reads it of every
 * object too): once the object's shape is checked for that read, its prototype is known, where
 * asking for the prototype of an object not yet read was a call (1% for the piggybacked ack).
 */
const OBJECT = Object.prototype;

/** The keys of a message frame, in the order the kernel writes them. */
const FRAME_KEYS = ["kind", "env", "epoch", "seq", "base", "ack"];
/** The keys of an envelope, in the order the kernel writes them (`vc` may follow `lamport`). */
const ENVELOPE_KEYS = ["id", "from", "to", "kind", "body", "lamport", "corr"];
const KIND_MSG = keyLength("kind") + stringLength("msg");
/** The keys of an acknowledgement without ranges, in the order the kernel writes them. */
const ACK_KEYS = ["kind", "epoch", "seq"];
const KIND_ACK = keyLength("kind") + stringLength("ack");
const ACK_NUMBER_KEYS = keyLength("epoch") + keyLength("seq");
const ACK_KEY = keyLength("ack");
const ENV_KEY = keyLength("env");
const FRAME_NUMBER_KEYS = keyLength("epoch") + keyLength("seq") + keyLength("base");
const ENVELOPE_BASE_KEYS = ENVELOPE_KEYS.slice(0, 6).reduce((n, key) => n + keyLength(key), 0);
const CORR_KEY = keyLength("corr");

/** Copies frames as the JSON wire would deliver them and counts their text. */
export class JsonCopier {
  /** Characters of the JSON text of the last frame copied. */
  length = 0;
  /**
   * The addresses and kinds met last that JSON writes as they are (nothing escaped): every
   * frame carries them again, compared here instead of scanned.
   */
  #plain0 = "";
  #plain1 = "";
  #plain2 = "";
  #plain3 = "";
  #plainNext = 0;

  /** {@link stringLength} of a string that comes again from frame to frame. */
  #known(s: string): number {
    if (s === this.#plain0 || s === this.#plain1 || s === this.#plain2 || s === this.#plain3) {
      return s.length + 2;
    }
    const n = stringLength(s);
    if (n === s.length + 2) {
      const k = this.#plainNext;
      this.#plainNext = (k + 1) & 3;
      if (k === 0) this.#plain0 = s;
      else if (k === 1) this.#plain1 = s;
      else if (k === 2) this.#plain2 = s;
      else this.#plain3 = s;
    }
    return n;
  }

  /**
   * The copy of `frame` as the JSON wire delivers it (without the envelope's vector clock), or
   * `undefined` when the frame holds something other than plain data.
   *
   * @example A message frame
   * ```ts
   * import assert from "node:assert/strict";
   * import { JsonCopier } from "./_json_copy.ts";
   * const frame = { kind: "ack", epoch: 1, seq: 3, sack: [[5, 6]] } as const;
   * const copier = new JsonCopier();
   * assert.deepEqual(copier.frame(frame), frame);
   * assert.equal(copier.length, JSON.stringify(frame).length);
   * assert.equal(copier.frame({ kind: "ack", epoch: 1, seq: new Date(0) as never }), undefined);
   * ```
   */
  frame(frame: WireFrame): WireFrame | undefined {
    this.length = 0;
    const fast = this.#messageFrame(frame as unknown as Record<string, unknown>);
    if (fast !== undefined) return fast as WireFrame;
    this.length = 0;
    const copy = this.#object(
      frame as unknown as Record<string, unknown>,
      0,
      frame.kind === "msg",
    );
    return copy === UNSUPPORTED ? undefined : copy as unknown as WireFrame;
  }

  /**
   * The copy of a message frame of the kernel's usual shapes (`kind`, `env` and, on a reliable
   * link, `epoch`, `seq`, `base`, maybe an `ack` of `epoch` and `seq`; its envelope `id`,
   * `from`, `to`, `kind`, `body`, `lamport`, maybe `vc` and then `corr`), written as literals of
   * those keys in that order (a keyed store per key made the walk a tenth of a simulated
   * ping-pong); `undefined` for anything else, which the general walk copies.
   */
  #messageFrame(frame: Record<string, unknown>): unknown {
    if (frame.kind === "ack") return this.#ackFrame(frame);
    if (frame.kind !== "msg") return undefined;
    if (typeof frame.toJSON === "function" || Object.getPrototypeOf(frame) !== OBJECT) {
      return undefined;
    }
    let n = 0, epoch: unknown, seq: unknown, base: unknown;
    for (const key in frame) {
      if (key !== FRAME_KEYS[n]) return undefined;
      n++;
    }
    if (n !== 2 && n !== 5 && n !== 6) return undefined;
    const env = frame.env;
    if (typeof env !== "object" || env === null) return undefined;
    const toJSON = (env as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function" || Object.getPrototypeOf(env) !== OBJECT) return undefined;
    const envelope = this.#envelope(env as Record<string, unknown>);
    if (envelope === undefined) return undefined;
    this.length += KIND_MSG + ENV_KEY;
    if (n === 2) {
      this.length += 2 + 1;
      return { kind: "msg", env: envelope };
    }
    if (
      (epoch = this.#number(frame.epoch)) === undefined ||
      (seq = this.#number(frame.seq)) === undefined ||
      (base = this.#number(frame.base)) === undefined
    ) return undefined;
    if (n === 5) {
      this.length += FRAME_NUMBER_KEYS + 5 + 1;
      return { kind: "msg", env: envelope, epoch, seq, base };
    }
    const ack = frame.ack;
    if (typeof ack !== "object" || ack === null) return undefined;
    const acknowledged = this.#ack(ack as Record<string, unknown>);
    if (acknowledged === undefined) return undefined;
    this.length += FRAME_NUMBER_KEYS + ACK_KEY + 6 + 1;
    return { kind: "msg", env: envelope, epoch, seq, base, ack: acknowledged };
  }

  /** A piggybacked acknowledgement of the usual shape (`epoch`, `seq`: no ranges). */
  #ack(ack: Record<string, unknown>): unknown {
    if (typeof ack.toJSON === "function" || Object.getPrototypeOf(ack) !== OBJECT) return undefined;
    let n = 1;
    for (const key in ack) {
      if (key !== ACK_KEYS[n]) return undefined;
      n++;
    }
    let epoch: unknown, seq: unknown;
    if (
      n !== 3 || (epoch = this.#number(ack.epoch)) === undefined ||
      (seq = this.#number(ack.seq)) === undefined
    ) return undefined;
    this.length += ACK_NUMBER_KEYS + 2 + 1;
    return { epoch, seq };
  }

  /** A copy of an acknowledgement of the usual shape (`kind`, `epoch`, `seq`: no ranges). */
  #ackFrame(frame: Record<string, unknown>): unknown {
    if (typeof frame.toJSON === "function" || Object.getPrototypeOf(frame) !== OBJECT) {
      return undefined;
    }
    let n = 0;
    for (const key in frame) {
      if (key !== ACK_KEYS[n]) return undefined;
      n++;
    }
    let epoch: unknown, seq: unknown;
    if (
      n !== 3 || (epoch = this.#number(frame.epoch)) === undefined ||
      (seq = this.#number(frame.seq)) === undefined
    ) return undefined;
    this.length += KIND_ACK + ACK_NUMBER_KEYS + 3 + 1;
    return { kind: "ack", epoch, seq };
  }

  /** A copy of an envelope of the kernel's usual shape (see {@link #messageFrame}). */
  #envelope(env: Record<string, unknown>): unknown {
    let n = 0, vc = false;
    for (const key in env) {
      if (key === ENVELOPE_KEYS[n]) n++;
      else if (key === "vc" && n === 6 && !vc) vc = true;
      else return undefined;
    }
    if (n < 6) return undefined;
    const { id, from, to, kind, body, lamport } = env;
    if (
      typeof id !== "string" || typeof from !== "string" || typeof to !== "string" ||
      typeof kind !== "string" || typeof lamport !== "number" || !Number.isFinite(lamport)
    ) return undefined;
    const bodyKind = typeof body;
    if (bodyKind === "undefined" || bodyKind === "function" || bodyKind === "symbol") {
      return undefined;
    }
    const copied = this.#value(body, 1);
    if (copied === UNSUPPORTED) return undefined;
    this.length += (isNotedPlain(id) ? id.length + 2 : stringLength(id)) + this.#known(from) +
      this.#known(to) + this.#known(kind) +
      numberLength(lamport) + ENVELOPE_BASE_KEYS;
    const copiedLamport = lamport === 0 ? 0 : lamport;
    if (n === 6) {
      this.length += 6 + 1;
      return { id, from, to, kind, body: copied, lamport: copiedLamport };
    }
    const corr = env.corr;
    if (typeof corr !== "string" || !Object.hasOwn(env, "corr")) return undefined;
    this.length += stringLength(corr) + CORR_KEY + 7 + 1;
    return { id, from, to, kind, body: copied, lamport: copiedLamport, corr };
  }

  /** A number field's copy, counted; `undefined` for anything but a finite number. */
  #number(value: unknown): number | undefined {
    if (typeof value !== "number" || !Number.isFinite(value)) return undefined;
    this.length += numberLength(value);
    return value === 0 ? 0 : value;
  }

  #value(value: unknown, depth: number): unknown {
    switch (typeof value) {
      case "string":
        this.length += stringLength(value);
        return value;
      case "number":
        if (!Number.isFinite(value)) {
          this.length += 4;
          return null;
        }
        this.length += numberLength(value);
        return value === 0 ? 0 : value; // -0 is written 0
      case "boolean":
        this.length += value ? 4 : 5;
        return value;
      case "object":
        if (value === null) {
          this.length += 4;
          return null;
        }
        if (depth >= MAX_DEPTH) return UNSUPPORTED;
        if (Array.isArray(value)) return this.#array(value, depth + 1);
        return this.#object(value as Record<string, unknown>, depth + 1, false);
      default:
        return UNSUPPORTED;
    }
  }

  #array(array: unknown[], depth: number): unknown {
    if (Object.getPrototypeOf(array) !== Array.prototype) return UNSUPPORTED;
    const n = array.length, copy = new Array(n);
    this.length += n === 0 ? 2 : n + 1;
    for (let i = 0; i < n; i++) {
      const value = array[i];
      const kind = typeof value;
      if (kind === "undefined" || kind === "function" || kind === "symbol") {
        this.length += 4;
        copy[i] = null;
        continue;
      }
      const item = this.#value(value, depth);
      if (item === UNSUPPORTED) return UNSUPPORTED;
      copy[i] = item;
    }
    return copy;
  }

  /**
   * Copies a plain object; `frame`: the frame itself, whose envelope goes without its `vc`
   * (`skip`), as JSON skips a key whose value is unset.
   */
  #object(
    object: Record<string, unknown>,
    depth: number,
    frame: boolean,
    skip?: string,
  ): unknown {
    const proto = Object.getPrototypeOf(object);
    if (proto !== Object.prototype && proto !== null) return UNSUPPORTED;
    if (typeof object.toJSON === "function") return UNSUPPORTED;
    const copy: Record<string, unknown> = {};
    let fields = 0;
    // for-in without the list of keys Object.keys makes; an inherited key gives up (JSON skips it).
    for (const key in object) {
      if (key === skip) continue;
      if (!Object.hasOwn(object, key)) return UNSUPPORTED;
      let value = object[key];
      const kind = typeof value;
      if (kind === "undefined" || kind === "function" || kind === "symbol") continue;
      if (key === "__proto__") return UNSUPPORTED;
      if (frame && key === "env" && kind === "object" && value !== null) {
        this.length += 6; // "env":
        value = this.#object(value as Record<string, unknown>, depth + 1, false, "vc");
      } else {
        this.length += keyLength(key);
        value = this.#value(value, depth);
      }
      if (value === UNSUPPORTED) return UNSUPPORTED;
      copy[key] = value;
      fields++;
    }
    this.length += fields === 0 ? 2 : fields + 1;
    return copy;
  }
}

/**
 * Authentication wired around the core without changing it: {@link authenticatedNetwork}
 * decorates a machine's {@link Network} so that every frame it sends is signed (and its body
 * optionally sealed), and {@link verifyingMachineReceiver} puts a verifying filter in front of a
 * machine's `receiveFrame`, the entry point both the simulator and {@link TcpNetwork} call.
 *
 * Limits: the `(epoch, seq)` of a frame is its own, numbered per transmission (a retransmission
 * of the reliable channel is a new frame; a network duplicate is refused as a replay). The
 * sender's epoch must grow with each restart (a real host's machine epoch does). The replay
 * windows are volatile: without {@link Incarnations} a restarted receiver would accept a frame
 * recorded before its restart once; with them (as `startHost` and `authenticateSimulator` wire
 * them) every frame is bound to the receiver's incarnation and such a replay is refused.
 * Kind, addresses and ids stay readable; machine names come from the transport (TCP's hello)
 * and are bound by the MAC, not by a handshake.
 * @module
 */
import type { AuthError } from "./auth_error.ts";
import type { AuthKeySource } from "./auth_key.ts";
import { type AuthStats, installVerifier, keyring, newStats } from "./_auth_receiver.ts";
import { signFrame } from "./envelope_auth.ts";
import type { Machine, Network } from "../machine.ts";
import type { TraceSink } from "../trace.ts";
import type { WireFrame } from "../wire.ts";
import type { Incarnations } from "./incarnations.ts";

export type { AuthStats } from "./_auth_receiver.ts";

/** Options of {@link authenticatedNetwork}. */
export interface AuthNetworkOptions {
  /** The shared key, or each sending machine's key (required); a machine without one sends unsigned frames. */
  readonly key: AuthKeySource;
  /** Seal every message body with AES-256-GCM. @default false */
  readonly encrypt?: boolean;
  /** The sending machine's current incarnation, e.g. `() => machine.epoch`. @default () => 1 */
  readonly epoch?: (machine: string) => number;
  /**
   * Bind every frame to the receiver's incarnation as this book knows it, and send hellos and
   * held frames through this network; share it with the machine's
   * {@link verifyingMachineReceiver}. @default frames are not bound
   */
  readonly incarnations?: Incarnations;
}

/**
 * A network that signs every frame before `inner` carries it: `(epoch, seq)` are numbered per
 * channel `from -> to` and start again at 1 when the sender's epoch changes.
 *
 * @example Frames leave signed, bodies sealed
 * ```ts
 * import assert from "node:assert/strict";
 * import { authenticatedNetwork, type SignedFrame, type WireFrame } from "../mod.ts";
 * const wire: SignedFrame[] = [];
 * const net = authenticatedNetwork({ send: (_from, _to, frame: WireFrame) => wire.push(frame) }, {
 *   key: "a long shared secret, at least 32 bytes long",
 *   encrypt: true,
 * });
 * const env = { id: "a#1.1", from: "a@m1.lab", to: "b@m2.lab", kind: "data", body: "hello", lamport: 1 };
 * net.send("m1.lab", "m2.lab", { kind: "msg", env });
 * net.send("m1.lab", "m2.lab", { kind: "ack", epoch: 1, seq: 1 });
 * assert.deepEqual(wire.map((f) => f.auth?.seq), [1, 2]);
 * assert.ok(!JSON.stringify(wire[0]).includes("hello"));
 * ```
 */
export function authenticatedNetwork(inner: Network, options: AuthNetworkOptions): Network {
  const keys = keyring(options.key);
  const encrypt = options.encrypt ?? false;
  const epochOf = options.epoch ?? (() => 1);
  const book = options.incarnations;
  const channels = new Map<string, { epoch: number; seq: number }>();
  const send = (from: string, to: string, frame: WireFrame, hello: boolean): void => {
    const key = keys(from);
    if (key === undefined) {
      inner.send(from, to, frame);
      return;
    }
    const epoch = epochOf(from);
    const name = `${from}>${to}`;
    let channel = channels.get(name);
    if (channel === undefined || channel.epoch !== epoch) {
      channels.set(name, channel = { epoch, seq: 0 });
    }
    const seq = ++channel.seq;
    const peer = book?.of(from, to);
    // Unbound, it will be refused: held to go again as soon as the receiver says who it is.
    if (book !== undefined && peer === undefined && !hello) book.hold(from, epoch, to, frame);
    inner.send(from, to, signFrame(frame, { key, from, to, epoch, seq, encrypt, peer, hello }));
  };
  book?.attach(send);
  return {
    send(from: string, to: string, frame: WireFrame): void {
      send(from, to, frame, false);
    },
  };
}

/** Options of {@link verifyingMachineReceiver}. */
export interface VerifyingReceiverOptions {
  /** The shared key, or each machine's key (required); a machine without one accepts anything. */
  readonly key: AuthKeySource;
  /** Sequence numbers remembered per sender (reordering deeper than this is refused). @default 64 */
  readonly window?: number;
  /** Where a refused frame is recorded, as a `drop` event noting the reason. @default none */
  readonly trace?: TraceSink;
  /** Called with each refused frame. @default none */
  readonly onReject?: (error: AuthError, frame: WireFrame) => void;
  /**
   * Accept only frames bound to this machine's current incarnation, and answer others with a
   * hello; the same book as the machine's {@link authenticatedNetwork}. @default frames need no binding
   */
  readonly incarnations?: Incarnations;
}

/**
 * Installs a verifying receiver on `machine`: its `receiveFrame` accepts only frames signed
 * with the key (by {@link authenticatedNetwork}), each `(epoch, seq)` once, and hands them on
 * unsealed. Returns live counters.
 *
 * @example A machine refuses frames from a sender without the key
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator, verifyingMachineReceiver } from "../mod.ts";
 * const sim = new Simulator({ seed: 1 });
 * const stats = verifyingMachineReceiver(sim.machine("m2.lab"), { key: "a long shared secret, 32+ bytes" });
 * const got: unknown[] = [];
 * sim.machine("m2.lab").spawn("b", async (ctx) => {
 *   for (;;) got.push((await ctx.receive()).body);
 * });
 * sim.machine("m1.lab").spawn("a", (ctx) => ctx.send("b@m2.lab", "unsigned"));
 * await sim.run();
 * assert.deepEqual(got, []);
 * assert.ok(stats.rejected.missing >= 1);
 * ```
 */
export function verifyingMachineReceiver(
  machine: Machine,
  options: VerifyingReceiverOptions,
): AuthStats {
  const stats = newStats();
  const key = keyring(options.key)(machine.name);
  if (key === undefined) return stats;
  installVerifier(machine, key, {
    window: options.window ?? 64,
    trace: options.trace,
    onReject: options.onReject,
    incarnations: options.incarnations,
  }, stats);
  return stats;
}

/**
 * The flow-control messages a machine sends its peers: one `$flow` envelope per peer machine and
 * scheduling turn (a deadline at the current time), carried by the reliable channel.
 * @module
 */
import type { Envelope } from "./envelope.ts";
import type { Address } from "./name.ts";

/** The address prefix of flow-control envelopes (no process name can contain `$`). */
export const FLOW_PREFIX = "$flow@";

/** What a flow-control envelope carries. */
export interface FlowBody {
  /** Tag. */
  readonly kind: "$flow";
  /** The incarnation of the machine that sends it. */
  readonly epoch: number;
  /** Sender to receiver: are these messages still waiting for room? */
  readonly probe?: readonly string[];
  /** Receiver to sender: whether these processes are bounded, with the credits granted. */
  readonly caps?: readonly (readonly [Address, number | "unbounded"])[];
  /** Receiver to sender: these waiting messages were admitted. */
  readonly admitted?: readonly string[];
  /** Receiver to sender: these messages are not waiting here (lost, or no such process). */
  readonly gone?: readonly string[];
  /** Receiver to sender: your credits for these processes are void; ask again. */
  readonly reset?: readonly Address[];
}

/** The messages for one peer gathered during a turn. */
export interface Draft {
  readonly probe: string[];
  readonly caps: Map<Address, number | "unbounded">;
  readonly admitted: string[];
  readonly gone: string[];
  readonly reset: Set<Address>;
}

/** What the outbox needs from its machine. */
export interface OutboxHost {
  /** The machine's name. */
  readonly name: string;
  /** The machine's incarnation. */
  epoch(): number;
  /** Puts `env` on the reliable channel to its machine. */
  forward(env: Envelope): void;
  /** The machine's clock, in ms. */
  now(): number;
  /** The outbox wants a flush at `at` (ms) or earlier. */
  wake(at: number): void;
}

/** Gathers flow-control messages per peer and sends them once per turn. */
export class FlowOutbox {
  readonly #host: OutboxHost;
  readonly #drafts = new Map<string, Draft>();
  #sent = 0;
  #due = Infinity;

  /** An outbox for the machine behind `host`. */
  constructor(host: OutboxHost) {
    this.#host = host;
  }

  /** The messages for `machine` this turn; sent when the turn ends. */
  to(machine: string): Draft {
    let draft = this.#drafts.get(machine);
    if (draft !== undefined) return draft;
    draft = { probe: [], caps: new Map(), admitted: [], gone: [], reset: new Set() };
    this.#drafts.set(machine, draft);
    if (this.#due === Infinity) {
      this.#due = this.#host.now();
      this.#host.wake(this.#due);
    }
    return draft;
  }

  /** When this turn's messages are due (ms), or `Infinity` when there are none. */
  get deadline(): number {
    return this.#due;
  }

  /** Sends this turn's messages, one envelope per peer, in the order the peers came. */
  flush(now: number): void {
    if (this.#due > now) return;
    this.#due = Infinity;
    const drafts = [...this.#drafts];
    this.#drafts.clear();
    for (const [machine, draft] of drafts) this.#send(machine, draft);
  }

  /** Adds `count` credits for `address` to what `machine` is told this turn. */
  grant(machine: string, address: Address, count: number): void {
    const caps = this.to(machine).caps;
    const before = caps.get(address);
    caps.set(address, (typeof before === "number" ? before : 0) + count);
  }

  #send(machine: string, draft: Draft): void {
    const host = this.#host;
    const body: Record<string, unknown> = { kind: "$flow", epoch: host.epoch() };
    if (draft.reset.size > 0) body.reset = [...draft.reset];
    if (draft.caps.size > 0) body.caps = [...draft.caps];
    if (draft.admitted.length > 0) body.admitted = draft.admitted;
    if (draft.gone.length > 0) body.gone = draft.gone;
    if (draft.probe.length > 0) body.probe = draft.probe;
    host.forward({
      id: `${FLOW_PREFIX}${host.name}#${host.epoch()}.${++this.#sent}`,
      from: `${FLOW_PREFIX}${host.name}`,
      to: `${FLOW_PREFIX}${machine}`,
      kind: "$flow",
      body,
      lamport: 0,
    });
  }
}

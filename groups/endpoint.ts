/**
 * A member's endpoint for one group, as a pure state machine (a message in, effects out): it
 * multicasts as n unicasts, holds messages back until the group's order allows delivery, runs
 * the sequencer when its member is the view's sequencer, heartbeats to the membership service,
 * and takes part in view changes (flush, then install). `group_endpoint_process.ts` drives it.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import type {
  GroupAnswer,
  GroupDelivery,
  GroupEndReason,
  GroupOrder,
  GroupWire,
  View,
} from "./types.ts";
import { type Address, canonical } from "../core/name.ts";
import { emit, onData, onOrder, onSubmit } from "./_endpoint_delivery.ts";
import { type EndpointState, newEndpointState } from "./_endpoint_state.ts";
import { onInstall, onPrepare, onStable } from "./_endpoint_view.ts";

/** Something the endpoint wants done. */
export type EndpointEffect =
  | { readonly kind: "send"; readonly to: Address; readonly body: GroupWire }
  | { readonly kind: "reply"; readonly request: Envelope; readonly body: GroupAnswer }
  | { readonly kind: "deliver"; readonly delivery: GroupDelivery }
  | {
    readonly kind: "view";
    readonly view: View;
    readonly order: GroupOrder;
    readonly closed: boolean;
  }
  | { readonly kind: "end"; readonly reason: GroupEndReason; readonly message: string };

/** Options of {@link GroupEndpoint}. */
export interface GroupEndpointOptions {
  /** The group. */
  readonly group: string;
  /** The member (user process) this endpoint serves. */
  readonly member: Address;
  /** Address of the membership service. */
  readonly manager: Address;
  /** Create the group with these settings when it does not exist. @default fail on an unknown group */
  readonly create?: { readonly order: GroupOrder; readonly closed: boolean };
  /** Ms of silence from the membership service after which the endpoint gives up. @default 1000 */
  readonly managerTimeout?: number;
  /**
   * This endpoint's incarnation: a token no earlier endpoint of the member used (the process
   * draws one at random). A restarted member is a new incarnation. @default "1"
   */
  readonly incarnation?: string;
}

/**
 * The protocol state of one member in one group.
 *
 * @example Joining sends a request to the membership service
 * ```ts
 * import assert from "node:assert/strict";
 * import { GroupEndpoint } from "./endpoint.ts";
 * const endpoint = new GroupEndpoint({ group: "chat", member: "a@m1.lab", manager: "groups@g0.lab" });
 * const [effect] = endpoint.start(0);
 * assert.equal(effect.kind, "send");
 * assert.equal(effect.kind === "send" && effect.body.kind, "g-join");
 * ```
 */
export class GroupEndpoint {
  /** The group. */
  readonly group: string;
  /** The member served. */
  readonly member: Address;
  /** This endpoint's incarnation. */
  readonly incarnation: string;
  readonly #s: EndpointState;
  readonly #create?: { readonly order: GroupOrder; readonly closed: boolean };
  readonly #managerTimeout: number;
  #heardManager = 0;
  #leaving = false;

  /** Creates the endpoint's state. */
  constructor(options: GroupEndpointOptions) {
    this.group = options.group;
    this.member = options.member;
    this.incarnation = options.incarnation ?? "1";
    this.#s = newEndpointState(
      this.group,
      this.member,
      this.incarnation,
      canonical(options.manager),
    );
    this.#create = options.create;
    this.#managerTimeout = options.managerTimeout ?? 1000;
  }

  /** The installed view, or `null` before the first one. */
  get view(): View | null {
    return this.#s.view;
  }

  /** Whether the endpoint stopped. */
  get ended(): boolean {
    return this.#s.phase === "ended";
  }

  /** Asks the membership service to join. */
  start(now: number): EndpointEffect[] {
    this.#heardManager = now;
    return this.#join();
  }

  #join(): EndpointEffect[] {
    return [{
      kind: "send",
      to: this.#s.manager,
      body: {
        kind: "g-join",
        group: this.group,
        member: this.member,
        incarnation: this.incarnation,
        create: this.#create,
      },
    }];
  }

  /** Multicasts `body` (queued while joining or during a view change). */
  multicast(body: unknown, now: number, origin?: Address): EndpointEffect[] {
    if (this.#s.phase === "ended") return [];
    if (this.#s.phase !== "normal") {
      this.#s.outbox.push({ body, origin });
      return [];
    }
    return emit(this.#s, body, origin, now);
  }

  /** Asks to leave; the endpoint ends when the membership service confirms. */
  leave(): EndpointEffect[] {
    if (this.#s.phase === "ended" || this.#leaving) return [];
    this.#leaving = true;
    return [{
      kind: "send",
      to: this.#s.manager,
      body: {
        kind: "g-leave",
        group: this.group,
        member: this.member,
        incarnation: this.incarnation,
      },
    }];
  }

  /**
   * Heartbeat: call every heartbeat period. Until the first view, the join goes out again with
   * each heartbeat (a service that restarted lost it); the service takes it once.
   */
  tick(now: number): EndpointEffect[] {
    if (this.#s.phase === "ended") return [];
    if (now - this.#heardManager > this.#managerTimeout) {
      return this.#end(
        "disconnected",
        `Cannot stay in group "${this.group}": the membership service "${this.#s.manager}" ` +
          `has been silent for ${this.#managerTimeout} ms; check that it is up`,
      );
    }
    const s = this.#s;
    return [
      ...(s.view === null && !this.#leaving ? this.#join() : []),
      {
        kind: "send",
        to: s.manager,
        body: {
          kind: "g-heartbeat",
          group: this.group,
          member: this.member,
          incarnation: this.incarnation,
          view: s.view?.id ?? 0,
          frontier: { delivered: s.queue.delivered(), nextG: s.total.next },
          ...(s.view === null ? {} : { settings: { order: s.order, closed: s.closed } }),
          ...(this.#leaving ? { leaving: true } : {}),
        },
      },
    ];
  }

  /** Handles one received envelope. */
  receive(env: Envelope, now: number): EndpointEffect[] {
    if (this.#s.phase === "ended") return [];
    const body = env.body as GroupWire;
    if (env.from === this.#s.manager) {
      this.#heardManager = now;
      // Meant for an earlier incarnation at this address (sent before a restart): not ours.
      if ("incarnation" in body && body.incarnation !== this.incarnation) return [];
    }
    switch (body.kind) {
      case "g-mcast":
        return this.multicast(body.body, now);
      case "g-bye":
        return this.leave();
      case "g-data":
        return onData(this.#s, body.message, body, now);
      case "g-submit":
        return onSubmit(this.#s, body.message, body, now);
      case "g-order":
        return onOrder(this.#s, body.view, body.entry, body, now);
      case "g-forward":
        return this.#onForward(env, body.origin, body.body, now);
      case "g-prepare":
        return onPrepare(this.#s, body);
      case "g-install":
        return onInstall(this.#s, this, body, now);
      case "g-stable":
        return onStable(this.#s, body.view, body.stable);
      case "g-end":
        return this.#end(body.reason, body.message);
      default:
        return [];
    }
  }

  #end(reason: GroupEndReason, message: string): EndpointEffect[] {
    this.#s.phase = "ended";
    return [{ kind: "end", reason, message }];
  }

  #onForward(request: Envelope, origin: Address, body: unknown, now: number): EndpointEffect[] {
    if (this.#s.closed && !(this.#s.view?.members.includes(origin) ?? false)) {
      return [{
        kind: "reply",
        request,
        body: {
          kind: "g-error",
          group: this.group,
          reason: "closed",
          sender: origin,
          message: `Cannot send to group "${this.group}": "${origin}" is not a member`,
        },
      }];
    }
    return [
      ...this.multicast(body, now, origin),
      { kind: "reply", request, body: { kind: "g-ok" } },
    ];
  }
}

/**
 * A member's endpoint for one group, as a pure state machine (a message in, effects out): it
 * multicasts as n unicasts, holds messages back until the group's order allows delivery, runs
 * the sequencer when its member is the view's sequencer, heartbeats to the membership service,
 * and takes part in view changes (flush, then install). A core protocol: `endpoint_process.ts`
 * runs it with `drive()`.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import {
  DeadlineKeeper,
  type Effect,
  type Input,
  type Protocol,
} from "../core/protocol/protocol.ts";
import {
  DELIVERY_LOG,
  END_LOG,
  type GroupDelivery,
  type GroupEndReason,
  type GroupOrder,
  type View,
  VIEW_LOG,
} from "./types.ts";
import type { GroupAnswer, GroupWire } from "./messages.ts";
import { type Address, canonical } from "../core/name.ts";
import { emit, onData, onOrder, onSubmit } from "./_endpoint_delivery.ts";
import { type EndpointState, newEndpointState } from "./_endpoint_state.ts";
import { onInstall, onPrepare, onStable } from "./_endpoint_view.ts";

/** What the endpoint hands up to its member (the user process it serves). */
export type MemberEvent =
  /** A message of the group, in the group's order. */
  | { readonly kind: "delivery"; readonly delivery: GroupDelivery }
  /** A new view is installed, with the group's settings. */
  | {
    readonly kind: "view";
    readonly view: View;
    readonly order: GroupOrder;
    readonly closed: boolean;
  }
  /** The member is out of the group (left, destroyed, disconnected). */
  | { readonly kind: "end"; readonly reason: GroupEndReason; readonly message: string };

/**
 * What the endpoint asks its driver to do: core effects. It sends {@link GroupWire} messages,
 * replies {@link GroupAnswer}s, delivers {@link MemberEvent}s to its member, sets its heartbeat
 * deadline and stops once it ended.
 */
export type EndpointEffect = Effect<GroupWire | GroupAnswer, MemberEvent, never>;

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
  /** Ms between heartbeats to the membership service. @default 50 */
  readonly heartbeat?: number;
  /**
   * Write a trace line per delivery, view and end (`group-deliver`, `group-view`, `group-end`:
   * what the order and view checkers read). @default true
   */
  readonly traceDeliveries?: boolean;
}

/**
 * The protocol state of one member in one group, a core {@link Protocol}.
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
export class GroupEndpoint implements Protocol<GroupWire | GroupAnswer, MemberEvent, never> {
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
  readonly #heartbeat: number;
  #nextBeat = 0;
  #memberGone = false;
  readonly #traceDeliveries: boolean;
  readonly #deadline = new DeadlineKeeper();

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
    this.#heartbeat = options.heartbeat ?? 50;
    this.#traceDeliveries = options.traceDeliveries ?? true;
  }

  /** The installed view, or `null` before the first one. */
  get view(): View | null {
    return this.#s.view;
  }

  /** Whether the endpoint stopped. */
  get ended(): boolean {
    return this.#s.phase === "ended";
  }

  /** Asks the membership service to join; the first heartbeat is due `heartbeat` ms later. */
  start(now: number): EndpointEffect[] {
    this.#heardManager = now;
    this.#nextBeat = now + this.#heartbeat;
    return [...this.#join(), ...this.#deadline.update(undefined, this.#nextBeat)];
  }

  /**
   * Takes a received envelope ({@link GroupEndpoint.receive}), and heartbeats
   * ({@link GroupEndpoint.tick}) when one is due. Each {@link MemberEvent} goes to the member as
   * a local message (`g-deliver`, `g-view`, `g-closed`) after its trace line; after one it asks
   * for a tick at once, since the member may turn out to be gone (see
   * {@link GroupEndpoint.memberGone}). Once the endpoint ended it stops.
   */
  step(input: Input<GroupWire | GroupAnswer>): EndpointEffect[] {
    const now = input.now;
    const effects = this.#memberGone ? this.leave() : [];
    this.#memberGone = false;
    if (input.kind === "message") effects.push(...this.receive(input.envelope, now));
    if (!this.ended && now >= this.#nextBeat) {
      effects.push(...this.tick(now));
      this.#nextBeat = now + this.#heartbeat;
    }
    let told = false;
    for (const e of effects) if (e.kind === "deliver") told = true;
    const out = told
      ? effects.flatMap((e) => e.kind === "deliver" ? this.#toMember(e.value) : [e])
      : effects;
    if (this.ended) out.push({ kind: "stop", reason: "ended" });
    else out.push(...this.#deadline.update(input, told ? -Infinity : this.#nextBeat));
    return out;
  }

  /**
   * The member could not be given a delivery or view (a send to it found it gone): the
   * endpoint leaves the group on its next step.
   */
  memberGone(): void {
    this.#memberGone = true;
  }

  /** The trace line and the local message that hand `event` to the member. */
  #toMember(event: MemberEvent): EndpointEffect[] {
    const line = (prefix: string, fields: Record<string, unknown>): EndpointEffect[] =>
      this.#traceDeliveries
        ? [{
          kind: "log",
          text: prefix + JSON.stringify({
            group: this.group,
            member: this.member,
            incarnation: this.incarnation,
            ...fields,
          }),
        }]
        : [];
    const to = this.member;
    switch (event.kind) {
      case "delivery": {
        const d = event.delivery;
        return [
          ...line(DELIVERY_LOG, {
            id: d.id,
            stream: d.stream,
            index: d.index,
            hb: d.hb,
            gseq: d.gseq,
            view: d.view,
          }),
          { kind: "send", to, body: { kind: "g-deliver", delivery: d } },
        ];
      }
      case "view": {
        const { view, order, closed } = event;
        return [
          ...line(VIEW_LOG, {
            view: view.id,
            members: view.members,
            incarnations: view.incarnations,
            lineage: view.lineage,
          }),
          { kind: "send", to, body: { kind: "g-view", view, order, closed } },
        ];
      }
      case "end":
        return [
          ...line(END_LOG, { reason: event.reason }),
          {
            kind: "send",
            to,
            body: { kind: "g-closed", reason: event.reason, message: event.message },
          },
        ];
    }
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
    return [{ kind: "deliver", value: { kind: "end", reason, message } }];
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

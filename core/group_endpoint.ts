/**
 * A member's endpoint for one group, as a pure state machine (a message in, effects out): it
 * multicasts as n unicasts, holds messages back until the group's order allows delivery, runs
 * the sequencer when its member is the view's sequencer, heartbeats to the membership service,
 * and takes part in view changes (flush, then install). `group_endpoint_process.ts` drives it.
 * @module
 */
import type { Envelope } from "./envelope.ts";
import { createHoldBack, type HoldBack, TotalQueue } from "./group_order.ts";
import { endpointOf } from "./group_name.ts";
import { Sequencer } from "./group_sequencer.ts";
import type {
  FlushReport,
  GroupAnswer,
  GroupDelivery,
  GroupEndReason,
  GroupMessage,
  GroupOrder,
  GroupWire,
  InstallPlan,
  OrderedEntry,
  View,
} from "./group_types.ts";
import { type Address, canonical } from "./name.ts";
import { VectorClock } from "./vector_clock.ts";

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
}

type Phase = "joining" | "normal" | "flushing" | "ended";

/**
 * The protocol state of one member in one group.
 *
 * @example Joining sends a request to the membership service
 * ```ts
 * import assert from "node:assert/strict";
 * import { GroupEndpoint } from "./group_endpoint.ts";
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
  readonly #manager: Address;
  readonly #create?: { readonly order: GroupOrder; readonly closed: boolean };
  readonly #managerTimeout: number;
  #phase: Phase = "joining";
  #order: GroupOrder = "none";
  #closed = false;
  #view: View | null = null;
  #stream = "";
  #index = 0;
  #hb: VectorClock = {};
  #seq = 0;
  #queue: HoldBack = createHoldBack("none");
  #total = new TotalQueue(1);
  #sequencer: Sequencer | null = null;
  #retained = new Map<string, GroupMessage>();
  #entries = new Map<number, OrderedEntry>();
  #pending = new Map<string, GroupMessage>();
  #future: { view: number; body: GroupWire }[] = [];
  #deferredPrepare: Extract<GroupWire, { kind: "g-prepare" }> | null = null;
  #outbox: { body: unknown; origin?: Address }[] = [];
  #heardManager = 0;
  #leaving = false;

  /** Creates the endpoint's state. */
  constructor(options: GroupEndpointOptions) {
    this.group = options.group;
    this.member = options.member;
    this.#manager = canonical(options.manager);
    this.#create = options.create;
    this.#managerTimeout = options.managerTimeout ?? 1000;
  }

  /** The installed view, or `null` before the first one. */
  get view(): View | null {
    return this.#view;
  }

  /** Whether the endpoint stopped. */
  get ended(): boolean {
    return this.#phase === "ended";
  }

  /** Asks the membership service to join. */
  start(now: number): EndpointEffect[] {
    this.#heardManager = now;
    return [{
      kind: "send",
      to: this.#manager,
      body: { kind: "g-join", group: this.group, member: this.member, create: this.#create },
    }];
  }

  /** Multicasts `body` (queued while joining or during a view change). */
  multicast(body: unknown, now: number, origin?: Address): EndpointEffect[] {
    if (this.#phase === "ended") return [];
    if (this.#phase !== "normal") {
      this.#outbox.push({ body, origin });
      return [];
    }
    return this.#emit(body, origin, now);
  }

  /** Asks to leave; the endpoint ends when the membership service confirms. */
  leave(): EndpointEffect[] {
    if (this.#phase === "ended" || this.#leaving) return [];
    this.#leaving = true;
    return [{
      kind: "send",
      to: this.#manager,
      body: { kind: "g-leave", group: this.group, member: this.member },
    }];
  }

  /** Heartbeat: call every heartbeat period. */
  tick(now: number): EndpointEffect[] {
    if (this.#phase === "ended") return [];
    if (now - this.#heardManager > this.#managerTimeout) {
      return this.#end(
        "disconnected",
        `Cannot stay in group "${this.group}": the membership service "${this.#manager}" ` +
          `has been silent for ${this.#managerTimeout} ms; check that it is up`,
      );
    }
    return [{
      kind: "send",
      to: this.#manager,
      body: {
        kind: "g-heartbeat",
        group: this.group,
        member: this.member,
        view: this.#view?.id ?? 0,
        frontier: { delivered: this.#queue.delivered(), nextG: this.#total.next },
      },
    }];
  }

  /** Handles one received envelope. */
  receive(env: Envelope, now: number): EndpointEffect[] {
    if (this.#phase === "ended") return [];
    const body = env.body as GroupWire;
    if (env.from === this.#manager) this.#heardManager = now;
    switch (body.kind) {
      case "g-mcast":
        return this.multicast(body.body, now);
      case "g-bye":
        return this.leave();
      case "g-data":
        return this.#onData(body.message, body, now);
      case "g-submit":
        return this.#onSubmit(body.message, body, now);
      case "g-order":
        return this.#onOrder(body.view, body.entry, body, now);
      case "g-forward":
        return this.#onForward(env, body.origin, body.body, now);
      case "g-prepare":
        return this.#onPrepare(body);
      case "g-install":
        return this.#onInstall(body.order, body.closed, body.plan, now);
      case "g-stable":
        return this.#onStable(body.view, body.stable);
      case "g-end":
        return this.#end(body.reason, body.message);
      default:
        return [];
    }
  }

  #end(reason: GroupEndReason, message: string): EndpointEffect[] {
    this.#phase = "ended";
    return [{ kind: "end", reason, message }];
  }

  #others(): Address[] {
    return this.#view!.members.filter((m) => m !== this.member).map((m) =>
      endpointOf(m, this.group)
    );
  }

  #emit(body: unknown, origin: Address | undefined, now: number): EndpointEffect[] {
    const view = this.#view!;
    const seq = ++this.#seq;
    const index = ++this.#index;
    this.#hb = VectorClock.tick(this.#hb, this.#stream);
    const message: GroupMessage = {
      id: `${this.#stream}/${index}`,
      sender: this.member,
      stream: this.#stream,
      ...(origin === undefined ? {} : { origin }),
      view: view.id,
      seq,
      index,
      hb: this.#hb,
      ...(this.#order === "causal"
        ? { vc: { ...this.#queue.delivered(), [this.member]: seq } }
        : {}),
      sentAt: now,
      body,
    };
    if (this.#order === "total") {
      this.#pending.set(message.id, message);
      if (view.sequencer === this.member) return this.#sequence(message, now);
      const to = endpointOf(view.sequencer!, this.group);
      return [{ kind: "send", to, body: { kind: "g-submit", group: this.group, message } }];
    }
    const effects: EndpointEffect[] = this.#others().map((to) => ({
      kind: "send",
      to,
      body: { kind: "g-data", group: this.group, message },
    }));
    this.#retained.set(message.id, message);
    for (const m of this.#queue.offer(message)) effects.push(this.#deliver(m, undefined, now));
    return effects;
  }

  #deliver(message: GroupMessage, gseq: number | undefined, now: number): EndpointEffect {
    this.#hb = VectorClock.merge(this.#hb, message.hb);
    return {
      kind: "deliver",
      delivery: {
        group: this.group,
        id: message.id,
        sender: message.sender,
        stream: message.stream,
        from: message.origin ?? message.sender,
        index: message.index,
        hb: message.hb,
        ...(gseq === undefined ? {} : { gseq }),
        view: this.#view!.id,
        sentAt: message.sentAt,
        deliveredAt: now,
        body: message.body,
      },
    };
  }

  /** Sorts a message tagged with view `view`: `"now"`, `"later"` (kept) or `"drop"`. */
  #when(view: number, body: GroupWire): "now" | "drop" | "later" {
    if (this.#view === null || view > this.#view.id) {
      this.#future.push({ view, body });
      return "later";
    }
    if (view < this.#view.id || this.#phase !== "normal") return "drop";
    return "now";
  }

  #onData(message: GroupMessage, body: GroupWire, now: number): EndpointEffect[] {
    if (this.#when(message.view, body) !== "now" || this.#order === "total") return [];
    if (this.#queue.has(message)) return [];
    this.#retained.set(message.id, message);
    return this.#queue.offer(message).map((m) => this.#deliver(m, undefined, now));
  }

  #onSubmit(message: GroupMessage, body: GroupWire, now: number): EndpointEffect[] {
    if (this.#when(message.view, body) !== "now" || this.#sequencer === null) return [];
    return this.#sequence(message, now);
  }

  #sequence(message: GroupMessage, now: number): EndpointEffect[] {
    const effects: EndpointEffect[] = [];
    const view = this.#view!.id;
    const others = this.#others();
    for (const entry of this.#sequencer!.submit(message)) {
      for (const to of others) {
        effects.push({
          kind: "send",
          to,
          body: { kind: "g-order", group: this.group, view, entry },
        });
      }
      effects.push(...this.#accept(entry, now));
    }
    return effects;
  }

  #onOrder(view: number, entry: OrderedEntry, body: GroupWire, now: number): EndpointEffect[] {
    if (this.#when(view, body) !== "now") return [];
    return this.#accept(entry, now);
  }

  #accept(entry: OrderedEntry, now: number): EndpointEffect[] {
    if (entry.gseq >= this.#total.next) this.#entries.set(entry.gseq, entry);
    return this.#total.offer(entry).map((e) => {
      this.#pending.delete(e.message.id);
      return this.#deliver(e.message, e.gseq, now);
    });
  }

  #onForward(request: Envelope, origin: Address, body: unknown, now: number): EndpointEffect[] {
    if (this.#closed && !(this.#view?.members.includes(origin) ?? false)) {
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

  #onPrepare(prepare: Extract<GroupWire, { kind: "g-prepare" }>): EndpointEffect[] {
    if (this.#view !== null && prepare.target <= this.#view.id) return [];
    if (this.#view === null || prepare.from > this.#view.id) {
      this.#deferredPrepare = prepare;
      return [];
    }
    this.#phase = "flushing";
    const report: FlushReport = {
      member: this.member,
      messages: [...this.#retained.values()],
      entries: [...this.#entries.values()],
      nextG: this.#total.next,
      pending: [...this.#pending.values()],
    };
    return [{
      kind: "send",
      to: this.#manager,
      body: {
        kind: "g-flushed",
        group: this.group,
        target: prepare.target,
        attempt: prepare.attempt,
        report,
      },
    }];
  }

  #onInstall(order: GroupOrder, closed: boolean, plan: InstallPlan, now: number): EndpointEffect[] {
    if (this.#view !== null && plan.view.id <= this.#view.id) return [];
    const effects: EndpointEffect[] = [];
    if (this.#view !== null) {
      // Finish the old view: deliver what the survivors hold and this member lacks.
      for (const message of plan.missing) {
        if (this.#queue.has(message)) continue;
        for (const m of this.#queue.offer(message)) effects.push(this.#deliver(m, undefined, now));
      }
      const from = this.#total.next;
      for (const entry of plan.entries) {
        if (entry.gseq >= from) effects.push(this.#deliver(entry.message, entry.gseq, now));
      }
    }
    this.#order = order;
    this.#closed = closed;
    this.#view = plan.view;
    if (this.#stream === "") this.#stream = `${this.member}#${plan.view.id}`;
    this.#seq = 0;
    this.#queue = createHoldBack(order === "total" ? "none" : order);
    this.#total = new TotalQueue(plan.start);
    this.#sequencer = order === "total" && plan.view.sequencer === this.member
      ? new Sequencer(plan.start)
      : null;
    this.#retained.clear();
    this.#entries.clear();
    this.#pending.clear();
    this.#phase = "normal";
    effects.push({ kind: "view", view: plan.view, order, closed });
    const future = this.#future;
    this.#future = [];
    for (const item of future) {
      effects.push(...this.receive({ from: "", body: item.body } as Envelope, now));
    }
    const prepare = this.#deferredPrepare;
    this.#deferredPrepare = null;
    if (prepare !== null) effects.push(...this.#onPrepare(prepare));
    const outbox = this.#outbox;
    this.#outbox = [];
    for (const item of outbox) effects.push(...this.multicast(item.body, now, item.origin));
    return effects;
  }

  #onStable(view: number, stable: { delivered: Record<Address, number>; nextG: number }) {
    if (this.#view === null || view !== this.#view.id) return [];
    for (const [id, message] of this.#retained) {
      if (message.seq <= (stable.delivered[message.sender] ?? 0)) this.#retained.delete(id);
    }
    for (const gseq of this.#entries.keys()) {
      if (gseq < stable.nextG) this.#entries.delete(gseq);
    }
    return [];
  }
}

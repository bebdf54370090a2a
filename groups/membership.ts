/**
 * The membership service, as a pure state machine (a message in, effects out): it creates and
 * destroys groups, answers lookups (rejecting outsiders of closed groups), detects crashed
 * members by missing heartbeats, and runs every membership change as a numbered view change:
 * prepare (the survivors stop and report what they hold of the old view), then install (each
 * member of the new view gets what it lacks and the new view). A total-order group's sequencer
 * is the lowest-address member of each view: when it leaves or crashes, the next lowest live
 * member takes over, at the number where the recovered order ends.
 * `manager_process.ts` drives it as a process.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import {
  DeadlineKeeper,
  type Effect,
  type Input,
  type Protocol,
} from "../core/protocol/protocol.ts";
import type { GroupOrder, View } from "./types.ts";
import type { GroupAnswer, GroupWire } from "./messages.ts";
import type { Address } from "../core/name.ts";
import { finishRecovery, hear, recoverGroup } from "./_recovery.ts";
import {
  endAt,
  finishChange,
  type Group,
  inView,
  joining,
  newGroup,
  restartChange,
  stableFrontier,
  startChange,
  suspect,
} from "./_view_change.ts";

/**
 * What the membership service asks its driver to do: core effects (it sends {@link GroupWire}
 * messages, replies {@link GroupAnswer}s and sets its failure detector's deadline).
 */
export type MembershipEffect = Effect<GroupWire | GroupAnswer, never, never>;

/** Kinds of message that wait while their group is unknown or being recovered. */
const PARKED: readonly string[] = ["g-create", "g-join", "g-lookup", "g-destroy"];

/** Options of {@link Membership}. */
export interface MembershipOptions {
  /** Ms without a heartbeat after which a member is removed as crashed. @default 1000 */
  readonly suspectAfter?: number;
  /** Ms to wait for the survivors' flush reports before removing the silent ones. @default 1000 */
  readonly flushTimeout?: number;
  /**
   * Ms after the service's first message during which it does not create groups it does not
   * know (joins, creates, lookups and destroys of such groups wait): a service that restarted
   * first hears from the members of the groups it lost, and takes those groups up again (see
   * `_group_recovery.ts`). Give it when the service may restart; 0 creates groups at once, and
   * a group lost in a restart may then be created anew and its old members removed. @default 0
   */
  readonly recoverFor?: number;
  /**
   * This service's incarnation: a token no earlier run of the service used (the process draws
   * one). The views it numbers name it in their `lineage`. @default "1"
   */
  readonly incarnation?: string;
  /** Ms between failure-detector checks while some group needs them. @default 50 */
  readonly check?: number;
}

/**
 * The registry of groups and their views: a core {@link Protocol} (`groupManager` runs it with
 * `drive()`). It checks for failures every `check` ms while some group has members, a change
 * under way or waiting messages, and sets no deadline while none does, so an idle simulation
 * goes quiet. {@link Membership.handle} and {@link Membership.tick} are its two halves.
 *
 * @example Creating a group and looking it up
 * ```ts
 * import assert from "node:assert/strict";
 * import { Membership } from "./membership.ts";
 * const service = new Membership();
 * const request = (body: unknown) => ({ id: "r", from: "x@m1.lab", to: "groups@g0.lab", kind: "", body, lamport: 1, corr: "r" });
 * service.handle(request({ kind: "g-create", group: "chat", order: "total", closed: true }), 0);
 * const [answer] = service.handle(request({ kind: "g-lookup", group: "chat", sender: "x@m1.lab" }), 0);
 * assert.equal(answer.kind === "reply" && answer.body.kind, "g-error");
 * ```
 */
export class Membership implements Protocol<GroupWire | GroupAnswer, never, never> {
  readonly #suspectAfter: number;
  readonly #check: number;
  #nextCheck = 0;
  readonly #deadline = new DeadlineKeeper();
  readonly #flushTimeout: number;
  readonly #recoverFor: number;
  readonly #incarnation: string;
  #created = 0;
  #groups = new Map<string, Group>();
  /** Groups destroyed here: a late heartbeat of one must not take it up again. */
  #destroyed = new Set<string>();
  /** Messages about unknown or recovering groups, handled once they can be. */
  #parked: Envelope[] = [];
  #draining = false;
  #bootedAt: number | undefined;

  /** Creates an empty registry. */
  constructor(options: MembershipOptions = {}) {
    this.#suspectAfter = options.suspectAfter ?? 1000;
    this.#flushTimeout = options.flushTimeout ?? 1000;
    this.#recoverFor = options.recoverFor ?? 0;
    this.#incarnation = options.incarnation ?? "1";
    this.#check = options.check ?? 50;
  }

  /** Starts the failure detector's clock; nothing to do before the first message. */
  start(now: number): MembershipEffect[] {
    this.#nextCheck = now + this.#check;
    return this.#deadline.update(undefined, this.busy ? this.#nextCheck : Infinity);
  }

  /**
   * Takes a message ({@link Membership.handle}), and runs the failure detector
   * ({@link Membership.tick}) when a check is due; ends with the next check's deadline.
   */
  step(input: Input<GroupWire | GroupAnswer>): MembershipEffect[] {
    const now = input.now;
    const effects = input.kind === "message" ? this.handle(input.envelope, now) : [];
    if (!this.busy) this.#nextCheck = now + this.#check;
    else if (now >= this.#nextCheck) {
      effects.push(...this.tick(now));
      this.#nextCheck = now + this.#check;
    }
    return [...effects, ...this.#deadline.update(input, this.busy ? this.#nextCheck : Infinity)];
  }

  /** Whether some group has members or a view change under way (the service needs its timer). */
  get busy(): boolean {
    if (this.#parked.length > 0) return true;
    for (const g of this.#groups.values()) {
      if (g.view.members.length > 0 || g.change !== null || g.joins.size > 0) return true;
      if (g.recovery !== null) return true;
    }
    return false;
  }

  /**
   * Whether `env` must wait: its group is unknown while the service may still hear of it, or
   * recovering, or an earlier message about it waits (they are handled in arrival order).
   */
  #mustWait(env: Envelope, now: number): boolean {
    const body = env.body as GroupWire;
    if (!PARKED.includes(body.kind)) return false;
    const group = (body as { group: string }).group;
    if (this.#parked.some((p) => (p.body as { group?: string }).group === group)) return true;
    const g = this.#groups.get(group);
    if (g !== undefined) return g.recovery !== null;
    return now < this.#bootedAt! + this.#recoverFor;
  }

  /** Handles the parked messages that need not wait any longer, in arrival order. */
  #drain(out: MembershipEffect[], now: number): void {
    const parked = this.#parked;
    this.#parked = [];
    this.#draining = true;
    for (const env of parked) out.push(...this.handle(env, now));
    this.#draining = false;
  }

  /** The current view of `group`, or `undefined` when it does not exist. */
  view(group: string): View | undefined {
    return this.#groups.get(group)?.view;
  }

  /** Handles one received envelope. */
  handle(env: Envelope, now: number): MembershipEffect[] {
    this.#bootedAt ??= now;
    const out: MembershipEffect[] = [];
    if (!this.#draining && this.#parked.length > 0) this.#drain(out, now);
    if (this.#mustWait(env, now)) {
      this.#parked.push(env);
      return out;
    }
    const body = env.body as GroupWire;
    const g = "group" in body ? this.#groups.get(body.group) : undefined;
    switch (body.kind) {
      case "g-create":
        if (g !== undefined) {
          replyError(
            out,
            env,
            body.group,
            "exists",
            `Cannot create group "${body.group}": it exists already`,
          );
        } else {
          this.#create(body.group, body.order, body.closed);
          out.push({ kind: "reply", request: env, body: { kind: "g-ok" } });
        }
        break;
      case "g-destroy":
        this.#destroy(out, env, body, g);
        break;
      case "g-lookup":
        lookup(out, env, body, g);
        break;
      case "g-join":
        this.#join(out, body, g, now);
        break;
      case "g-leave":
        if (g !== undefined) this.#leave(out, body, g, now);
        break;
      case "g-heartbeat":
        this.#heartbeat(out, env, body, g, now);
        break;
      case "g-flushed":
        this.#flushed(out, body, g, now);
        break;
    }
    return out;
  }

  #destroy(
    out: MembershipEffect[],
    env: Envelope,
    body: Extract<GroupWire, { kind: "g-destroy" }>,
    g: Group | undefined,
  ): void {
    if (g === undefined) {
      replyUnknown(out, env, body.group, "destroy");
      return;
    }
    const everyone = new Map([
      ...Object.entries(g.view.incarnations),
      ...(g.change?.joiners ?? []),
      ...g.joins,
    ]);
    for (const [m, incarnation] of everyone) {
      endAt(out, m, incarnation, g.name, "destroyed", `Group "${g.name}" was destroyed`);
    }
    this.#groups.delete(g.name);
    this.#destroyed.add(g.name);
    out.push({ kind: "reply", request: env, body: { kind: "g-ok" } });
  }

  #leave(
    out: MembershipEffect[],
    body: Extract<GroupWire, { kind: "g-leave" }>,
    g: Group,
    now: number,
  ): void {
    if (g.joins.get(body.member) === body.incarnation) {
      g.joins.delete(body.member);
      g.gone.add(`${body.member}#${body.incarnation}`);
      endAt(out, body.member, body.incarnation, g.name, "left", `Left group "${g.name}"`);
    } else if (inView(g, body.member, body.incarnation)) {
      g.leaves.set(body.member, body.incarnation);
      startChange(out, g, now, this.#flushTimeout);
    }
    // A joiner of the change under way leaves once it is in the view: its heartbeats say so.
  }

  /** A survivor's flush report for the change under way; the last one finishes the change. */
  #flushed(
    out: MembershipEffect[],
    body: Extract<GroupWire, { kind: "g-flushed" }>,
    g: Group | undefined,
    now: number,
  ): void {
    const change = g?.change;
    if (!g || !change || change.target !== body.target || change.attempt !== body.attempt) {
      return;
    }
    const member = body.report.member;
    if (!change.survivors.has(member) || !inView(g, member, body.incarnation)) return;
    g.heard.set(member, now);
    change.reports.set(member, body.report);
    if (change.reports.size === change.survivors.size) {
      finishChange(out, g, now, this.#flushTimeout);
    }
  }

  /** Failure detection and flush timeouts: call regularly while {@link Membership.busy}. */
  tick(now: number): MembershipEffect[] {
    this.#bootedAt ??= now;
    const out: MembershipEffect[] = [];
    for (const g of this.#groups.values()) {
      if (g.recovery !== null) {
        if (now >= g.recovery.until) finishRecovery(out, g, now, this.#flushTimeout);
        continue;
      }
      for (const m of g.view.members) {
        if (now - (g.heard.get(m) ?? now) > this.#suspectAfter) suspect(g, m);
      }
      const change = g.change;
      if (change !== null && now >= change.deadline) {
        for (const m of change.survivors) if (!change.reports.has(m)) suspect(g, m);
      }
      if (change !== null) {
        if ([...g.removals].some(([m, i]) => change.survivors.has(m) && inView(g, m, i))) {
          restartChange(out, g, now, this.#flushTimeout);
        }
      } else {
        startChange(out, g, now, this.#flushTimeout);
      }
    }
    this.#drain(out, now);
    return out;
  }

  /** A lineage no group of any run of the service had (see View.lineage). */
  #lineage(): string {
    return `${this.#incarnation}.${++this.#created}`;
  }

  #create(name: string, order: GroupOrder, closed: boolean): Group {
    const group = newGroup(name, order, closed, this.#lineage());
    this.#groups.set(name, group);
    this.#destroyed.delete(name);
    return group;
  }

  #join(
    out: MembershipEffect[],
    body: Extract<GroupWire, { kind: "g-join" }>,
    found: Group | undefined,
    now: number,
  ): void {
    const { member, incarnation } = body;
    let g = found;
    if (g === undefined) {
      if (body.create === undefined) {
        endAt(
          out,
          member,
          incarnation,
          body.group,
          "rejected",
          `Cannot join group "${body.group}": it does not exist; create it first`,
        );
        return;
      }
      g = this.#create(body.group, body.create.order, body.create.closed);
    } else if (
      body.create !== undefined &&
      (body.create.order !== g.order || body.create.closed !== g.closed)
    ) {
      endAt(
        out,
        member,
        incarnation,
        g.name,
        "rejected",
        `Cannot join group "${g.name}" as ${body.create.closed ? "closed" : "open"} ` +
          `"${body.create.order}": it exists as ${g.closed ? "closed" : "open"} "${g.order}"`,
      );
      return;
    }
    // The endpoint repeats its join until it is in a view: once is enough; and a copy that
    // arrives late, after that incarnation left or was removed, must not bring it back.
    if (inView(g, member, incarnation) || joining(g, member, incarnation)) return;
    if (g.gone.has(`${member}#${incarnation}`)) {
      endAt(out, member, incarnation, g.name, "removed", `Removed from group "${g.name}"`);
      return;
    }
    // Another incarnation in the view was restarted (or left and came back): the view change
    // that adds this one removes that one (see restartChange).
    g.joins.set(member, incarnation);
    startChange(out, g, now, this.#flushTimeout);
  }

  #heartbeat(
    out: MembershipEffect[],
    env: Envelope,
    body: Extract<GroupWire, { kind: "g-heartbeat" }>,
    found: Group | undefined,
    now: number,
  ): void {
    const { member, incarnation } = body;
    let g = found;
    if (body.view === 0 && (g === undefined || g.recovery !== null)) {
      // A joiner: its repeated join says what it wants (answered, if the group is known).
      if (g !== undefined && joining(g, member, incarnation)) this.#answer(out, env, g, 0);
      return;
    }
    if (g === undefined && !this.#destroyed.has(body.group)) {
      // The service restarted and lost the group: take it up again from the heartbeats.
      g = recoverGroup(body.group, body.settings, this.#lineage(), now, this.#suspectAfter);
      if (g !== undefined) this.#groups.set(g.name, g);
    }
    if (g === undefined) {
      endAt(
        out,
        member,
        incarnation,
        body.group,
        "destroyed",
        `Group "${body.group}" does not exist`,
      );
    } else if (g.recovery !== null) {
      hear(out, g, env.from, body);
    } else if (inView(g, member, incarnation)) {
      g.heard.set(member, now);
      if (body.view === g.view.id) g.frontiers.set(member, body.frontier);
      if (body.leaving === true && !g.leaves.has(member) && !g.change?.leavers.has(member)) {
        g.leaves.set(member, incarnation);
        startChange(out, g, now, this.#flushTimeout);
      }
      this.#answer(out, env, g, g.view.id);
    } else if (joining(g, member, incarnation)) {
      // Still joining: answer, so that its endpoint knows the service is alive.
      this.#answer(out, env, g, 0);
    } else if (body.view !== 0) {
      endAt(out, member, incarnation, g.name, "removed", `Removed from group "${g.name}"`);
    }
  }

  /** Answers a heartbeat with what is stable in `view` (0: nothing yet). */
  #answer(out: MembershipEffect[], env: Envelope, g: Group, view: number): void {
    const { incarnation } = env.body as { incarnation: string };
    const stable = view === 0 ? { delivered: {}, nextG: 1 } : stableFrontier(g);
    out.push({
      kind: "send",
      to: env.from,
      body: { kind: "g-stable", group: g.name, incarnation, view, stable },
    });
  }
}

/** Answers request `env` with an error of `group`. */
function replyError(
  out: MembershipEffect[],
  env: Envelope,
  group: string,
  reason: string,
  message: string,
  sender?: Address,
): void {
  out.push({
    kind: "reply",
    request: env,
    body: { kind: "g-error", group, reason, message, sender },
  });
}

/** Answers that `group` does not exist, to a request to `action` it. */
function replyUnknown(
  out: MembershipEffect[],
  env: Envelope,
  group: string,
  action: string,
): void {
  replyError(out, env, group, "unknown", `Cannot ${action} group "${group}": it does not exist`);
}

/** Answers a lookup with the group's view, unless it does not exist or is closed to the sender. */
function lookup(
  out: MembershipEffect[],
  env: Envelope,
  body: Extract<GroupWire, { kind: "g-lookup" }>,
  g: Group | undefined,
): void {
  if (g === undefined) {
    replyUnknown(out, env, body.group, "send to");
  } else if (g.closed && !g.view.members.includes(body.sender)) {
    replyError(out, env, g.name, "closed", `Cannot send to group "${g.name}"`, body.sender);
  } else {
    out.push({
      kind: "reply",
      request: env,
      body: { kind: "g-ok", view: g.view, order: g.order, closed: g.closed },
    });
  }
}

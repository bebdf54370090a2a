/**
 * The membership service, as a pure state machine (a message in, effects out): it creates and
 * destroys groups, answers lookups (rejecting outsiders of closed groups), detects crashed
 * members by missing heartbeats, and runs every membership change as a numbered view change:
 * prepare (the survivors stop and report what they hold of the old view), then install (each
 * member of the new view gets what it lacks and the new view). A total-order group's sequencer
 * is the lowest-address member of each view: when it leaves or crashes, the next lowest live
 * member takes over, at the number where the recovered order ends.
 * `group_manager.ts` drives it as a process.
 * @module
 */
import type { Envelope } from "./envelope.ts";
import { endpointOf } from "./group_name.ts";
import type { GroupAnswer, GroupOrder, GroupWire, View } from "./group_types.ts";
import type { Address } from "./name.ts";
import {
  endAt,
  endMember,
  finishChange,
  type Group,
  newGroup,
  restartChange,
  stableFrontier,
  startChange,
} from "./_group_view_change.ts";

/** Something the membership service wants done. */
export type MembershipEffect =
  | { readonly kind: "send"; readonly to: Address; readonly body: GroupWire }
  | { readonly kind: "reply"; readonly request: Envelope; readonly body: GroupAnswer };

/** Options of {@link Membership}. */
export interface MembershipOptions {
  /** Ms without a heartbeat after which a member is removed as crashed. @default 1000 */
  readonly suspectAfter?: number;
  /** Ms to wait for the survivors' flush reports before removing the silent ones. @default 1000 */
  readonly flushTimeout?: number;
}

/**
 * The registry of groups and their views.
 *
 * @example Creating a group and looking it up
 * ```ts
 * import assert from "node:assert/strict";
 * import { Membership } from "./group_membership.ts";
 * const service = new Membership();
 * const request = (body: unknown) => ({ id: "r", from: "x@m1.lab", to: "groups@g0.lab", kind: "", body, lamport: 1, corr: "r" });
 * service.handle(request({ kind: "g-create", group: "chat", order: "total", closed: true }), 0);
 * const [answer] = service.handle(request({ kind: "g-lookup", group: "chat", sender: "x@m1.lab" }), 0);
 * assert.equal(answer.kind === "reply" && answer.body.kind, "g-error");
 * ```
 */
export class Membership {
  readonly #suspectAfter: number;
  readonly #flushTimeout: number;
  #groups = new Map<string, Group>();

  /** Creates an empty registry. */
  constructor(options: MembershipOptions = {}) {
    this.#suspectAfter = options.suspectAfter ?? 1000;
    this.#flushTimeout = options.flushTimeout ?? 1000;
  }

  /** Whether some group has members or a view change under way (the service needs its timer). */
  get busy(): boolean {
    for (const g of this.#groups.values()) {
      if (g.view.members.length > 0 || g.change !== null || g.joins.size > 0) return true;
    }
    return false;
  }

  /** The current view of `group`, or `undefined` when it does not exist. */
  view(group: string): View | undefined {
    return this.#groups.get(group)?.view;
  }

  /** Handles one received envelope. */
  handle(env: Envelope, now: number): MembershipEffect[] {
    const body = env.body as GroupWire;
    const out: MembershipEffect[] = [];
    const g = "group" in body ? this.#groups.get(body.group) : undefined;
    const error = (group: string, reason: string, message: string, sender?: Address) =>
      out.push({
        kind: "reply",
        request: env,
        body: { kind: "g-error", group, reason, message, sender },
      });
    switch (body.kind) {
      case "g-create":
        if (g !== undefined) {
          error(body.group, "exists", `Cannot create group "${body.group}": it exists already`);
        } else {
          this.#create(body.group, body.order, body.closed);
          out.push({ kind: "reply", request: env, body: { kind: "g-ok" } });
        }
        break;
      case "g-destroy":
        if (g === undefined) {
          error(body.group, "unknown", `Cannot destroy group "${body.group}": it does not exist`);
        } else {
          for (const m of new Set([...g.view.members, ...g.joins])) {
            endMember(out, g, m, "destroyed", `Group "${g.name}" was destroyed`);
          }
          this.#groups.delete(g.name);
          out.push({ kind: "reply", request: env, body: { kind: "g-ok" } });
        }
        break;
      case "g-lookup":
        if (g === undefined) {
          error(body.group, "unknown", `Cannot send to group "${body.group}": it does not exist`);
        } else if (g.closed && !g.view.members.includes(body.sender)) {
          error(g.name, "closed", `Cannot send to group "${g.name}"`, body.sender);
        } else {
          out.push({
            kind: "reply",
            request: env,
            body: { kind: "g-ok", view: g.view, order: g.order, closed: g.closed },
          });
        }
        break;
      case "g-join":
        this.#join(out, body, g, now);
        break;
      case "g-leave":
        if (g === undefined) break;
        if (g.joins.delete(body.member)) {
          endMember(out, g, body.member, "left", `Left group "${g.name}"`);
        } else if (g.view.members.includes(body.member)) {
          g.leaves.add(body.member);
          startChange(out, g, now, this.#flushTimeout);
        }
        break;
      case "g-heartbeat":
        if (g === undefined) {
          if (body.view === 0) break; // a joiner's heartbeat that overtook its join
          endAt(
            out,
            env.from,
            body.group,
            "destroyed",
            `Group "${body.group}" does not exist`,
          );
        } else if (!g.view.members.includes(body.member)) {
          if (g.joins.has(body.member) || (g.change?.joiners.has(body.member) ?? false)) {
            // Still joining: answer, so that its endpoint knows the service is alive.
            const stable = { delivered: {}, nextG: 1 };
            out.push({
              kind: "send",
              to: env.from,
              body: { kind: "g-stable", group: g.name, view: 0, stable },
            });
          } else if (body.view !== 0) {
            endMember(out, g, body.member, "removed", `Removed from group "${g.name}"`);
          }
        } else {
          g.heard.set(body.member, now);
          if (body.view === g.view.id) g.frontiers.set(body.member, body.frontier);
          out.push({
            kind: "send",
            to: env.from,
            body: { kind: "g-stable", group: g.name, view: g.view.id, stable: stableFrontier(g) },
          });
        }
        break;
      case "g-flushed": {
        const change = g?.change;
        if (!g || !change || change.target !== body.target || change.attempt !== body.attempt) {
          break;
        }
        if (!change.survivors.has(body.report.member)) break;
        g.heard.set(body.report.member, now);
        change.reports.set(body.report.member, body.report);
        if (change.reports.size === change.survivors.size) {
          finishChange(out, g, now, this.#flushTimeout);
        }
        break;
      }
    }
    return out;
  }

  /** Failure detection and flush timeouts: call regularly while {@link Membership.busy}. */
  tick(now: number): MembershipEffect[] {
    const out: MembershipEffect[] = [];
    for (const g of this.#groups.values()) {
      for (const m of g.view.members) {
        if (now - (g.heard.get(m) ?? now) > this.#suspectAfter) g.removals.add(m);
      }
      const change = g.change;
      if (change !== null && now >= change.deadline) {
        for (const m of change.survivors) if (!change.reports.has(m)) g.removals.add(m);
      }
      if (change !== null) {
        if ([...g.removals].some((m) => change.survivors.has(m))) {
          restartChange(out, g, now, this.#flushTimeout);
        }
      } else {
        startChange(out, g, now, this.#flushTimeout);
      }
    }
    return out;
  }

  #create(name: string, order: GroupOrder, closed: boolean): Group {
    const group = newGroup(name, order, closed);
    this.#groups.set(name, group);
    return group;
  }

  #join(
    out: MembershipEffect[],
    body: Extract<GroupWire, { kind: "g-join" }>,
    found: Group | undefined,
    now: number,
  ): void {
    let g = found;
    if (g === undefined) {
      if (body.create === undefined) {
        endAt(
          out,
          endpointOf(body.member, body.group),
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
      endMember(
        out,
        g,
        body.member,
        "rejected",
        `Cannot join group "${g.name}" as ${body.create.closed ? "closed" : "open"} ` +
          `"${body.create.order}": it exists as ${g.closed ? "closed" : "open"} "${g.order}"`,
      );
      return;
    }
    // A member that joins again was restarted: its old incarnation is gone.
    if (g.view.members.includes(body.member)) g.removals.add(body.member);
    g.joins.add(body.member);
    g.heard.set(body.member, now);
    startChange(out, g, now, this.#flushTimeout);
  }
}

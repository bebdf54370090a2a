/**
 * Group communication for process code: create and destroy groups, join and leave them (a
 * process may be in several at once), multicast to a group and deliver its messages in the
 * group's order (none, FIFO, causal or total), and send to an open group from outside.
 *
 * Each member has an endpoint process on its own machine that runs the protocol: a multicast
 * goes out as one unicast per member over the reliable channel; a membership service
 * (`groupManager`, conventionally `groups@g0.lab`) numbers the views and removes crashed
 * members, and every view change flushes the old view so that a message is delivered by all
 * surviving members or by none (atomic multicast).
 *
 * Group messages reach the member as local messages of kinds `g-deliver`, `g-view` and
 * `g-closed` from its endpoint: a process in a group should receive its other messages with a
 * `from` or `kind` filter, so that it does not take them by accident.
 *
 * A member whose machine crashes and restarts comes back as a new incarnation (its endpoint
 * draws a fresh token): it joins a later view than the one that removes its predecessor, never
 * takes what was meant for it, and multicasts under a new stream. Total order is agreed order
 * (Isis's ABCAST, Spread's AGREED): members that stay deliver in one order; a sequencer that
 * crashes may have delivered its last numbers only to members that failed with it.
 *
 * Limits: while the membership service is down, views cannot change; a restarted service takes
 * its groups up again from the members' heartbeats (give it `recoverFor` so that it hears of
 * them before it creates a group from a join). The group relies on the reliable channel to
 * recover lost messages; a member should `leave()` before its process ends (an endpoint whose
 * member ended without leaving notices it only at its next delivery).
 * @module
 */
import { TimeoutError } from "../core/errors.ts";
import { groupEndpoint } from "./endpoint_process.ts";
import { GroupClosedError, GroupError, type GroupErrorReason } from "./errors.ts";
import { checkGroupName, DEFAULT_GROUP_MANAGER, endpointOf } from "./name.ts";
import type { GroupDelivery, GroupOrder, View } from "./types.ts";
import { type GroupAnswer, type GroupWire, LOCAL_KINDS } from "./messages.ts";
import { type Address, canonical, processOf } from "../core/name.ts";
import type { ProcessContext } from "../core/process.ts";

/** Options shared by the calls to the membership service. */
export interface GroupServiceOptions {
  /** Address of the membership service. @default "groups@g0.lab" */
  readonly manager?: string;
  /** Ms to wait for an answer before failing with a `TimeoutError`. @default 5000 */
  readonly timeout?: number;
}

/** Options of {@link GroupClient.create}. */
export interface CreateGroupOptions {
  /** Delivery order. @default "none" */
  readonly order?: GroupOrder;
  /** Closed group: only members may send to it. @default false */
  readonly closed?: boolean;
}

/** Options of {@link GroupClient.join}. */
export interface JoinGroupOptions {
  /** Create the group with these settings when it does not exist. @default fail on an unknown group */
  readonly create?: CreateGroupOptions;
  /** Ms between the endpoint's heartbeats to the membership service. @default 50 */
  readonly heartbeat?: number;
  /** Ms of silence from the membership service after which the endpoint gives up. @default 2000 */
  readonly managerTimeout?: number;
  /** Write a `group-deliver` trace line per delivery, for the order checker. @default true */
  readonly traceDeliveries?: boolean;
}

/** Options of {@link Group.deliver} and {@link Group.leave}. */
export interface GroupWaitOptions {
  /** Ms to wait before failing with a `TimeoutError`. @default Infinity for deliver, 5000 for leave */
  readonly timeout?: number;
}

function failure(answer: Extract<GroupAnswer, { kind: "g-error" }>): Error {
  if (answer.reason === "closed") return new GroupClosedError(answer.group, answer.sender ?? "");
  return new GroupError(answer.group, answer.reason as GroupErrorReason, answer.message);
}

/**
 * A process's membership in one group, returned by {@link GroupClient.join}.
 *
 * @example Multicast and deliver in a FIFO group
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { groupManager } from "./manager_process.ts";
 * import { GroupClient } from "./group.ts";
 * const sim = new Simulator({ seed: 3 });
 * sim.machine("g0.lab").spawn("groups", groupManager());
 * const got: unknown[] = [];
 * sim.machine("m1.lab").spawn("a", async (ctx) => {
 *   const chat = await new GroupClient(ctx).join("chat", { create: { order: "fifo" } });
 *   await chat.multicast("one");
 *   await chat.multicast("two");
 *   for (let i = 0; i < 2; i++) got.push((await chat.deliver()).body);
 *   await chat.leave();
 * });
 * await sim.run();
 * assert.deepEqual(got, ["one", "two"]);
 * ```
 */
export class Group {
  /** The group's name. */
  readonly name: string;
  /** This member's address. */
  readonly member: Address;
  /** Address of this member's endpoint process. */
  readonly endpoint: Address;
  /** The group's delivery order. */
  readonly order: GroupOrder;
  /** Whether only members may send. */
  readonly closed: boolean;
  readonly #ctx: ProcessContext;
  #views: View[];
  #ended: Error | null = null;

  /** Wraps an endpoint that installed its first view (use {@link GroupClient.join}). */
  constructor(
    ctx: ProcessContext,
    first: { view: View; endpoint: Address; order: GroupOrder; closed: boolean },
  ) {
    this.#ctx = ctx;
    this.name = first.view.group;
    this.member = ctx.self;
    this.endpoint = first.endpoint;
    this.order = first.order;
    this.closed = first.closed;
    this.#views = [first.view];
  }

  /** This member's incarnation in the group (new after each restart or rejoin). */
  get incarnation(): string {
    return this.#views[0].incarnations[this.member];
  }

  /** The latest view this member installed. */
  get view(): View {
    return this.#views[this.#views.length - 1];
  }

  /** Every view this member installed, oldest first. */
  get views(): readonly View[] {
    return this.#views;
  }

  /** Multicasts `body` to every member (this one included), in the group's order. */
  multicast(body: unknown): Promise<void> {
    if (this.#ended) return Promise.reject(this.#ended);
    return this.#ctx.send(this.endpoint, { kind: "g-mcast", body } satisfies GroupWire);
  }

  /**
   * Waits for the next message the group's order lets this member deliver. Views installed
   * meanwhile update {@link Group.view}. Fails with a {@link GroupError} once the member left,
   * was removed or the group was destroyed.
   */
  async deliver<B = unknown>(options: GroupWaitOptions = {}): Promise<GroupDelivery<B>> {
    const deadline = this.#ctx.now() + (options.timeout ?? Infinity);
    for (;;) {
      if (this.#ended) throw this.#ended;
      const left = deadline - this.#ctx.now();
      const env = await this.#ctx.receive<GroupWire>({
        from: this.endpoint,
        kind: LOCAL_KINDS,
        ...(left === Infinity ? {} : { timeout: Math.max(0, left) }),
      });
      const body = env.body;
      if (body.kind === "g-deliver") return body.delivery as GroupDelivery<B>;
      this.#take(body);
      if (this.#ended) await this.#settle();
    }
  }

  /**
   * Leaves the group; resolves once the membership service installed a view without it.
   * Messages still arriving meanwhile are not delivered to this member.
   */
  async leave(options: GroupWaitOptions = {}): Promise<void> {
    if (this.#ended) return;
    await this.#ctx.send(this.endpoint, { kind: "g-bye" } satisfies GroupWire);
    const deadline = this.#ctx.now() + (options.timeout ?? 5000);
    while (!this.#ended) {
      const env = await this.#ctx.receive<GroupWire>({
        from: this.endpoint,
        kind: LOCAL_KINDS,
        timeout: Math.max(0, deadline - this.#ctx.now()),
      });
      this.#take(env.body);
    }
    await this.#settle();
  }

  /** Lets the stopped endpoint exit, so that the member can join the group again at once. */
  #settle(): Promise<void> {
    return this.#ctx.sleep(0);
  }

  #take(body: GroupWire): void {
    if (body.kind === "g-view") this.#views.push(body.view);
    else if (body.kind === "g-closed") {
      this.#ended = new GroupError(
        this.name,
        body.reason,
        `Cannot deliver from group "${this.name}" as "${this.member}": ${body.message}`,
      );
    }
  }
}

/**
 * A process's access to groups through the membership service.
 *
 * @example A closed group rejects an outsider by name
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { groupManager } from "./manager_process.ts";
 * import { GroupClient } from "./group.ts";
 * import { GroupClosedError } from "./errors.ts";
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("g0.lab").spawn("groups", groupManager());
 * let error: unknown;
 * sim.machine("m9.lab").spawn("spy", async (ctx) => {
 *   const groups = new GroupClient(ctx);
 *   await groups.create("workers", { closed: true });
 *   error = await groups.send("workers", "let me in").catch((e) => e);
 *   await groups.destroy("workers");
 * });
 * await sim.run();
 * assert.ok(error instanceof GroupClosedError);
 * assert.match(error.message, /"workers": "spy@m9.lab" is not a member/);
 * ```
 */
export class GroupClient {
  readonly #ctx: ProcessContext;
  readonly #manager: Address;
  readonly #timeout: number;

  /** Creates the client for the process `ctx`. */
  constructor(ctx: ProcessContext, options: GroupServiceOptions = {}) {
    this.#ctx = ctx;
    this.#manager = canonical(options.manager ?? DEFAULT_GROUP_MANAGER);
    this.#timeout = options.timeout ?? 5000;
  }

  async #ask(body: GroupWire): Promise<Extract<GroupAnswer, { kind: "g-ok" }>> {
    const answer = await this.#ctx.request<GroupAnswer>(this.#manager, body, {
      timeout: this.#timeout,
    });
    if (answer.body.kind === "g-error") throw failure(answer.body);
    return answer.body;
  }

  /** Creates group `name`; fails with a {@link GroupError} (`exists`) when it exists. */
  async create(name: string, options: CreateGroupOptions = {}): Promise<void> {
    await this.#ask({
      kind: "g-create",
      group: checkGroupName(name),
      order: options.order ?? "none",
      closed: options.closed ?? false,
    });
  }

  /** Destroys group `name`: its members' endpoints stop and their `deliver` fails. */
  async destroy(name: string): Promise<void> {
    await this.#ask({ kind: "g-destroy", group: checkGroupName(name) });
  }

  /** Joins group `name`; resolves once the first view with this process is installed. */
  async join(name: string, options: JoinGroupOptions = {}): Promise<Group> {
    const ctx = this.#ctx;
    const endpoint = endpointOf(ctx.self, checkGroupName(name));
    const create = options.create === undefined
      ? undefined
      : { order: options.create.order ?? "none", closed: options.create.closed ?? false };
    try {
      ctx.spawn(
        processOf(endpoint),
        groupEndpoint({
          group: name,
          member: ctx.self,
          manager: this.#manager,
          create,
          heartbeat: options.heartbeat,
          managerTimeout: options.managerTimeout ?? 2000,
          traceDeliveries: options.traceDeliveries,
        }),
      );
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      throw new GroupError(
        name,
        "joined",
        `Cannot join group "${name}": "${ctx.self}" is a member already; leave it first`,
      );
    }
    let env;
    try {
      env = await ctx.receive<GroupWire>({
        from: endpoint,
        kind: ["g-view", "g-closed"],
        timeout: this.#timeout,
      });
    } catch (error) {
      if (error instanceof TimeoutError) await ctx.send(endpoint, { kind: "g-bye" });
      throw error;
    }
    const body = env.body;
    if (body.kind === "g-closed") {
      await ctx.sleep(0); // let the stopped endpoint exit: a retry can spawn it again
      throw new GroupError(name, body.reason, body.message);
    }
    if (body.kind !== "g-view") throw new TypeError(`Cannot join group "${name}": bad answer`);
    return new Group(ctx, { view: body.view, endpoint, order: body.order, closed: body.closed });
  }

  /**
   * Sends `body` to every member of group `name` from outside it (an open group): it enters
   * the group through one member, which multicasts it in the group's order. Fails with a
   * {@link GroupClosedError} naming the group and this process when the group is closed.
   */
  async send(name: string, body: unknown): Promise<void> {
    const group = checkGroupName(name);
    const found = await this.#ask({ kind: "g-lookup", group, sender: this.#ctx.self });
    const view = found.view!;
    const contact = view.sequencer ?? view.members[0];
    if (contact === undefined) {
      throw new GroupError(group, "empty", `Cannot send to group "${group}": it has no members`);
    }
    const answer = await this.#ctx.request<GroupAnswer>(
      endpointOf(contact, group),
      { kind: "g-forward", group, origin: this.#ctx.self, body } satisfies GroupWire,
      { timeout: this.#timeout },
    );
    if (answer.body.kind === "g-error") throw failure(answer.body);
  }
}

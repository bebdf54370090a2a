import assert from "node:assert/strict";
import type { Envelope } from "../core/envelope.ts";
import { GroupEndpoint } from "../groups/endpoint.ts";
import { Membership, type MembershipEffect } from "../groups/membership.ts";
import type { GroupWire } from "../groups/messages.ts";
import { groupRun } from "../lab/group/_run.ts";
import { parseGroupArgs } from "../lab/group/command.ts";

const SERVICE = "groups@g0.lab";
const A = "a@m1.lab", B = "b@m2.lab", C = "c@m3.lab";

function env(from: string, body: GroupWire, to = SERVICE): Envelope {
  return { id: "e", from, to, kind: body.kind, body, lamport: 1 };
}

function endpointOf(member: string): string {
  return member.replace("@", "--g@");
}

/** The kinds of the effects, as `to kind` (`reply kind` for replies). */
function kinds(effects: readonly MembershipEffect[]): string[] {
  return effects.map((e) =>
    e.kind === "send" || e.kind === "reply"
      ? `${e.kind === "send" ? e.to : "reply"} ${e.body.kind}`
      : e.kind
  );
}

const join = (member: string, incarnation: string): Envelope =>
  env(endpointOf(member), {
    kind: "g-join",
    group: "g",
    member,
    incarnation,
    create: { order: "fifo", closed: false },
  });

const flushed = (member: string, incarnation: string, target: number, attempt = 1): Envelope =>
  env(endpointOf(member), {
    kind: "g-flushed",
    group: "g",
    incarnation,
    target,
    attempt,
    report: { member, messages: [], entries: [], nextG: 1, pending: [] },
  });

const heartbeat = (member: string, incarnation: string, view: number): Envelope =>
  env(endpointOf(member), {
    kind: "g-heartbeat",
    group: "g",
    member,
    incarnation,
    view,
    frontier: { delivered: {}, nextG: 1 },
    settings: { order: "fifo", closed: false },
  });

/** A service with a@1 and b@1 in view 2. */
function twoMembers(options: { recoverFor?: number } = {}): Membership {
  const service = new Membership({ suspectAfter: 1000, flushTimeout: 1000, ...options });
  service.handle(join(A, "1"), 0);
  service.handle(join(B, "1"), 1);
  service.handle(flushed(A, "1", 2), 2);
  assert.deepEqual(service.view("g")?.incarnations, { [A]: "1", [B]: "1" });
  return service;
}

Deno.test("GroupEndpoint ignores what the service sent to an earlier incarnation at its address", () => {
  const endpoint = new GroupEndpoint({ group: "g", member: A, manager: SERVICE, incarnation: "2" });
  endpoint.start(0);
  const view = {
    group: "g",
    id: 3,
    members: [A, B],
    sequencer: null,
    incarnations: { [A]: "1", [B]: "1" },
    lineage: "L",
  };
  const install = (incarnation: string) =>
    env(SERVICE, {
      kind: "g-install",
      group: "g",
      incarnation,
      order: "fifo",
      closed: false,
      plan: { view, missing: [], entries: [], start: 1 },
    }, endpointOf(A));
  // Retransmitted to the restarted machine after the crash: meant for incarnation 1.
  assert.deepEqual(endpoint.receive(install("1"), 5), []);
  assert.equal(endpoint.view, null);
  const end = env(SERVICE, {
    kind: "g-end",
    group: "g",
    incarnation: "1",
    reason: "removed",
    message: "Removed",
  }, endpointOf(A));
  assert.deepEqual(endpoint.receive(end, 6), []);
  assert.equal(endpoint.ended, false);
  // Its own install it takes.
  const own = { ...view, incarnations: { [A]: "2", [B]: "1" } };
  const effects = endpoint.receive(
    env(SERVICE, {
      kind: "g-install",
      group: "g",
      incarnation: "2",
      order: "fifo",
      closed: false,
      plan: { view: own, missing: [], entries: [], start: 1 },
    }, endpointOf(A)),
    7,
  );
  assert.deepEqual(effects.map((e) => e.kind === "deliver" && e.value.kind), ["view"]);
});

Deno.test("Membership removes a restarted member's old incarnation, never its new one", () => {
  const service = twoMembers();
  // a restarts: its new incarnation joins; the change removes incarnation 1 and adds 2.
  assert.deepEqual(kinds(service.handle(join(A, "2"), 100)), [`${endpointOf(B)} g-prepare`]);
  // b is slow to flush: meanwhile incarnation 1 (in view 2) has been silent for too long.
  service.handle(heartbeat(B, "1", 2), 1040);
  assert.deepEqual(kinds(service.tick(1050)), []);
  // View 3 is installed, incarnation 1 is told it is out, and no further change starts: the
  // removal queued for incarnation 1 must not hit incarnation 2.
  assert.deepEqual(kinds(service.handle(flushed(B, "1", 3), 1060)), [
    `${endpointOf(A)} g-install`,
    `${endpointOf(B)} g-install`,
    `${endpointOf(A)} g-end`,
  ]);
  assert.deepEqual(service.view("g")?.incarnations, { [A]: "2", [B]: "1" });
  service.handle(heartbeat(A, "2", 3), 1070);
  service.handle(heartbeat(B, "1", 3), 1070);
  assert.deepEqual(kinds(service.tick(1100)), []);
  assert.deepEqual(service.view("g")?.incarnations, { [A]: "2", [B]: "1" });
});

Deno.test("Membership answers a late copy of a removed incarnation's join with an end", () => {
  const service = twoMembers();
  service.handle(join(A, "2"), 100);
  service.handle(flushed(B, "1", 3), 110);
  assert.deepEqual(service.view("g")?.incarnations, { [A]: "2", [B]: "1" });
  // A copy of incarnation 1's join, delayed in the network, arrives now.
  const late = service.handle(join(A, "1"), 120);
  assert.deepEqual(kinds(late), [`${endpointOf(A)} g-end`]);
  const first = late[0];
  const end = (first.kind === "send" ? first.body : undefined) as Extract<
    GroupWire,
    { kind: "g-end" }
  >;
  assert.equal(end.incarnation, "1");
  assert.deepEqual(kinds(service.tick(130)), []);
  assert.deepEqual(service.view("g")?.incarnations, { [A]: "2", [B]: "1" });
});

Deno.test("Membership handles the joins that waited out its recovery window in arrival order", () => {
  const service = new Membership({ recoverFor: 200 });
  // a joins, crashes and joins again while the service waits: both joins wait.
  assert.deepEqual(service.handle(join(A, "1"), 1), []);
  assert.deepEqual(service.handle(join(A, "2"), 150), []);
  // After the window, b's join comes before any tick: the waiting joins go first.
  service.handle(join(B, "1"), 210);
  for (let t = 220; t < 400; t += 50) {
    for (const effect of service.tick(t)) {
      if (effect.kind !== "send" || effect.body.kind !== "g-prepare") continue;
      const { incarnation, target } = effect.body;
      const member = [A, B].find((m) => endpointOf(m) === effect.to)!;
      service.handle(flushed(member, incarnation, target, effect.body.attempt), t);
    }
  }
  assert.equal(service.view("g")?.incarnations[A], "2");
});

Deno.test("Membership takes a group up again from its members' heartbeats after a restart", () => {
  const service = new Membership({ suspectAfter: 300 });
  // a and b are in view 5; c is still in view 4 (the old service crashed while installing 5).
  service.handle(heartbeat(A, "1", 5), 10);
  service.handle(heartbeat(B, "1", 5), 20);
  service.handle(heartbeat(C, "1", 4), 30);
  assert.equal(service.view("g")?.id, 0);
  const effects = service.tick(310);
  assert.deepEqual(kinds(effects).sort(), [
    `${endpointOf(A)} g-prepare`,
    `${endpointOf(B)} g-prepare`,
    `${endpointOf(C)} g-end`,
  ]);
  service.handle(flushed(A, "1", 6), 320);
  assert.deepEqual(
    kinds(service.handle(flushed(B, "1", 6), 330)),
    [`${endpointOf(A)} g-install`, `${endpointOf(B)} g-install`],
  );
  assert.deepEqual(service.view("g"), {
    group: "g",
    id: 6,
    members: [A, B],
    sequencer: null,
    incarnations: { [A]: "1", [B]: "1" },
    lineage: "1.1",
  });
});

Deno.test("groupRun() keeps the group through a restart of the service: no member excluded", async () => {
  for (const order of ["fifo", "total"]) {
    const run = await groupRun(
      parseGroupArgs([
        "--sim",
        "-q",
        "--order",
        order,
        "--crash",
        "g0.lab@225..260",
        "--crash",
        "m3.lab@212..240",
      ])!,
    );
    assert.deepEqual(run.problems, [], order);
    assert.deepEqual(run.check.excluded, [], order);
    // Five incarnations (p3 restarted), one lineage of views numbered on past the restart.
    assert.equal(run.check.members, 5, order);
    assert.equal(run.check.views, run.check.last, order);
  }
});

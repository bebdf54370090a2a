/**
 * The post office (seed 000, "Persistente: se almacena, en algún lado, el mensaje enviado por el
 * emisor el tiempo que tome entregarlo al receptor"): mail deposited while the recipient is down
 * is delivered after it restarts, even when sender and recipient are never up together and the
 * office itself crashes; a direct send (transient, the default) loses the same message.
 * @module
 */
import { startHost } from "../core/network/host.ts";
import { PostOfficeClient } from "../core/storage/post_office_client.ts";
import { postOffice } from "../core/storage/post_office_process.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { DiskMessageStore } from "../core/storage/message_store.ts";
import { SqliteDisk } from "../core/storage/sqlite_disk.ts";
import { assertEquals, assertRejects, assertThrows, assertTrue } from "./_assert.ts";

const OFFICE = "po@post.lab";

/** The office's mail as it lies on its machine's disk. */
function mailOf(sim: Simulator): DiskMessageStore {
  return new DiskMessageStore(sim.disk("post.lab").open("post-office"));
}

interface Received {
  readonly body: unknown;
  readonly t: number;
}

/**
 * Alice (m1) sends "hello" to bob (m2) at t=0; bob's machine is down from t=1 to t=500 and
 * alice's machine is gone for good at t=100: they are never up at the same time.
 */
async function neverTogether(through: "office" | "direct"): Promise<Received[]> {
  // The disk fault on: a crash would lose what the office did not sync before it answered.
  const sim = new Simulator({ seed: 5, latency: { kind: "constant", ms: 2 }, loseUnsynced: 1 });
  sim.machine("post.lab").spawn("po", postOffice());
  const got: Received[] = [];
  sim.machine("m2.lab").spawn("bob", async (ctx) => {
    if (through === "direct") {
      const env = await ctx.receive({ timeout: 2000 }).catch(() => undefined);
      if (env !== undefined) got.push({ body: env.body, t: ctx.now() });
      return;
    }
    const mail = await new PostOfficeClient(ctx, OFFICE).collect({ timeout: 2000 });
    for (const m of mail) got.push({ body: m.body, t: ctx.now() });
  });
  sim.machine("m1.lab").spawn("alice", async (ctx) => {
    if (through === "direct") await ctx.send("bob@m2.lab", "hello");
    else await new PostOfficeClient(ctx, OFFICE).deposit("bob@m2.lab", "hello");
  });
  sim.crash("m2.lab", { at: 1, restartAt: 500 });
  sim.crash("m1.lab", { at: 100 });
  await sim.run();
  if (through === "office") assertEquals(mailOf(sim).count(), 0, "acknowledged mail leaves");
  return got;
}

Deno.test("postOffice() delivers mail deposited while the recipient's machine was down, after it restarts", async () => {
  const got = await neverTogether("office");
  assertEquals(got.map((r) => r.body), ["hello"]);
  assertTrue(got[0].t >= 500, `delivered at ${got[0].t}, after the restart at 500`);
});

Deno.test("ctx.send() (transient, the default) loses the message when sender and receiver are never up together", async () => {
  assertEquals(await neverTogether("direct"), []);
});

Deno.test("postOffice() keeps mail across a crash of the office's own machine (on its disk)", async () => {
  const sim = new Simulator({ seed: 9, loseUnsynced: 1 });
  sim.machine("post.lab").spawn("po", postOffice());
  const got: unknown[] = [];
  sim.machine("m2.lab").spawn("bob", async (ctx) => {
    for (const mail of await new PostOfficeClient(ctx, OFFICE).collect({ timeout: 3000 })) {
      got.push(mail.body);
    }
  });
  sim.machine("m1.lab").spawn("alice", async (ctx) => {
    const po = new PostOfficeClient(ctx, OFFICE);
    for (const n of [1, 2, 3]) await po.deposit("bob@m2.lab", { kind: "note", n });
  });
  sim.crash("m2.lab", { at: 1, restartAt: 800 });
  sim.crash("post.lab", { at: 200, restartAt: 600 });
  await sim.run();
  assertEquals(got, [{ kind: "note", n: 1 }, { kind: "note", n: 2 }, { kind: "note", n: 3 }]);
  const crashes = sim.trace.events.filter((e) => e.ev === "crash").map((e) => e.at);
  assertEquals(crashes, ["m2.lab", "post.lab"]);
  assertEquals(mailOf(sim).count(), 0);
});

Deno.test("PostOfficeClient.collect() with ack false: mail a recipient took but did not acknowledge before crashing is handed out again", async () => {
  const sim = new Simulator({ seed: 4 });
  sim.machine("post.lab").spawn("po", postOffice());
  const taken: { id: number; incarnation: number }[] = [];
  let incarnations = 0;
  sim.machine("m2.lab").spawn("bob", async (ctx) => {
    const incarnation = ++incarnations;
    const po = new PostOfficeClient(ctx, OFFICE);
    const mail = await po.collect({ ack: false, timeout: 1000 });
    for (const m of mail) taken.push({ id: m.id, incarnation });
    await ctx.sleep(50); // processing; the machine crashes meanwhile the first time
    await po.acknowledge(mail.map((m) => m.id));
  });
  sim.machine("m1.lab").spawn("alice", async (ctx) => {
    await new PostOfficeClient(ctx, OFFICE).deposit("bob@m2.lab", "once at least");
  });
  sim.crash("m2.lab", { at: 30, restartAt: 100 });
  await sim.run();
  assertEquals(taken, [{ id: 1, incarnation: 1 }, { id: 1, incarnation: 2 }]);
  assertEquals(mailOf(sim).count(), 0);
});

Deno.test("PostOfficeClient.collect() is answered as soon as mail arrives, not when its wait runs out", async () => {
  const sim = new Simulator({ seed: 2, latency: { kind: "constant", ms: 1 } });
  sim.machine("post.lab").spawn("po", postOffice());
  const got: Received[] = [];
  let empty: unknown[] | undefined;
  sim.machine("m2.lab").spawn("bob", async (ctx) => {
    const po = new PostOfficeClient(ctx, OFFICE);
    for (const m of await po.collect({ timeout: 10_000 })) got.push({ body: m.body, t: ctx.now() });
    empty = await po.collect({ timeout: 100 });
  });
  sim.machine("m1.lab").spawn("alice", async (ctx) => {
    await ctx.sleep(300);
    await new PostOfficeClient(ctx, OFFICE).deposit("bob@m2.lab", "ping");
  });
  await sim.run();
  assertEquals(got.map((r) => r.body), ["ping"]);
  // Deposited at 300: one hop to the office, one back, and the acknowledgement's round trip.
  assertTrue(got[0].t >= 300 && got[0].t <= 305, `collected at ${got[0].t}, not at 10000`);
  assertEquals(empty, []);
});

Deno.test("PostOfficeClient refuses bad arguments and reports the office's refusals", async () => {
  assertThrows(() => postOffice({ store: 7 as never }), TypeError, "MessageStore");
  assertThrows(() => postOffice({ maxBatch: 0 }), RangeError, "maxBatch 0");
  assertThrows(() => new DiskMessageStore(undefined as never), TypeError, "disk store");
  const sim = new Simulator({ seed: 1 });
  sim.machine("post.lab").spawn("po", postOffice());
  const errors: Error[] = [];
  let refusal: unknown;
  sim.machine("m1.lab").spawn("alice", async (ctx) => {
    const po = new PostOfficeClient(ctx, OFFICE);
    errors.push(await assertRejects(() => po.deposit("no name!", "x"), TypeError, '"no name!"'));
    errors.push(await assertRejects(() => po.collect({ max: 0 }), RangeError, "max 0"));
    refusal = (await ctx.request(OFFICE, { kind: "hello" })).body;
  });
  await sim.run();
  assertEquals(errors.length, 2);
  assertEquals((refusal as { kind: string }).kind, "po-error");
  assertThrows(() => new PostOfficeClient(null as never, "bad name"), TypeError, "bad name");
});

Deno.test("DiskMessageStore keeps mail in a disk file across reopening, per mailbox, with ids never reused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/mail.db`;
    const disk = new SqliteDisk(path);
    const first = new DiskMessageStore(disk.open("post-office"));
    const a = first.put({ from: "x@m1.lab", to: "bob@m2.lab", body: { n: 1 }, at: 1 });
    const b = first.put({ from: "x@m1.lab", to: "eve@m3.lab", body: [2], at: 2 });
    const c = first.put({ from: "y@m1.lab", to: "bob@m2.lab", body: "three", at: 3 });
    assertEquals(first.remove("eve@m3.lab", [a]), 0, "a mailbox cannot remove another's mail");
    assertEquals(first.remove("bob@m2.lab", [c]), 1);
    disk.close();
    using file = new SqliteDisk(path);
    const again = new DiskMessageStore(file.open("post-office"));
    assertEquals(again.peek("bob@m2.lab", 10), [
      { id: a, from: "x@m1.lab", to: "bob@m2.lab", body: { n: 1 }, at: 1 },
    ]);
    assertEquals(again.count("eve@m3.lab"), 1);
    assertEquals(again.count(), 2);
    assertTrue(again.put({ from: "z@m1.lab", to: "bob@m2.lab", body: 4, at: 4 }) > c);
    assertEquals(again.peek("eve@m3.lab", 10)[0].id, b);
    assertThrows(() => new SqliteDisk(""), TypeError, "file path");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("postOffice() on real sockets: mail in a file survives a restart of the office's host", async () => {
  const dir = await Deno.makeTempDir();
  const endpoints = new Map<string, string>();
  const resolve = (machine: string) => endpoints.get(machine);
  const start = async (name: string, disk?: string) => {
    const host = await startHost(name, { resolve, seed: 1, disk });
    endpoints.set(name, host.endpoint);
    return host;
  };
  try {
    const path = `${dir}/post.sqlite`;
    // First office incarnation, its machine's disk in a file: alice deposits, then it goes away.
    let office = await start("post.lab", path);
    office.machine.spawn("po", postOffice());
    const alice = await start("m1.lab");
    const deposited = Promise.withResolvers<number>();
    alice.machine.spawn("alice", async (ctx) => {
      await new PostOfficeClient(ctx, OFFICE).deposit("bob@m2.lab", "over TCP").then(
        deposited.resolve,
        deposited.reject,
      );
    });
    assertEquals(await deposited.promise, 1);
    await alice.close();
    await office.close();
    // Second incarnation on another port, from the same file; bob starts only now.
    office = await start("post.lab", path);
    office.machine.spawn("po", postOffice());
    const bob = await start("m2.lab");
    const collected = Promise.withResolvers<unknown[]>();
    bob.machine.spawn("bob", async (ctx) => {
      await new PostOfficeClient(ctx, OFFICE).collect({ timeout: 2000 }).then(
        (mail) => collected.resolve(mail.map((m) => m.body)),
        collected.reject,
      );
    });
    assertEquals(await collected.promise, ["over TCP"]);
    await bob.close();
    await office.close();
    using disk = new SqliteDisk(path);
    assertEquals(new DiskMessageStore(disk.open("post-office")).count(), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

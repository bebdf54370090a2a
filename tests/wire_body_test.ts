/**
 * Message bodies (issue 8, point 2): a body that cannot cross the wire is refused at the send,
 * for local and remote receivers alike, with a `TypeError` naming the path of the bad value;
 * such a frame never enters the reliable channel; and a receiver cannot tell a local sender
 * from a remote one by mutating bodies (each side holds its own copy). Assertions run after
 * `sim.run()`, on what the processes recorded, with a flag that each process got to its end.
 * @module
 */
import fc from "fast-check";
import { startHost } from "../core/network/host.ts";
import type { Envelope } from "../core/envelope.ts";
import { Simulator, type SimulatorOptions } from "../core/simulator/simulator.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

class Point {
  x = 1;
}

function cyclic(): unknown {
  const node: { name: string; next?: unknown } = { name: "a" };
  node.next = { name: "b", back: [node] };
  return { list: node };
}

/** Bodies JSON would reject or silently change, and what the refusal must say. */
const BAD: readonly (readonly [string, () => unknown, string])[] = [
  ["BigInt", () => ({ n: 1n }), "body.n is a BigInt; send a string or number instead"],
  ["function", () => ({ kind: "job", run: () => 1 }), "body.run is a function"],
  ["symbol", () => ({ tag: Symbol("t") }), "body.tag is a symbol"],
  ["Map", () => ({ index: new Map([["k", 1]]) }), "body.index is a Map"],
  ["Set", () => ({ seen: [new Set([1])] }), "body.seen[0] is a Set"],
  ["Date", () => ({ at: new Date(0) }), "body.at is a Date"],
  ["Uint8Array", () => ({ raw: new Uint8Array(4) }), "body.raw is a Uint8Array"],
  ["class instance", () => ({ p: new Point() }), "body.p is an instance of class Point"],
  ["cycle", cyclic, "body.list.next.back[0] refers back to body.list (a cycle)"],
  ["NaN", () => ({ stats: { mean: NaN } }), "body.stats.mean is NaN"],
  ["Infinity", () => [1, Infinity], "body[1] is Infinity"],
  ["undefined item", () => ({ "a key": [undefined] }), 'body["a key"][0] is undefined'],
  ["top-level BigInt", () => 7n, "body is a BigInt"],
];

Deno.test("send() refuses a body JSON cannot carry, naming its path, for local and remote receivers alike", async () => {
  const sim = new Simulator({ seed: 1 });
  const got: unknown[] = [];
  for (const m of ["m1.lab", "m2.lab"]) {
    sim.machine(m).spawn("b", async (ctx) => {
      // Waits for good: nothing must arrive (the run ends when every process waits).
      for (;;) got.push((await ctx.receive()).body);
    });
  }
  const errors: string[] = [];
  let finished = false;
  sim.machine("m1.lab").spawn("a", async (ctx) => {
    for (const to of ["b@m1.lab", "m2:b"]) {
      for (const [, body] of BAD) {
        await ctx.send(to, body()).then(
          () => errors.push("sent"),
          (error) => errors.push(`${(error as Error).name}: ${(error as Error).message}`),
        );
      }
    }
    finished = true;
  });
  await sim.run();
  assertTrue(finished);
  for (const [i, [what, , says]] of BAD.entries()) {
    for (const [j, to] of ["b@m1.lab", "b@m2.lab"].entries()) {
      const error = errors[j * BAD.length + i];
      assertTrue(
        error.startsWith(`TypeError: Cannot send message to "${to}": `),
        `${what}: ${error}`,
      );
      assertTrue(error.includes(says), `${what} to ${to}: ${error}`);
    }
  }
  assertEquals(
    errors[BAD.length],
    'TypeError: Cannot send message to "b@m2.lab": body.n is a BigInt; send a string or number instead',
  );
  // Nothing was sent, traced as sent, or put on the network.
  assertEquals(got, []);
  assertEquals(sim.trace.events.filter((e) => e.ev === "send").length, 0);
  assertEquals(sim.stats.frames, 0);
});

Deno.test("request(), reply() and a synchronous send() refuse a bad body the same way", async () => {
  const sim = new Simulator({ seed: 1 });
  const errors: string[] = [];
  const record = (error: unknown) => errors.push((error as Error).message);
  let answer: unknown;
  let finished = 0;
  sim.machine("m1.lab").spawn("kv", async (ctx) => {
    const request = await ctx.receive();
    await ctx.reply(request, { kind: "ok", cache: new Map() }).catch(record);
    await ctx.reply(request, { kind: "ok", value: 1 });
    finished++;
  });
  sim.machine("m2.lab").spawn("client", async (ctx) => {
    await ctx.request("kv@m1.lab", { kind: "get", key: 1n }).catch(record);
    await ctx.send("kv@m1.lab", { when: new Date(0) }, { sync: true }).catch(record);
    answer = (await ctx.request("kv@m1.lab", { kind: "get", key: "x" })).body;
    finished++;
  });
  await sim.run();
  assertEquals(finished, 2);
  assertEquals(answer, { kind: "ok", value: 1 });
  assertEquals(errors.toSorted(), [
    'Cannot send message synchronously to "kv@m1.lab": body.when is a Date; ' +
    "send date.toISOString() or date.getTime() instead",
    'Cannot send reply to "client@m2.lab": body.cache is a Map; ' +
    "send a plain object or an array of [key, value] pairs instead",
    'Cannot send request to "kv@m1.lab": body.key is a BigInt; send a string or number instead',
  ]);
});

Deno.test("a refused body never enters the reliable channel: the run ends and later messages flow under loss", async () => {
  const sim = new Simulator({ seed: 3, drop: 0.4 });
  const got: unknown[] = [];
  sim.machine("m2.lab").spawn("b", async (ctx) => {
    got.push((await ctx.receive()).body);
  });
  let refused = "";
  sim.machine("m1.lab").spawn("a", async (ctx) => {
    await ctx.send("b@m2.lab", { n: 10n }).catch((e) => refused = (e as Error).message);
    await ctx.send("b@m2.lab", { n: "10" });
  });
  const result = await sim.run();
  assertTrue(result.quiescent);
  assertTrue(refused.includes("body.n is a BigInt"), refused);
  assertEquals(got, [{ n: "10" }]);
  const sends = sim.trace.events.filter((e) => e.ev === "send" || e.ev === "retransmit");
  assertTrue(sends.every((e) => e.id === "a@m1.lab#1.1"), JSON.stringify(sends));
});

Deno.test("send() on the same machine hands over a copy: neither side sees the other's later changes", async () => {
  const sim = new Simulator({ seed: 1 });
  const m1 = sim.machine("m1.lab");
  const sent = { kind: "put", tags: ["x"], n: 1 };
  let received: { kind: string; tags: string[]; n: number } | undefined;
  m1.spawn("b", async (ctx) => {
    const env = await ctx.receive<{ kind: string; tags: string[]; n: number }>();
    received = structuredClone(env.body);
    env.body.tags.push("changed by b");
  });
  m1.spawn("a", async (ctx) => {
    await ctx.send("b@m1.lab", sent);
    sent.tags.push("changed by a");
    sent.n = 2;
  });
  await sim.run();
  assertEquals(received, { kind: "put", tags: ["x"], n: 1 });
  assertEquals(sent, { kind: "put", tags: ["x", "changed by a"], n: 2 });
});

for (const wire of ["json", "object"] as const) {
  Deno.test(`a retransmission carries the body as it was sent, after the sender changed it (${wire} wire)`, async () => {
    const sim = new Simulator({ seed: 1, wire, latency: { kind: "constant", ms: 2 } });
    sim.partition(["m1.lab"], ["m2.lab"], { until: 50 });
    let received: unknown;
    sim.machine("m2.lab").spawn("b", async (ctx) => {
      received = (await ctx.receive()).body;
    });
    sim.machine("m1.lab").spawn("a", async (ctx) => {
      const body = { items: [1, 2] };
      await ctx.send("b@m2.lab", body);
      body.items.push(3);
    });
    await sim.run();
    assertTrue(sim.trace.count("retransmit") >= 1);
    assertEquals(received, { items: [1, 2] });
  });
}

Deno.test("send() carries exactly what JSON carries, the same to a local and a remote receiver", async () => {
  const options: SimulatorOptions = { seed: 1 };
  const sim = new Simulator(options);
  const got = new Map<string, Envelope<Record<string, unknown>>>();
  for (const m of ["m1.lab", "m2.lab"]) {
    sim.machine(m).spawn("b", async (ctx) => {
      got.set(m, await ctx.receive<Record<string, unknown>>());
    });
  }
  const shared = { v: 1 };
  const body = { a: shared, b: shared, gone: undefined, zero: -0, bare: Object.create(null) };
  sim.machine("m1.lab").spawn("a", async (ctx) => {
    await ctx.send("b@m1.lab", body);
    await ctx.send("b@m2.lab", body);
  });
  await sim.run();
  const local = got.get("m1.lab")!.body, remote = got.get("m2.lab")!.body;
  assertEquals(local, JSON.parse(JSON.stringify(body)));
  assertEquals(local, remote);
  assertTrue(!("gone" in local) && Object.is(local.zero, 0));
  assertTrue(local.a !== local.b && local.a !== shared, "shared objects are copied twice");
});

Deno.test("startHost(): a BigInt body to another OS-level machine is refused at send and the host keeps working", async () => {
  const endpoints = new Map<string, string>();
  const resolve = (m: string) => endpoints.get(m);
  const received = Promise.withResolvers<unknown>();
  const refused = Promise.withResolvers<string>();
  // A process that fails fails the test (instead of leaving it waiting).
  const onProcessError = (address: string, error: unknown) => {
    const failure = new Error(`process ${address} failed`, { cause: error });
    received.reject(failure);
    refused.reject(failure);
  };
  const a = await startHost("a.lab", { resolve, seed: 1, onProcessError });
  const b = await startHost("b.lab", { resolve, seed: 2, onProcessError });
  endpoints.set("a.lab", a.endpoint).set("b.lab", b.endpoint);
  try {
    b.machine.spawn("sink", async (ctx) => received.resolve((await ctx.receive()).body));
    a.machine.spawn("source", async (ctx) => {
      await ctx.send("sink@b.lab", { n: 2n ** 70n }).then(
        () => refused.resolve("sent"),
        (error) => refused.resolve(`${(error as Error).name}: ${(error as Error).message}`),
      );
      await ctx.send("sink@b.lab", { n: String(2n ** 70n) });
    });
    assertEquals(
      await refused.promise,
      'TypeError: Cannot send message to "sink@b.lab": body.n is a BigInt; send a string or number instead',
    );
    assertEquals(await received.promise, { n: "1180591620717411303424" });
  } finally {
    await a.close();
    await b.close();
  }
});

Deno.test("send() copies a deeply nested body and a `__proto__` field as JSON would", async () => {
  const sim = new Simulator({ seed: 1 });
  let deep: unknown = "leaf";
  for (let i = 0; i < 200; i++) deep = { down: [deep] };
  const odd = JSON.parse('{"__proto__": {"admin": true}, "n": 1}');
  const got: unknown[] = [];
  sim.machine("m1.lab").spawn("b", async (ctx) => {
    got.push((await ctx.receive()).body, (await ctx.receive()).body);
  });
  sim.machine("m1.lab").spawn("a", async (ctx) => {
    await ctx.send("b@m1.lab", deep);
    await ctx.send("b@m1.lab", odd);
  });
  await sim.run();
  assertEquals(JSON.stringify(got[0]), JSON.stringify(deep));
  assertTrue(got[0] !== deep);
  const copy = got[1] as Record<string, unknown>;
  assertEquals(Object.getPrototypeOf(copy), Object.prototype);
  assertEquals(Object.keys(copy), ["__proto__", "n"]);
  assertEquals(JSON.stringify(copy), JSON.stringify(odd));
});

Deno.test("copyBody() gives what a JSON round trip gives, or refuses with a TypeError (property)", async () => {
  const { copyBody } = await import("../core/_wire_body.ts");
  fc.assert(
    fc.property(
      fc.anything({
        withBigInt: true,
        withBoxedValues: true,
        withDate: true,
        withMap: true,
        withSet: true,
        withNullPrototype: true,
        withObjectString: true,
        withSparseArray: true,
        withTypedArray: true,
        withUnicodeString: true,
      }),
      (value) => {
        let copy: unknown;
        try {
          copy = copyBody(value, "send message", "b@m1.lab");
        } catch (error) {
          assertTrue(error instanceof TypeError, String(error));
          assertTrue(error.message.startsWith('Cannot send message to "b@m1.lab": body'));
          return;
        }
        if (value === undefined) return assertEquals(copy, undefined);
        assertEquals(copy, JSON.parse(JSON.stringify(value)));
      },
    ),
    { numRuns: 500, seed: 8 },
  );
});

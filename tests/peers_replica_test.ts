/**
 * The peers' CRDT state (seed 004, "modelo peer-to-peer": entities coordinate among themselves):
 * merges commute, associate and are idempotent (fast-check properties over random histories),
 * last writer wins, an add concurrent with a remove survives it, tombstones expire, and a delta
 * carries only what the other side lacks.
 * @module
 */
import fc from "fast-check";
import { type Json, Replica } from "../peers/replica.ts";
import { assertEquals, assertThrows, assertTrue } from "./_assert.ts";

type Op =
  | { op: "put"; at: number; key: string; value: number }
  | { op: "del"; at: number; key: string }
  | { op: "add"; at: number; element: string }
  | { op: "remove"; at: number; element: string }
  | { op: "sync"; at: number; from: number };

const KEYS = ["a", "b", "c"];
const ELEMENTS = ["red", "green", "blue"];

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant("put" as const),
    at: fc.nat(2),
    key: fc.constantFrom(...KEYS),
    value: fc.integer({ min: 0, max: 9 }),
  }),
  fc.record({ op: fc.constant("del" as const), at: fc.nat(2), key: fc.constantFrom(...KEYS) }),
  fc.record({
    op: fc.constant("add" as const),
    at: fc.nat(2),
    element: fc.constantFrom(...ELEMENTS),
  }),
  fc.record({
    op: fc.constant("remove" as const),
    at: fc.nat(2),
    element: fc.constantFrom(...ELEMENTS),
  }),
  fc.record({ op: fc.constant("sync" as const), at: fc.nat(2), from: fc.nat(2) }),
);

/** Three replicas after a random history of local updates and partial synchronisations. */
function play(ops: readonly Op[]): Replica[] {
  const replicas = [new Replica("r0"), new Replica("r1"), new Replica("r2")];
  for (const o of ops) {
    const r = replicas[o.at];
    if (o.op === "put") r.put(o.key, o.value);
    else if (o.op === "del") r.delete(o.key);
    else if (o.op === "add") r.add(o.element);
    else if (o.op === "remove") r.remove(o.element);
    else r.merge(replicas[o.from].delta(r.digest()));
  }
  return replicas;
}

/** A fresh replica holding exactly `parts` merged in that order. */
function join(...parts: Replica[]): Replica {
  const out = new Replica("x");
  for (const p of parts) out.merge(p.snapshot());
  return out;
}

const full = (r: Replica) => r.hash({ tombstones: true });

Deno.test("Replica.merge() is commutative over random histories", () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
      const [a, b] = play(ops);
      assertEquals(full(join(a, b)), full(join(b, a)));
    }),
    { numRuns: 300 },
  );
});

Deno.test("Replica.merge() is associative over random histories", () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
      const [a, b, c] = play(ops);
      assertEquals(full(join(join(a, b), c)), full(join(a, join(b, c))));
    }),
    { numRuns: 300 },
  );
});

Deno.test("Replica.merge() is idempotent: merging a state twice changes nothing", () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
      const [a, b] = play(ops);
      const once = join(a, b);
      const before = full(once);
      assertEquals(once.merge(b.snapshot()), 0);
      assertEquals(once.merge(once.snapshot()), 0);
      assertEquals(full(once), before);
    }),
    { numRuns: 300 },
  );
});

Deno.test("Replica.delta() after digests brings two replicas to the same state", () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
      const [a, b] = play(ops);
      a.merge(b.delta(a.digest()));
      b.merge(a.delta(b.digest()));
      assertEquals(a.hash(), b.hash());
      assertEquals(a.keys(), b.keys());
      assertEquals(a.elements(), b.elements());
      assertTrue(!a.hasNewsFor(b.digest()) && !b.hasNewsFor(a.digest()));
    }),
    { numRuns: 300 },
  );
});

Deno.test("Replica.put() concurrent writes: the higher (counter, origin) wins on every replica", () => {
  const a = new Replica("a"), b = new Replica("b");
  a.put("x", "from a");
  b.put("x", "from b");
  a.merge(b.snapshot());
  b.merge(a.snapshot());
  assertEquals(a.get("x"), "from b");
  assertEquals(b.get("x"), "from b");
  a.put("x", "later");
  b.merge(a.delta(b.digest()));
  assertEquals(b.get("x"), "later");
});

Deno.test("Replica.remove() removes only the adds it observed: a concurrent add survives", () => {
  const a = new Replica("a"), b = new Replica("b");
  a.add("red");
  b.merge(a.snapshot());
  b.remove("red");
  a.add("red"); // concurrent with b's remove
  a.merge(b.snapshot());
  b.merge(a.snapshot());
  assertTrue(a.has("red") && b.has("red"));
  b.remove("red");
  a.merge(b.snapshot());
  assertEquals(a.elements(), []);
});

Deno.test("Replica.delete() leaves a tombstone that expire() drops after the TTL", () => {
  const a = new Replica("a"), b = new Replica("b");
  a.put("k", 1);
  b.merge(a.snapshot());
  assertTrue(a.delete("k", 100));
  assertEquals(a.tombstones, 1);
  b.merge(a.delta(b.digest()), { now: 150 });
  assertEquals(b.get("k"), undefined);
  assertEquals(b.tombstones, 1);
  assertEquals(a.expire(1_099, 1_000), 0);
  assertEquals(a.expire(1_100, 1_000), 1);
  assertEquals(b.expire(1_100, 1_000), 0); // b saw it later
  assertEquals(b.expire(1_150, 1_000), 1);
  assertEquals(a.hash(), b.hash());
  assertEquals(a.snapshot().map, undefined);
});

Deno.test("Replica.delta() ships only the records the other side lacks", () => {
  const a = new Replica("a"), b = new Replica("b");
  for (let i = 0; i < 10; i++) a.put(`k${i}`, i);
  b.merge(a.snapshot());
  a.put("new", true);
  const delta = a.delta(b.digest());
  assertEquals(delta.map?.map((r) => r[0]), ["new"]);
  assertEquals(a.delta(a.digest()).map, undefined);
});

Deno.test("Replica.hash() is deterministic and independent of the order of updates", () => {
  const values: Json[] = [{ b: 1, a: [1, 2] }, "text", null];
  const a = new Replica("a"), b = new Replica("b"), c = new Replica("c");
  values.forEach((v, i) => a.put(`k${i}`, v));
  c.add("x");
  b.merge(c.snapshot());
  b.merge(a.snapshot());
  a.merge(c.snapshot());
  assertEquals(a.hash(), b.hash());
  assertEquals(a.hash().length, 16);
});

Deno.test("Replica() rejects an empty origin and put() a key that is not a string", () => {
  assertThrows(() => new Replica(""), TypeError, "origin");
  assertThrows(
    () => new Replica("a").put(1 as unknown as string, 1),
    TypeError,
    "keys are strings",
  );
});

/**
 * Vector clocks (`core/vector_clock.ts`): tick, merge and compare as pure functions, checked on
 * examples and as properties with fast-check.
 * @module
 */
import fc from "fast-check";
import { VectorClock } from "../core/vector_clock.ts";
import { assertEquals, assertThrows } from "./_assert.ts";

Deno.test("VectorClock.tick() increments one entry and leaves its argument alone", () => {
  const start = Object.freeze({ a: 1 });
  assertEquals(VectorClock.tick(start, "a"), { a: 2 });
  assertEquals(VectorClock.tick(start, "b"), { a: 1, b: 1 });
  assertEquals(start, { a: 1 });
  assertEquals(VectorClock.zero(), {});
  assertThrows(() => VectorClock.tick(start, ""), TypeError, "Cannot tick vector clock");
});

Deno.test("VectorClock.merge() takes the entry-wise maximum", () => {
  const a = Object.freeze({ p: 3, q: 1 });
  const b = Object.freeze({ q: 4, r: 2 });
  assertEquals(VectorClock.merge(a, b), { p: 3, q: 4, r: 2 });
  assertEquals(VectorClock.merge(b, a), { p: 3, q: 4, r: 2 });
  assertEquals(VectorClock.merge(a, {}), a);
});

Deno.test("VectorClock.compare() orders clocks: before, after, equal, concurrent", () => {
  assertEquals(VectorClock.compare({ a: 1 }, { a: 2 }), "before");
  assertEquals(VectorClock.compare({ a: 1, b: 3 }, { a: 1, b: 2 }), "after");
  assertEquals(VectorClock.compare({ a: 1, b: 0 }, { a: 1 }), "equal");
  assertEquals(VectorClock.compare({}, {}), "equal");
  assertEquals(VectorClock.compare({ a: 2 }, { b: 1 }), "concurrent");
  assertEquals(VectorClock.compare({ a: 2, b: 1 }, { a: 1, b: 2 }), "concurrent");
  assertEquals(VectorClock.compare({}, { z: 1 }), "before");
});

Deno.test("VectorClock.compare() follows a message exchange: send happens before its receipt", () => {
  // a sends m1 to b; b sends m2 to c; meanwhile c did a local event.
  let a = VectorClock.zero(), b = VectorClock.zero(), c = VectorClock.zero();
  a = VectorClock.tick(a, "a");
  const m1 = a;
  c = VectorClock.tick(c, "c");
  const local = c;
  b = VectorClock.tick(VectorClock.merge(b, m1), "b");
  b = VectorClock.tick(b, "b");
  const m2 = b;
  c = VectorClock.tick(VectorClock.merge(c, m2), "c");
  assertEquals(VectorClock.compare(m1, c), "before");
  assertEquals(VectorClock.compare(local, m1), "concurrent");
  assertEquals(VectorClock.compare(local, c), "before");
  assertEquals(c, { a: 1, b: 2, c: 2 });
});

const clock = fc.dictionary(fc.constantFrom("a", "b", "c", "d"), fc.nat({ max: 5 }));

Deno.test("VectorClock.merge() is commutative, associative and idempotent; compare() is antisymmetric", () => {
  const flip = { before: "after", after: "before", equal: "equal", concurrent: "concurrent" };
  fc.assert(
    fc.property(clock, clock, clock, (x, y, z) => {
      const m = VectorClock.merge;
      assertEquals(VectorClock.compare(m(x, y), m(y, x)), "equal");
      assertEquals(VectorClock.compare(m(m(x, y), z), m(x, m(y, z))), "equal");
      assertEquals(VectorClock.compare(m(x, x), x), "equal");
      assertEquals(VectorClock.compare(y, x), flip[VectorClock.compare(x, y)]);
      // The merge is an upper bound of both, and a tick moves strictly after.
      const order = VectorClock.compare(x, m(x, y));
      assertEquals(order === "before" || order === "equal", true);
      assertEquals(VectorClock.compare(x, VectorClock.tick(x, "a")), "before");
    }),
    { numRuns: 300, seed: 42 },
  );
});

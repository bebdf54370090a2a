/**
 * The linearizability checker on hand-made histories (known linearizable and known not), and
 * property tests with fast-check: on random small histories it agrees with a brute-force
 * enumeration, and histories produced by a real sequential execution always pass.
 * @module
 */
import fc from "fast-check";
import { assertEquals } from "./_assert.ts";
import { bruteForceLinearizable } from "./_lin_brute_force.ts";
import { checkLinearizability } from "../lab/check/check_linearizable.ts";
import { counterModel } from "../lab/check/counter_model.ts";
import { searchLinearization } from "../lab/check/linearizability.ts";
import type { Operation } from "../lab/check/model.ts";
import {
  type RegisterInput,
  registerModel,
  type RegisterOutput,
} from "../lab/check/register_model.ts";
import { setModel } from "../lab/check/set_model.ts";
import { smallestWindow } from "../lab/check/window.ts";

type RegOp = Operation<RegisterInput, RegisterOutput>;

/** A write; one that never returned (`ret: Infinity`) has an unknown outcome. */
const w = (value: number, call: number, ret: number): RegOp => ({
  input: { f: "write", value },
  output: ret === Infinity ? undefined : {},
  call,
  ret,
});
const r = (value: number | null, call: number, ret: number): RegOp => ({
  input: { f: "read" },
  output: { value },
  call,
  ret,
});
const cas = (from: number, to: number, call: number, ret: number, error?: number): RegOp => ({
  input: { f: "cas", from, to },
  output: error === undefined ? {} : { error },
  call,
  ret,
});
const verdict = (ops: RegOp[]) => searchLinearization(registerModel, ops).verdict;

Deno.test("searchLinearization() accepts the empty history and a sequential one", () => {
  assertEquals(verdict([]), "ok");
  assertEquals(verdict([w(1, 0, 1), r(1, 2, 3), w(2, 4, 5), r(2, 6, 7)]), "ok");
});

Deno.test("searchLinearization() rejects a stale read after a completed write", () => {
  assertEquals(verdict([w(1, 0, 1), r(null, 2, 3)]), "illegal");
  assertEquals(verdict([w(1, 0, 1), w(2, 2, 3), r(1, 4, 5)]), "illegal");
});

Deno.test("searchLinearization() lets a read concurrent with a write see either value", () => {
  assertEquals(verdict([w(1, 0, 10), r(null, 1, 2), r(1, 3, 4)]), "ok");
  assertEquals(verdict([w(1, 0, 10), r(1, 1, 2)]), "ok");
});

Deno.test("searchLinearization() rejects going back to the old value once the new one was read", () => {
  assertEquals(verdict([w(1, 0, 10), r(1, 1, 2), r(null, 3, 4)]), "illegal");
});

Deno.test("searchLinearization() rejects two successful compare-and-sets from the same value", () => {
  assertEquals(verdict([w(0, 0, 1), cas(0, 1, 2, 6), cas(0, 2, 3, 7)]), "illegal");
  assertEquals(verdict([w(0, 0, 1), cas(0, 1, 2, 6), cas(0, 2, 3, 7, 22)]), "ok");
});

Deno.test("searchLinearization() checks error 20 against a missing key and 22 against the value", () => {
  assertEquals(verdict([r(null, 0, 1)]), "ok");
  assertEquals(verdict([{ input: { f: "read" }, output: { error: 20 }, call: 0, ret: 1 }]), "ok");
  assertEquals(
    verdict([w(1, 0, 1), { input: { f: "read" }, output: { error: 20 }, call: 2, ret: 3 }]),
    "illegal",
  );
  assertEquals(verdict([cas(1, 2, 0, 1, 20)]), "ok");
  assertEquals(verdict([w(1, 0, 1), cas(1, 2, 2, 3, 22)]), "illegal");
});

Deno.test("searchLinearization() lets an indeterminate write take effect late or never", () => {
  const lost = w(1, 0, Infinity);
  assertEquals(verdict([lost, r(null, 1, 2), r(1, 5, 6)]), "ok");
  assertEquals(verdict([lost, r(null, 1, 2), r(null, 5, 6)]), "ok");
  assertEquals(verdict([lost, r(1, 1, 2), r(null, 5, 6)]), "illegal");
  const cas0 = { ...cas(0, 1, 2, Infinity), output: undefined };
  assertEquals(verdict([w(0, 0, 1), cas0, r(1, 3, 4), r(1, 5, 6)]), "ok");
});

Deno.test("searchLinearization() gives up with unknown past its step budget", () => {
  const ops = Array.from({ length: 12 }, (_, i) => w(i, 0, 100));
  ops.push(r(99, 101, 102));
  assertEquals(searchLinearization(registerModel, ops, { maxSteps: 50 }).verdict, "unknown");
  assertEquals(searchLinearization(registerModel, ops).verdict, "illegal");
});

Deno.test("searchLinearization() takes identical timed-out writes in call order, so many stay cheap", () => {
  // 40 writes of 1 that timed out, then a read of a value nobody wrote: without the ordering the
  // search would try every subset of the 40 writes before giving up.
  const ops = Array.from({ length: 40 }, (_, i) => w(1, i, Infinity));
  ops.push(w(2, 100, 101), r(3, 102, 103));
  const result = searchLinearization(registerModel, ops, { maxSteps: 100_000 });
  assertEquals(result.verdict, "illegal");
});

Deno.test("checkLinearizability() decides each key on its own and names the failing one", () => {
  const keyed = (key: string, op: RegOp): RegOp => ({ ...op, client: key });
  const result = checkLinearizability(registerModel, [
    keyed("a", w(1, 0, 1)),
    keyed("b", w(1, 0, 1)),
    keyed("a", r(1, 2, 3)),
    keyed("b", r(null, 2, 3)),
  ], { partition: (op) => String(op.client) });
  assertEquals(result.verdict, "illegal");
  assertEquals(result.partitions.map((p) => [p.key, p.verdict]), [["a", "ok"], ["b", "illegal"]]);
});

Deno.test("searchLinearization() with the set and counter models", () => {
  const add = (value: number, call: number, ret: number) => ({
    input: { f: "add" as const, value },
    output: {},
    call,
    ret,
  });
  const read = (values: number[], call: number, ret: number) => ({
    input: { f: "read" as const },
    output: { values },
    call,
    ret,
  });
  assertEquals(
    searchLinearization(setModel, [add(1, 0, 5), add(2, 0, 5), read([2], 1, 2)]).verdict,
    "ok",
  );
  assertEquals(searchLinearization(setModel, [add(1, 0, 1), read([], 2, 3)]).verdict, "illegal");
  const inc = (delta: number, call: number, ret: number) => ({
    input: { f: "add" as const, delta },
    output: {},
    call,
    ret,
  });
  const get = (value: number, call: number, ret: number) => ({
    input: { f: "read" as const },
    output: { value },
    call,
    ret,
  });
  assertEquals(
    searchLinearization(counterModel, [inc(1, 0, 4), inc(2, 0, 4), get(2, 1, 2)]).verdict,
    "ok",
  );
  assertEquals(
    searchLinearization(counterModel, [inc(1, 0, 1), inc(2, 0, 1), get(2, 2, 3)]).verdict,
    "illegal",
  );
});

/** A random small register history: random intervals, inputs and outputs (mostly not linearizable). */
const randomHistory = fc.array(
  fc.record({
    call: fc.integer({ min: 0, max: 12 }),
    length: fc.integer({ min: 0, max: 6 }),
    lost: fc.integer({ min: 0, max: 9 }),
    f: fc.constantFrom("read", "write", "cas"),
    a: fc.constantFrom(null, 0, 1, 2),
    b: fc.constantFrom(0, 1, 2),
    outcome: fc.constantFrom("ok", "ok", "20", "22"),
  }),
  { minLength: 0, maxLength: 7 },
).map((rows) =>
  rows.map((row): RegOp => {
    const ret = row.lost === 0 ? Infinity : row.call + row.length;
    const error = row.outcome === "ok" ? undefined : Number(row.outcome);
    const output = (o: RegisterOutput) => ret === Infinity ? undefined : o;
    if (row.f === "read") {
      return {
        input: { f: "read" },
        output: output(error ? { error } : { value: row.a }),
        call: row.call,
        ret,
      };
    }
    if (row.f === "write") {
      return { input: { f: "write", value: row.b }, output: output({}), call: row.call, ret };
    }
    return {
      input: { f: "cas", from: row.a ?? 0, to: row.b },
      output: output(error ? { error } : {}),
      call: row.call,
      ret,
    };
  })
);

Deno.test("searchLinearization() agrees with brute force on random small histories", () => {
  let legal = 0;
  fc.assert(
    fc.property(randomHistory, (ops) => {
      const expected = bruteForceLinearizable(registerModel, ops);
      if (expected) legal++;
      return (searchLinearization(registerModel, ops).verdict === "ok") === expected;
    }),
    { numRuns: 2000, seed: 10 },
  );
  // Both kinds of history were generated, so the agreement means something.
  assertEquals(legal > 100 && legal < 1900, true, `legal histories: ${legal}`);
});

/** A history from a real sequential execution: each operation takes effect inside its interval. */
const executedHistory = fc.array(
  fc.record({
    call: fc.integer({ min: 0, max: 40 }),
    effect: fc.integer({ min: 0, max: 5 }),
    tail: fc.integer({ min: 0, max: 5 }),
    lost: fc.integer({ min: 0, max: 9 }),
    f: fc.constantFrom("read", "write", "cas"),
    a: fc.constantFrom(0, 1, 2),
    b: fc.constantFrom(0, 1, 2),
  }),
  { minLength: 0, maxLength: 40 },
).map((rows) => {
  const timed = rows.map((row, i) => ({ row, at: row.call + row.effect + i / 100 }));
  timed.sort((x, y) => x.at - y.at);
  let state: unknown = null;
  return timed.map(({ row, at }): RegOp => {
    const input: RegisterInput = row.f === "read"
      ? { f: "read" }
      : row.f === "write"
      ? { f: "write", value: row.b }
      : { f: "cas", from: row.a, to: row.b };
    let output: RegisterOutput;
    if (input.f === "read") output = { value: state };
    else if (input.f === "write") (state = input.value, output = {});
    else if (state === null) output = { error: 20 };
    else if (state !== input.from) output = { error: 22 };
    else (state = input.to, output = {});
    const lost = row.lost === 0;
    return {
      input,
      output: lost ? undefined : output,
      call: row.call,
      ret: lost ? Infinity : at + row.tail + 0.001,
    };
  });
});

Deno.test("checkLinearizability() accepts every history a sequential execution produces", () => {
  fc.assert(
    fc.property(executedHistory, (ops) => searchLinearization(registerModel, ops).verdict === "ok"),
    { numRuns: 1000, seed: 11 },
  );
});

Deno.test("smallestWindow() shows the write and the stale read, not the history before them", () => {
  const ops = [w(5, 0, 1), r(5, 2, 3), w(1, 4, 5), w(2, 6, 7), r(1, 8, 9), r(2, 10, 11)];
  const window = smallestWindow(registerModel, ops)!;
  assertEquals(window.failing, 4);
  assertEquals(window.ops, [3, 4]);
  assertEquals(window.fromStart, false);
  assertEquals(smallestWindow(registerModel, [w(1, 0, 1), r(1, 2, 3)]), undefined);
});

Deno.test("smallestWindow() starts at the beginning when the initial state matters", () => {
  // Reading 1 before anyone wrote it: only the initial state shows it is wrong.
  const window = smallestWindow(registerModel, [r(null, 0, 1), r(1, 2, 3), w(1, 4, 5)])!;
  assertEquals(window.failing, 1);
  assertEquals(window.fromStart, true);
  assertEquals(window.ops, [0, 1]);
  // A value nobody ever wrote fails from any state: the read alone is the window.
  const alone = smallestWindow(registerModel, [w(1, 0, 1), r(1, 2, 3), r(3, 4, 5)])!;
  assertEquals([alone.ops, alone.fromStart], [[2], false]);
});

Deno.test("smallestWindow() marks the operations still running when the failing one returned", () => {
  // The write of 2 is still running when the read of 1 returns after the read of 2.
  const ops = [w(1, 0, 1), w(2, 2, 20), r(2, 3, 4), r(1, 5, 6)];
  const window = smallestWindow(registerModel, ops)!;
  assertEquals(window.failing, 3);
  assertEquals(window.pending, [1]);
});

Deno.test("smallestWindow() gives a window that fails by brute force from every possible state", () => {
  let windows = 0;
  fc.assert(
    fc.property(randomHistory, (ops) => {
      if (searchLinearization(registerModel, ops).verdict !== "illegal") return true;
      const window = smallestWindow(registerModel, ops)!;
      windows++;
      const cut = ops[window.failing].ret;
      const inside = window.ops.map((i): RegOp => ({
        ...ops[i],
        output: ops[i].ret > cut ? undefined : ops[i].output,
        ret: ops[i].ret > cut ? Infinity : ops[i].ret,
        optional: ops[i].call < window.start,
      }));
      const states: unknown[] = window.fromStart ? [null] : registerModel.states!(ops)!;
      return window.ops.includes(window.failing) &&
        states.every((s) => !bruteForceLinearizable(registerModel, inside, s));
    }),
    { numRuns: 1500, seed: 12 },
  );
  assertEquals(windows > 100, true, `failing histories: ${windows}`);
});

/**
 * The directory (`core/directory.ts`): machine names to endpoints with a TTL cache like DNS,
 * static entries, invalidation and unknown machines, on a fake clock.
 * @module
 */
import { Directory, UnknownMachineError } from "../core/directory.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { assertEquals, assertRejects, assertThrows } from "./_assert.ts";

/** A directory over a table, counting resolver calls, on a clock the test moves. */
function fixture(ttl?: number) {
  const table = new Map([["m1.lab", "127.0.0.1:4001"], ["m1.edu", "127.0.0.1:5001"]]);
  const clock = { now: 0 };
  const calls: string[] = [];
  const directory = new Directory((machine) => {
    calls.push(machine);
    return table.get(machine);
  }, { ttl, now: () => clock.now });
  return { directory, table, clock, calls };
}

Deno.test("Directory.resolve() answers from the cache within the TTL and asks again after it", async () => {
  const { directory, table, clock, calls } = fixture(1000);
  assertEquals(await directory.resolve("m1.lab"), "127.0.0.1:4001");
  table.set("m1.lab", "127.0.0.1:4999"); // the machine moved; the cache does not know yet
  clock.now = 999;
  assertEquals(await directory.resolve("m1.lab"), "127.0.0.1:4001");
  assertEquals(calls, ["m1.lab"]);
  clock.now = 1000;
  assertEquals(await directory.resolve("m1.lab"), "127.0.0.1:4999");
  assertEquals(calls, ["m1.lab", "m1.lab"]);
  assertEquals(directory.stats, { hits: 1, misses: 2 });
});

Deno.test("Directory uses a 30 s TTL by default", async () => {
  const { directory, clock, calls } = fixture();
  await directory.resolve("m1.lab");
  clock.now = 29_999;
  await directory.resolve("m1.lab");
  assertEquals(calls.length, 1);
  clock.now = 30_000;
  await directory.resolve("m1.lab");
  assertEquals(calls.length, 2);
});

Deno.test("Directory.resolve() accepts any machine form and keeps domains apart", async () => {
  const { directory, calls } = fixture();
  assertEquals(await directory.resolve("m1"), "127.0.0.1:4001");
  assertEquals(await directory.resolve("m1.lab"), "127.0.0.1:4001");
  assertEquals(await directory.resolve("m1.edu"), "127.0.0.1:5001");
  assertEquals(calls, ["m1.lab", "m1.edu"]);
  await assertRejects(() => directory.resolve("m 1"), TypeError, '"m 1"');
});

Deno.test("Directory.resolve() rejects an unknown machine with UnknownMachineError", async () => {
  const { directory, calls } = fixture();
  const error = await assertRejects(
    () => directory.resolve("m9"),
    UnknownMachineError,
    'Cannot resolve machine "m9.lab": ',
  ) as UnknownMachineError;
  assertEquals(error.machine, "m9.lab");
  // Failures are not cached: the machine may appear later.
  await assertRejects(() => directory.resolve("m9.lab"), UnknownMachineError);
  assertEquals(calls, ["m9.lab", "m9.lab"]);
});

Deno.test("Directory.register() adds static entries that never expire and skip the resolver", async () => {
  const { directory, clock, calls } = fixture(100);
  directory.register("m2", "sim:m2.lab");
  directory.register("m1.lab", "127.0.0.1:7000");
  clock.now = 1e9;
  assertEquals(await directory.resolve("m2.lab"), "sim:m2.lab");
  assertEquals(await directory.resolve("m1"), "127.0.0.1:7000");
  assertEquals(calls, []);
  assertEquals(directory.stats, { hits: 2, misses: 0 });
  assertThrows(() => directory.register("m3", ""), TypeError, "Cannot register machine");
});

Deno.test("Directory.invalidate() forgets a cached or static entry so the next resolve asks", async () => {
  const { directory, calls } = fixture();
  await directory.resolve("m1.lab");
  directory.invalidate("m1");
  await directory.resolve("m1.lab");
  assertEquals(calls.length, 2);
  directory.register("m1.lab", "127.0.0.1:7000");
  directory.invalidate("m1.lab");
  assertEquals(await directory.resolve("m1.lab"), "127.0.0.1:4001");
  assertEquals(calls.length, 3);
});

Deno.test("Directory.resolve() shares one resolver call among concurrent lookups", async () => {
  let calls = 0;
  const gate = Promise.withResolvers<void>();
  const directory = new Directory(async (machine) => {
    calls++;
    await gate.promise;
    return `sim:${machine}`;
  }, { now: () => 0 });
  const lookups = [directory.resolve("m1"), directory.resolve("m1.lab"), directory.resolve("m1")];
  gate.resolve();
  assertEquals(await Promise.all(lookups), ["sim:m1.lab", "sim:m1.lab", "sim:m1.lab"]);
  assertEquals(calls, 1);
  assertEquals(directory.stats, { hits: 0, misses: 3 });
  assertEquals(await directory.resolve("m1"), "sim:m1.lab");
  assertEquals(calls, 1);
});

Deno.test("Directory with ttl 0 never caches; a negative ttl is a RangeError", async () => {
  const { directory, calls } = fixture(0);
  await directory.resolve("m1.lab");
  await directory.resolve("m1.lab");
  assertEquals(calls.length, 2);
  assertThrows(() => new Directory(() => undefined, { ttl: -1, now: () => 0 }), RangeError, "-1");
});

Deno.test("Simulator.directory resolves every simulated machine to its in-memory endpoint", async () => {
  const sim = new Simulator({ seed: 1 });
  sim.machine("m1");
  assertEquals(await sim.directory.resolve("m1.lab"), "sim:m1.lab");
  await assertRejects(() => sim.directory.resolve("m9.lab"), UnknownMachineError, '"m9.lab"');
});

/**
 * Parameters by value and by copy/restore (seed 004 §2.3): a by-value argument is a copy even on
 * the same machine; a copy/restore argument is copied to the server and its final state is
 * written back over the caller's object when the reply arrives, which differs from a reference
 * when two arguments alias the same object.
 * @module
 */
import assert from "node:assert/strict";
import type { ProcessContext } from "../core/process.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { createStub, RemoteError, serveRpc, type StubOptions } from "../rpc/mod.ts";

interface Counter {
  n: number;
}

interface Lists {
  append(list: number[], value: number): number[];
  keep(list: number[]): number;
  twice(a: Counter, b: Counter): void;
  slowBump(c: Counter): void;
  bumpThenFail(c: Counter): void;
}

/** The procedures, written as local code that works on what it is given. */
function procedures(kept: number[][]) {
  return {
    append(list: number[], value: number): number[] {
      list.push(value);
      return list;
    },
    keep(list: number[]): number {
      kept.push(list);
      return list.length;
    },
    twice(a: Counter, b: Counter): void {
      a.n += 1;
      b.n += 10;
    },
    slowBump(c: Counter): void {
      c.n += 1;
    },
    bumpThenFail(c: Counter): void {
      c.n += 100;
      throw new Error("failed after the change");
    },
  };
}

/** Runs `body` on c1.lab against the procedures served on `server` (same or other machine). */
async function call(
  server: "c1.lab" | "s1.lab",
  options: StubOptions<Lists>,
  body: (lists: ReturnType<typeof createStub<Lists>>, ctx: ProcessContext) => Promise<void>,
): Promise<number[][]> {
  const kept: number[][] = [];
  const sim = new Simulator({ seed: 5 });
  sim.machine(server).spawn(
    "lists",
    serveRpc<Lists>((scope) => ({
      ...procedures(kept),
      async slowBump(c) {
        c.n += 1;
        await scope.work(10);
      },
    }), { step: 2 }),
  );
  let failure: unknown;
  sim.machine("c1.lab").spawn(
    "client",
    (ctx) =>
      body(createStub<Lists>(ctx, `lists@${server}`, options), ctx).catch((e) => failure = e),
  );
  await sim.run();
  if (failure !== undefined) throw failure;
  return kept;
}

for (const server of ["c1.lab", "s1.lab"] as const) {
  const where = server === "c1.lab" ? "on the same machine" : "across machines";
  Deno.test(`createStub() passes arguments and results by value ${where}`, async () => {
    const mine = [1, 2];
    let returned: number[] = [];
    const kept = await call(server, {}, async (lists) => {
      returned = await lists.append(mine, 3);
      assert.equal(await lists.keep(mine), 2);
    });
    assert.deepEqual(mine, [1, 2], "the server's push changed only its copy");
    assert.deepEqual(returned, [1, 2, 3]);
    returned.push(99);
    kept[0].push(42);
    assert.deepEqual(mine, [1, 2], "neither the result nor the server's copy alias the caller's");
  });

  Deno.test(`createStub() copies a copy/restore argument back after the reply ${where}`, async () => {
    const mine = [1, 2];
    await call(server, { inout: { append: [0] } }, async (lists) => {
      const returned = await lists.append(mine, 3);
      assert.deepEqual(returned, [1, 2, 3]);
      assert.notEqual(returned, mine);
    });
    assert.deepEqual(mine, [1, 2, 3]);
  });
}

Deno.test("createStub() restores a copy/restore argument only when the reply arrives", async () => {
  const mine: Counter = { n: 0 };
  const seen: number[] = [];
  await call("s1.lab", { inout: { slowBump: [0] } }, async (lists, ctx) => {
    ctx.spawn("watcher", async (w) => {
      await w.sleep(10); // the server has changed its copy by now, and is still working
      seen.push(mine.n);
    });
    await lists.slowBump(mine);
    seen.push(mine.n);
  });
  assert.deepEqual(seen, [0, 1]);
});

Deno.test("createStub() with two copy/restore arguments aliasing one object differs from references", async () => {
  // Local call: both parameters are references to the same object.
  const local: Counter = { n: 0 };
  procedures([]).twice(local, local);
  assert.equal(local.n, 11);
  // Remote call by copy/restore: each parameter is its own copy; restoring them in order
  // writes b's final state last, so a's increment is lost.
  const aliased: Counter = { n: 0 };
  const apart = { a: { n: 0 }, b: { n: 0 } };
  await call("s1.lab", { inout: { twice: [0, 1] } }, async (lists) => {
    await lists.twice(aliased, aliased);
    await lists.twice(apart.a, apart.b);
  });
  assert.equal(aliased.n, 10);
  assert.deepEqual(apart, { a: { n: 1 }, b: { n: 10 } }, "without aliasing it matches references");
});

Deno.test("createStub() leaves a copy/restore argument untouched when the call fails", async () => {
  const mine: Counter = { n: 1 };
  await call("s1.lab", { inout: { bumpThenFail: [0] } }, async (lists) => {
    await assert.rejects(lists.bumpThenFail(mine), RemoteError);
  });
  assert.deepEqual(mine, { n: 1 });
});

Deno.test("createStub() refuses a copy/restore argument that is not an object", async () => {
  await call("s1.lab", { inout: { keep: [0] } }, async (lists) => {
    await assert.rejects(
      lists.keep(5 as unknown as number[]),
      /argument 0 \(5\) is passed by copy\/restore but is not an object or array/,
    );
  });
});

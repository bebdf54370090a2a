/**
 * Errors in process code are never swallowed (issue 8, point 1): whatever escapes a simulated
 * process fails `Simulator.run()` with a `ProcessFailedError` that names the process, the virtual
 * time, the seed and how to replay it, with what was thrown as its `cause`; a process stopped by
 * its machine's crash has not failed.
 * @module
 */
import assert from "node:assert/strict";
import { ProcessFailedError, ProcessStoppedError } from "../core/errors.ts";
import type { ProcessContext, ProcessFn } from "../core/process.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { assertEquals, assertRejects, assertTrue } from "./_assert.ts";

/** Runs `sim` and returns the failure it must reject with. */
async function failureOf(sim: Simulator): Promise<ProcessFailedError> {
  return await assertRejects(() => sim.run(), ProcessFailedError) as ProcessFailedError;
}

interface FailureCase {
  readonly what: string;
  readonly fn: ProcessFn;
  readonly address?: string;
  readonly time: number;
  /** What the message says was thrown. */
  readonly thrown: string;
  readonly cause: (cause: unknown) => boolean;
}

let stash: ProcessContext | undefined;

const FAILURES: readonly FailureCase[] = [
  {
    what: "a synchronous throw",
    fn: () => {
      throw new Error("boom");
    },
    time: 0,
    thrown: "Error: boom",
    cause: (c) => c instanceof Error && c.message === "boom",
  },
  {
    what: "a rejection after a sleep",
    fn: async (ctx) => {
      await ctx.sleep(12.5);
      throw new RangeError("late");
    },
    time: 12.5,
    thrown: "RangeError: late",
    cause: (c) => c instanceof RangeError,
  },
  {
    what: "a failing assertion",
    fn: async (ctx) => {
      await ctx.sleep(3);
      assert.equal(1 + 1, 3);
    },
    time: 3,
    thrown: "AssertionError: Expected values to be strictly equal:",
    cause: (c) => c instanceof assert.AssertionError,
  },
  {
    what: "a thrown string",
    fn: () => Promise.reject("text"),
    time: 0,
    thrown: '"text"',
    cause: (c) => c === "text",
  },
  {
    what: "a rejection with undefined",
    fn: () => Promise.reject(undefined),
    time: 0,
    thrown: "undefined",
    cause: (c) => c === undefined,
  },
  {
    what: "a child spawned by a process",
    fn: (ctx) => {
      ctx.spawn("child", async (child) => {
        await child.sleep(7);
        throw new TypeError("child broke");
      });
    },
    address: "child@m1.lab",
    time: 7,
    thrown: "TypeError: child broke",
    cause: (c) => c instanceof TypeError,
  },
  {
    // Only its own machine's crash stops a process; a stopped context used by a live one is a bug.
    what: "a ProcessStoppedError from another process's context",
    fn: async (ctx) => {
      ctx.spawn("short", (short) => {
        stash = short;
      });
      await ctx.sleep(1);
      await stash!.send("x@m1.lab", "from beyond");
    },
    time: 1,
    thrown: 'ProcessStoppedError: Cannot continue: process "short@m1.lab" was stopped',
    cause: (c) => c instanceof ProcessStoppedError,
  },
];

for (const c of FAILURES) {
  Deno.test(`Simulator.run() rejects with ProcessFailedError for ${c.what}`, async () => {
    const sim = new Simulator({ seed: 7 });
    sim.machine("m1.lab").spawn("bad", c.fn);
    const failure = await failureOf(sim);
    const address = c.address ?? "bad@m1.lab";
    assertEquals(
      [failure.address, failure.time, failure.seed, failure.replay],
      [address, c.time, 7, "new Simulator({ seed: 7 })"],
    );
    assertTrue(c.cause(failure.cause), `cause: ${String(failure.cause)}`);
    assertTrue(
      failure.message.startsWith(
        `Cannot run process "${address}": it failed at ${
          c.time.toFixed(3)
        } ms of virtual time under seed 7 with ${c.thrown}`,
      ),
      failure.message,
    );
    assertTrue(failure.message.endsWith("; replay with new Simulator({ seed: 7 })"));
    assertEquals(sim.now, c.time);
  });
}

interface StopCase {
  readonly what: string;
  readonly setup: (sim: Simulator) => void;
}

const STOPS: readonly StopCase[] = [
  {
    what: "killed by a crash while it waits",
    setup: (sim) => {
      sim.machine("m1.lab").spawn("sleeper", (ctx) => ctx.sleep(100));
      sim.crash("m1.lab", { at: 50 });
    },
  },
  {
    what: "killed by a crash while it runs (its next call throws ProcessStoppedError)",
    setup: (sim) => {
      const m1 = sim.machine("m1.lab");
      m1.spawn("suicidal", async (ctx) => {
        await ctx.sleep(5);
        m1.crash();
        await ctx.send("suicidal@m1.lab", "never sent");
      });
    },
  },
  {
    what: "dead and throwing something else on its way out",
    setup: (sim) => {
      const m1 = sim.machine("m1.lab");
      m1.spawn("grumpy", async (ctx) => {
        await ctx.sleep(5);
        m1.shutdown();
        try {
          await ctx.sleep(1);
        } catch {
          throw new Error("whatever a dead process throws is not heard");
        }
      });
    },
  },
  {
    what: "ended normally",
    setup: (sim) => void sim.machine("m1.lab").spawn("fine", (ctx) => ctx.sleep(1)),
  },
];

for (const c of STOPS) {
  Deno.test(`Simulator.run() does not fail for a process ${c.what}`, async () => {
    const sim = new Simulator({ seed: 1 });
    c.setup(sim);
    const result = await sim.run();
    assertTrue(result.quiescent);
    assertEquals(sim.failure, undefined);
  });
}

Deno.test("Simulator.run() stops at the failure: no later event runs", async () => {
  const sim = new Simulator({ seed: 1 });
  let woke = false;
  sim.machine("m1.lab").spawn("bad", async (ctx) => {
    await ctx.sleep(10);
    throw new Error("boom");
  });
  sim.machine("m2.lab").spawn("sleeper", async (ctx) => {
    await ctx.sleep(11);
    woke = true;
  });
  const failure = await failureOf(sim);
  assertEquals([failure.time, sim.now, woke], [10, 10, false]);
});

Deno.test("Simulator.run() rejects with the first failure; later ones are in its others", async () => {
  const sim = new Simulator({ seed: 1 });
  const m1 = sim.machine("m1.lab");
  for (const name of ["a", "b", "c"]) {
    m1.spawn(name, async (ctx) => {
      await ctx.receive();
      throw new Error(`${name} broke`);
    });
  }
  // One process wakes all three at the same instant: they fail in the same turn of the run.
  m1.spawn("trigger", async (ctx) => {
    await ctx.sleep(4);
    for (const name of ["a", "b", "c"]) await ctx.send(`${name}@m1.lab`, "go");
  });
  const failure = await failureOf(sim);
  assertEquals(failure.address, "a@m1.lab");
  assertEquals(failure.others.map((f) => [f.address, f.time]), [["b@m1.lab", 4], ["c@m1.lab", 4]]);
  assertEquals(sim.failure, failure);
});

Deno.test("Simulator.run() keeps failing with the same error once a process failed", async () => {
  const sim = new Simulator({ seed: 1 });
  sim.machine("m1.lab").spawn("bad", () => {
    throw new Error("boom");
  });
  const failure = await failureOf(sim);
  assertEquals(await failureOf(sim), failure);
});

Deno.test("Simulator.run() rejects with a failure that happened before it was called", async () => {
  const sim = new Simulator({ seed: 1 });
  sim.machine("m1.lab").spawn("eager", () => {
    throw new Error("before the run");
  });
  await Promise.resolve(); // the process starts and fails on this turn
  await Promise.resolve();
  assertEquals(sim.failure?.address, "eager@m1.lab");
  assertEquals((await failureOf(sim)).address, "eager@m1.lab");
});

Deno.test("Simulator({ replay }) quotes the replay command in the failure", async () => {
  const replay = "deno task lab client-server --sim --drop 0.3 --seed 5";
  const sim = new Simulator({ seed: 5, replay });
  sim.machine("m1.lab").spawn("bad", () => {
    throw new Error("boom");
  });
  const failure = await failureOf(sim);
  assertEquals(failure.replay, replay);
  assertTrue(failure.message.endsWith(`; replay with ${replay}`), failure.message);
});

Deno.test("Simulator.run() refuses to run twice at once", async () => {
  const sim = new Simulator({ seed: 1 });
  sim.machine("m1.lab").spawn("sleeper", (ctx) => ctx.sleep(10));
  const first = sim.run();
  await assertRejects(() => sim.run(), Error, "already running");
  assertEquals((await first).time, 10);
});

Deno.test("a failing assertion inside a process fails its Deno test", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/inside_test.ts`;
    const simulator = new URL("../core/simulator/simulator.ts", import.meta.url).href;
    await Deno.writeTextFile(
      file,
      `import assert from "node:assert/strict";
import { Simulator } from "${simulator}";
Deno.test("an assertion inside a process", async () => {
  const sim = new Simulator({ seed: 3 });
  sim.machine("m1.lab").spawn("checker", async (ctx) => {
    await ctx.sleep(2);
    assert.equal(ctx.now(), 1, "virtual time after the sleep");
  });
  await sim.run();
});
`,
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["test", "--no-check", file],
      env: { NO_COLOR: "1" },
    }).output();
    const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    assertEquals(output.code, 1, text);
    assertTrue(text.includes("an assertion inside a process ... FAILED"), text);
    assertTrue(text.includes('ProcessFailedError: Cannot run process "checker@m1.lab"'), text);
    assertTrue(text.includes("virtual time after the sleep"), text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * The handler style (`core/handler_process.ts`): init, message and timer callbacks over
 * ctx.receive, with named timers in the runtime's time.
 * @module
 */
import { handlers } from "../core/handler_process.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

Deno.test("handlers() runs init, then message for each message, in order", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 2 } });
  const log: string[] = [];
  sim.machine("m1.lab").spawn(
    "srv",
    handlers({
      init: (ctx) => {
        log.push(`init@${ctx.now()}`);
      },
      message: async (ctx, msg, timers) => {
        log.push(`${msg.body}@${ctx.now()}`);
        if (msg.body === "q") await ctx.reply(msg, "a");
        if (msg.body === "bye") timers.stop();
      },
    }),
  );
  let answer = "";
  sim.machine("m2.lab").spawn("client", async (ctx) => {
    await ctx.send("srv@m1.lab", "hello");
    answer = (await ctx.request<string>("srv@m1.lab", "q")).body;
    await ctx.send("srv@m1.lab", "bye");
    await ctx.send("srv@m1.lab", "ignored");
  });
  await sim.run();
  assertEquals(log, ["init@0", "hello@2", "q@2", "bye@6"]);
  assertEquals(answer, "a");
  assertTrue(sim.trace.events.some((e) => e.ev === "exit" && e.at === "srv@m1.lab"));
});

Deno.test("handlers() fires timers at their virtual time, nearest first, ties in start order", async () => {
  const sim = new Simulator({ seed: 1 });
  const fired: string[] = [];
  sim.machine("m1.lab").spawn(
    "p",
    handlers({
      init: (_ctx, timers) => {
        timers.start("late", 300);
        timers.start("b", 100);
        timers.start("a", 100);
        timers.start("soon", 20);
        timers.start("gone", 50);
        timers.cancel("gone");
        timers.cancel("never-started");
      },
      message: () => {},
      timer: (ctx, name, timers) => {
        fired.push(`${name}@${ctx.now()}`);
        assertEquals(timers.has(name), false);
        if (name === "late") timers.stop();
      },
    }),
  );
  const result = await sim.run();
  assertEquals(fired, ["soon@20", "b@100", "a@100", "late@300"]);
  assertEquals(result.time, 300);
});

Deno.test("handlers() timers.start() on a pending timer restarts it (a watchdog)", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 10 } });
  let firedAt = -1;
  let heard = 0;
  sim.machine("m1.lab").spawn(
    "watch",
    handlers({
      init: (_ctx, timers) => timers.start("silence", 100),
      message: (_ctx, _msg, timers) => {
        heard++;
        timers.start("silence", 100);
      },
      timer: (ctx, _name, timers) => {
        firedAt = ctx.now();
        timers.stop();
      },
    }),
  );
  sim.machine("m2.lab").spawn("heartbeat", async (ctx) => {
    for (let i = 0; i < 5; i++) {
      await ctx.send("watch@m1.lab", { kind: "beat" });
      await ctx.sleep(60);
    }
  });
  await sim.run();
  // Beats arrive at 10, 70, 130, 190, 250; silence is declared 100 ms after the last one.
  assertEquals([heard, firedAt], [5, 350]);
});

Deno.test("handlers() timers keep firing while messages arrive in between", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 1 } });
  const events: string[] = [];
  sim.machine("m1.lab").spawn(
    "ticker",
    handlers({
      init: (_ctx, timers) => timers.start("tick", 25),
      message: (ctx, msg) => {
        events.push(`msg ${msg.body}@${ctx.now()}`);
      },
      timer: (ctx, _name, timers) => {
        events.push(`tick@${ctx.now()}`);
        if (ctx.now() < 100) timers.start("tick", 25);
      },
    }),
  );
  sim.machine("m2.lab").spawn("other", async (ctx) => {
    await ctx.sleep(29);
    await ctx.send("ticker@m1.lab", 1);
    await ctx.sleep(30);
    await ctx.send("ticker@m1.lab", 2);
  });
  await sim.run();
  assertEquals(events, [
    "tick@25",
    "msg 1@30",
    "tick@50",
    "msg 2@60",
    "tick@75",
    "tick@100",
  ]);
});

Deno.test("handlers() timers.start() rejects a negative delay with RangeError", async () => {
  const sim = new Simulator({ seed: 1 });
  let message = "";
  sim.machine("m1.lab").spawn(
    "p",
    handlers({
      init: (_ctx, timers) => {
        try {
          timers.start("bad", -5);
        } catch (error) {
          if (error instanceof RangeError) message = error.message;
        }
        timers.stop();
      },
      message: () => {},
    }),
  );
  await sim.run();
  assertTrue(message.startsWith('Cannot start timer "bad": delay -5'), message);
});

Deno.test("handlers() processes restart from init after their machine restarts", async () => {
  const sim = new Simulator({ seed: 1 });
  const inits: number[] = [];
  sim.machine("m1.lab").spawn(
    "p",
    handlers({
      init: (ctx, timers) => {
        inits.push(ctx.now());
        timers.start("t", 1000);
      },
      message: () => {},
    }),
  );
  sim.crash("m1.lab", { at: 10, restartAt: 20 });
  await sim.run({ until: 5000 });
  assertEquals(inits, [0, 20]);
});

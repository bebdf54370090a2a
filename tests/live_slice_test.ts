/**
 * The live view follows a simulated run as it goes: the lab's server sends the events to a
 * connected page in many batches while one slice of simulated time runs (not one batch per
 * slice), and running in batches leaves the trace exactly as one run makes it; `lab check` in
 * the simulator streams to its live view too.
 * @module
 */
import { Simulator } from "../core/simulator/simulator.ts";
import { serveLive } from "../lab/results/live.ts";
import { runLiveSlice } from "../lab/results/live_slice.ts";
import { assertEquals, assertTrue } from "./_assert.ts";
import { startLabChild } from "./_child_url.ts";

/** A client and a key-value server exchanging `requests` requests under loss. */
function build(requests: number): Simulator {
  const sim = new Simulator({ seed: 7, drop: 0.05 });
  sim.machine("m1.lab").spawn("kv", async (ctx) => {
    for (;;) await ctx.reply(await ctx.receive<{ kind: string }>(), { kind: "ok" });
  });
  sim.machine("m2.lab").spawn("c", async (ctx) => {
    for (let i = 0; i < requests; i++) {
      await ctx.request("kv@m1.lab", { kind: "put", i }, { timeout: 2000 });
    }
  });
  return sim;
}

Deno.test("runLiveSlice() streams one slice to a connected page in batches while it runs", async () => {
  const live = serveLive({ title: "slice", clock: "virtual" });
  try {
    const response = await fetch(new URL("events", live.url));
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    const sim = build(6000);
    sim.trace.listen((event) => live.event(event));
    // One slice covers the whole run: before, the page got nothing until the slice ended.
    let ended = false;
    const slice = runLiveSlice(sim, 10_000_000).then((result) => {
      ended = true;
      live.finish({ events: sim.trace.size }, "ok");
      return result;
    });
    let during = 0, text = "";
    for (let i = 0; i < 100_000 && !text.includes("event: summary"); i++) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      if (!ended) during = text.split("event: events").length - 1;
    }
    const result = await slice;
    assertTrue(result.quiescent);
    assertTrue(sim.trace.size > 10_000, `${sim.trace.size} events`);
    assertTrue(during >= 2, `the page got ${during} batch(es) while the run went on`);
    await reader.cancel();
  } finally {
    await live.close();
  }
});

Deno.test("runLiveSlice() leaves the trace as one run makes it", async () => {
  const whole = build(300), sliced = build(300);
  const a = await whole.run({ until: 2000 });
  const b = await runLiveSlice(sliced, 2000);
  assertEquals(b, a);
  assertEquals((await runLiveSlice(sliced, 10_000_000)).quiescent, true);
  await whole.run({ until: 10_000_000 });
  assertEquals(sliced.trace.digest(), whole.trace.digest());
  assertEquals(sliced.trace.size, whole.trace.size);
});

Deno.test("lab check --live in the simulator: the view gets every event of the run and the verdict", async () => {
  const dir = await Deno.makeTempDir({ prefix: "archlab-check-live-" });
  const file = new URL("../examples/check/echo.ts", import.meta.url).pathname;
  try {
    const lab = await startLabChild(
      ["check", "echo", file, "--ops", "200", "--drop", "0.1", "--live", "--out", dir],
      { stream: "stderr", pattern: /the live view stays up at http:\/\/127\.0\.0\.1:\d+\// },
    );
    try {
      const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(lab.text().split("stays up at ")[1])![0];
      const response = await fetch(new URL("events", url));
      const text = await response.text(); // The view closes the stream after the summary.
      const summary = JSON.parse(/event: summary\ndata: (.*)\n/.exec(text)![1]);
      const info = JSON.parse(await Deno.readTextFile(`${dir}/run.json`));
      assertEquals(summary.verdict, "ok");
      assertEquals(summary.events, info.events, "every event of the trace reached the view");
      assertTrue(info.events > 500, `${info.events} events`);
    } finally {
      assertEquals(await lab.stop(), 0);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

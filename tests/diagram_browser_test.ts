/// <reference lib="dom" />
/**
 * The HTML and SVG space-time diagrams in a real browser (Debian's headless Chromium through
 * puppeteer-core): the arrows drawn match the trace's deliveries, a dropped message has its red
 * cross, hovering shows the clocks, and each lecture concept, from a real run, has the marks that
 * make it recognisable. Screenshots go to tests/out/ (git-ignored).
 * @module
 */
import type { Page } from "puppeteer-core";
import { Simulator } from "../core/simulator/simulator.ts";
import { toHtml } from "../lab/diagram/html.ts";
import type { ViewerHandle } from "../lab/diagram/_viewer.ts";
import type { ViewerSummary } from "../lab/diagram/_viewer_text.ts";
import type { DiagramEvent } from "../lab/diagram/model.ts";
import { assertEquals, assertTrue } from "./_assert.ts";
import { outPath, withBrowser } from "./_browser.ts";
import { runLab } from "./_lab.ts";

type Win = { archlabDiagram: ViewerHandle };

/** Runs a lab command writing `name.jsonl` and `name.html` (and `.svg`) under tests/out/. */
async function labRun(name: string, ...args: string[]): Promise<DiagramEvent[]> {
  for (const ext of ["jsonl", "html", "svg"]) {
    const run = await runLab(...args, "--quiet", "--trace", await outPath(`${name}.${ext}`));
    assertEquals(run.code, 0, run.stderr);
  }
  const text = await Deno.readTextFile(await outPath(`${name}.jsonl`));
  return text.trim().split("\n").map((line) => JSON.parse(line));
}

/** Opens a diagram page and waits until its first frame is drawn. */
async function open(page: Page, file: string, hash = ""): Promise<void> {
  await page.goto(`file://${await outPath(file)}${hash}`);
  await page.waitForFunction(() => document.getElementById("dg")?.dataset.drawnDelivered);
}

const dataset = (page: Page) =>
  page.evaluate(() => ({ ...document.getElementById("dg")!.dataset }));
const summary = (page: Page): Promise<ViewerSummary> =>
  page.evaluate(() => (globalThis as unknown as Win).archlabDiagram.summary());

Deno.test("withBrowser() fails, saying how to install Chromium, when the browser is missing", async () => {
  let message = "";
  try {
    await withBrowser(() => Promise.resolve(), { executablePath: "/nonexistent/chromium" });
  } catch (error) {
    message = (error as Error).message;
  }
  assertTrue(message.includes("apt-get install -y chromium"), message);
});

Deno.test("toHtml() in Chromium draws every delivery, a cross per drop, and clocks on hover", async () => {
  const events = await labRun(
    "client_server",
    "client-server",
    "--sim",
    "--seed",
    "7",
    "--drop",
    "0.2",
  );
  const deliveries = events.filter((e) => e.ev === "deliver");
  const withCtl = (e: DiagramEvent) => e.to?.endsWith("@ctl.lab") || e.from?.endsWith("@ctl.lab");
  const ctl = deliveries.filter(withCtl);
  const drops = events.filter((e) => e.ev === "drop" && !withCtl(e));
  assertTrue(ctl.length > 0 && drops.length > 0);
  await withBrowser(async (page) => {
    await open(page, "client_server.html");
    let data = await dataset(page);
    assertEquals(Number(data.drawnDelivered), deliveries.length - ctl.length);
    assertEquals(Number(data.drawnDrops), drops.length);
    await page.screenshot({ path: await outPath("client_server.png") });

    // The lab's own traffic is hidden by default and drawn on request.
    await page.click(".dg-ctl");
    await page.waitForFunction(() => document.getElementById("dg")!.dataset.lanes === "5");
    data = await dataset(page);
    assertEquals(Number(data.drawnDelivered), deliveries.length);
    await page.click(".dg-ctl");

    // A dropped message: a red cross where it died.
    const lost = drops.find((e) => e.note === "lost")!;
    const at = await page.evaluate(
      (id) => (globalThis as unknown as Win).archlabDiagram.locate(id, "dropped"),
      lost.id!,
    );
    assertTrue(at, `dropped ${lost.id} not drawn`);
    const [r, g, b] = await page.evaluate(({ endX, endY }) => {
      const canvas = document.querySelector("canvas")!;
      const box = canvas.getBoundingClientRect(), dpr = devicePixelRatio;
      return [
        ...canvas.getContext("2d")!.getImageData(
          Math.round((endX - box.left) * dpr),
          Math.round((endY - box.top) * dpr),
          1,
          1,
        ).data,
      ];
    }, at);
    assertTrue(r > 180 && g < 120 && b < 120, `no red cross at the drop: rgb(${r},${g},${b})`);

    // Hovering a delivered reply shows its Lamport and vector clocks.
    const reply = deliveries.find((e) => e.kind === "value")!;
    const mid = await page.evaluate(
      (id) => (globalThis as unknown as Win).archlabDiagram.locate(id, "delivered"),
      reply.id!,
    );
    assertTrue(mid);
    await page.mouse.move(mid.x, mid.y);
    await page.waitForFunction(() =>
      getComputedStyle(document.querySelector(".dg-tip")!).display === "block"
    );
    const tip = await page.$eval(".dg-tip", (el) => el.textContent ?? "");
    assertTrue(tip.includes("Lamport clock"), tip);
    assertTrue(/vector clock at send \{.*kv@m1\.lab: \d+/.test(tip), tip);
    assertTrue(/vector clock at delivery \{.*c\d@m\d\.lab: \d+/.test(tip), tip);
    await page.screenshot({ path: await outPath("client_server_hover.png") });

    // The replay slider at mid-run draws only what had arrived by then, and what is in flight.
    await page.$eval(".dg-slider", (el) => {
      const slider = el as HTMLInputElement;
      slider.value = "300";
      slider.dispatchEvent(new Event("input"));
    });
    await page.waitForFunction(
      (all) => Number(document.getElementById("dg")!.dataset.drawnDelivered) < all,
      {},
      deliveries.length - ctl.length,
    );
    const partial = Number((await dataset(page)).drawnDelivered);
    assertTrue(partial > 0, "nothing drawn at 30% of the run");
    await page.screenshot({ path: await outPath("client_server_replay.png") });
    await page.$eval(".dg-slider", (el) => {
      const slider = el as HTMLInputElement;
      slider.value = "1000";
      slider.dispatchEvent(new Event("input"));
    });
    await page.waitForFunction(
      (all) => Number(document.getElementById("dg")!.dataset.drawnDelivered) === all,
      {},
      deliveries.length - ctl.length,
    );

    // Clicking selects it and shows its happened-before cone.
    await page.mouse.click(mid.x, mid.y);
    await page.waitForFunction(() =>
      document.querySelector(".dg-details")!.textContent!.includes("happened-before")
    );
    await page.screenshot({ path: await outPath("client_server_cone.png") });
  });
});

Deno.test("a mounted viewer grows as events are appended (what a live view does)", async () => {
  const events = await labRun("append", "client-server", "--sim", "--seed", "5", "--drop", "0.1");
  const half = events.length >> 1;
  await Deno.writeTextFile(await outPath("append.html"), toHtml(events.slice(0, half)));
  const visible = (e: DiagramEvent) =>
    e.ev === "deliver" && !e.to?.endsWith("@ctl.lab") && !e.from?.endsWith("@ctl.lab");
  await withBrowser(async (page) => {
    await open(page, "append.html");
    assertEquals(
      Number((await dataset(page)).drawnDelivered),
      events.slice(0, half).filter(visible).length,
    );
    await page.evaluate((rest) => {
      const viewer = (globalThis as unknown as Win).archlabDiagram;
      viewer.append(rest);
      viewer.fit();
      viewer.draw();
    }, events.slice(half));
    assertEquals(Number((await dataset(page)).drawnDelivered), events.filter(visible).length);
  });
});

Deno.test("toSvg() in Chromium: one msg element per delivery and a drop mark per drop", async () => {
  const events = await labRun(
    "client_server_svg",
    "client-server",
    "--sim",
    "--seed",
    "3",
    "--drop",
    "0.1",
  );
  const visible = (e: DiagramEvent) => !e.to?.endsWith("@ctl.lab") && !e.from?.endsWith("@ctl.lab");
  await withBrowser(async (page) => {
    await page.goto(`file://${await outPath("client_server_svg.svg")}`);
    const counts = await page.evaluate(() => ({
      delivered: document.querySelectorAll("g.msg.delivered").length,
      drops: document.querySelectorAll("path.drop-mark").length,
      lanes: document.querySelectorAll("text.lane").length,
    }));
    assertEquals(counts.delivered, events.filter((e) => e.ev === "deliver" && visible(e)).length);
    assertEquals(counts.drops, events.filter((e) => e.ev === "drop" && visible(e)).length);
    assertEquals(counts.lanes, 4);
    await page.screenshot({ path: await outPath("client_server_svg.png") });
  });
});

/** A rendezvous: capacity-0 mailbox, the sender blocked until the receiver takes the message. */
async function rendezvous(): Promise<DiagramEvent[]> {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 2 } });
  sim.machine("m2.lab").spawn("receiver", async (ctx) => {
    for (const pause of [50, 20]) {
      await ctx.sleep(pause);
      await ctx.receive({ timeout: 1000 });
    }
  }, { capacity: 0 });
  sim.machine("m1.lab").spawn("sender", async (ctx) => {
    await ctx.sleep(10);
    for (let i = 0; i < 2; i++) {
      await ctx.send("receiver@m2.lab", { kind: "note" }, { sync: true, timeout: 1000 });
    }
  });
  await sim.run();
  return sim.trace.events;
}

Deno.test("toHtml() makes each lecture concept recognisable in Chromium", async () => {
  await Deno.writeTextFile(
    await outPath("rendezvous.html"),
    toHtml(await rendezvous(), { title: "rendezvous (capacity 0)" }),
  );
  // A partition cuts c1's second request off for sure (random loss would leave it to the seed
  // whether a client gives up under the channel's backoff); the channel resends it, and it gets
  // through once the partition heals.
  await labRun(
    "lost_request",
    "client-server",
    "--sim",
    "--clients",
    "1",
    "--requests",
    "3",
    "--partition",
    "m1.lab|m2.lab@1..300",
  );
  await labRun(
    "orphan",
    "rpc",
    "--policy",
    "none",
    "--calls",
    "2",
    "--clients",
    "1",
    "--servers",
    "1",
  );
  await labRun(
    "two_phase_commit_blocked",
    "transactions",
    "--sim",
    "--crash-coordinator-after-votes",
    "--clients",
    "1",
    "--transfers",
    "2",
  );
  await labRun("total_order", "group", "--sim", "--order", "total");
  await labRun("gossip", "p2p", "--sim", "--peers", "16", "--mode", "push");
  await withBrowser(async (page) => {
    const look = async (name: string, hash = ""): Promise<ViewerSummary> => {
      await open(page, `${name}.html`, hash);
      await page.screenshot({ path: await outPath(`${name}.png`) });
      return await summary(page);
    };
    const rdv = await look("rendezvous");
    assertEquals(rdv.bands.sync, 2, "the sender's wait in each synchronous send");
    assertEquals(rdv.kinds.$receipt, 2, "the receipts that end each wait");

    const lost = await look("lost_request");
    assertTrue(lost.dropNotes.includes("partition"), "a request lost on the way");
    assertTrue((lost.outcomes.delivered ?? 0) > 0);
    assertTrue(lost.copies.retransmit > 0, "its retransmission");

    const orphan = await look("orphan");
    assertTrue(orphan.markers.crash >= 1 && orphan.epochs >= 2, "the client crashes and restarts");
    assertTrue(
      orphan.dropNotes.some((n) => n.startsWith("late reply")),
      "the orphan's reply finds nobody",
    );

    const tpc = await look("two_phase_commit_blocked");
    assertTrue(tpc.bands.blocked >= 1, "a participant blocked in doubt");
    assertTrue(tpc.markers.crash >= 1, "the coordinator crashes");

    const total = await look("total_order", "#kinds=g-submit,g-order");
    assertTrue(total.kinds["g-order"] > 10, "the sequencer's order messages");

    const gossip = await look("gossip", "#kinds=put,g-delta");
    assertTrue(gossip.lanes.length >= 16, "one lifeline per peer");
    const spread = Number((await dataset(page)).drawnDelivered);
    assertEquals(spread, gossip.kinds["g-delta"], "only the update's spread is drawn");
  }, { width: 1400, height: 1000 });
});

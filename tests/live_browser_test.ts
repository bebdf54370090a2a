/// <reference lib="dom" />
/**
 * The live view (`--live`) in a real browser (Debian's headless Chromium through puppeteer-core):
 * the lab process serves the page, the page receives the run's events by server-sent events (in
 * the simulator, and from real OS processes while they run) and shows the final summary.
 * Screenshots go to tests/out/.
 * @module
 */
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { outPath, withBrowser } from "./_browser.ts";
import { startLabChild } from "./_child_url.ts";
import { runLab } from "./_lab.ts";

const URL_PATTERN = /http:\/\/127\.0\.0\.1:\d+\//;

const live = (page: Page) =>
  page.evaluate(() => ({
    events: Number(document.documentElement.dataset.liveEvents ?? 0),
    verdict: document.documentElement.dataset.liveVerdict,
    delivered: Number(document.getElementById("dg")?.dataset.drawnDelivered ?? 0),
    table: document.getElementById("live-summary")?.textContent ?? "",
  }));

Deno.test("lab --live in the simulator: the page receives every event and shows the summary", async () => {
  const dir = await Deno.makeTempDir({ prefix: "archlab-live-" });
  try {
    await withBrowser(async (page) => {
      const lab = await startLabChild(
        ["client-server", "--sim", "--drop", "0.1", "--quiet", "--live", "--out", dir],
        { stream: "stderr", pattern: URL_PATTERN },
      );
      try {
        await page.goto(lab.url);
        await page.waitForFunction(() => document.documentElement.dataset.liveVerdict, {
          timeout: 30_000,
        });
        const seen = await live(page);
        const info = JSON.parse(await Deno.readTextFile(`${dir}/run.json`));
        assert.equal(seen.verdict, "ok");
        assert.equal(seen.events, info.events, "every event of the trace reached the page");
        assert.ok(seen.delivered > 0, "the diagram draws the deliveries");
        assert.match(seen.table, /architectureclient-server/);
        assert.match(seen.table, /seed1/);
        // Streaming in batches of events changes nothing in the run: the same trace without it.
        const plain = await runLab("client-server", "--sim", "--drop", "0.1", "--quiet", "--json");
        const summary = JSON.parse(await Deno.readTextFile(`${dir}/summary.json`));
        assert.equal(summary.traceDigest, JSON.parse(plain.stdout).traceDigest);
        await page.screenshot({ path: await outPath("live_sim.png") });
      } finally {
        assert.equal(await lab.stop(), 0);
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lab --live on real OS processes: events arrive while the run goes on, then the summary", async () => {
  await withBrowser(async (page) => {
    // The browser is up before the run starts; the run lasts seconds (10 ms per message).
    const lab = await startLabChild(
      ["client-server", "--requests", "40", "--delay", "10", "--quiet", "--live"],
      { stream: "stderr", pattern: URL_PATTERN, timeoutMs: 60_000 },
    );
    try {
      await page.goto(lab.url);
      await page.waitForFunction(
        () => Number(document.documentElement.dataset.liveEvents ?? 0) > 0,
        { timeout: 30_000 },
      );
      const during = await live(page);
      assert.equal(during.verdict, undefined, "events came before the run ended");
      await page.waitForFunction(() => document.documentElement.dataset.liveVerdict, {
        timeout: 60_000,
      });
      const after = await live(page);
      assert.equal(after.verdict, "ok");
      assert.ok(after.events > during.events, `${during.events} then ${after.events} events`);
      assert.match(after.table, /transporttcp/);
      await page.screenshot({ path: await outPath("live_tcp.png") });
    } finally {
      assert.equal(await lab.stop(), 0);
    }
  });
});

Deno.test("lab serve in the browser: the index links to a run's diagram, which draws", async () => {
  const dir = await Deno.makeTempDir({ prefix: "archlab-serve-" });
  try {
    for (const [name, arch] of [["one", "p2p"], ["two", "client-server"]]) {
      const run = await runLab(arch, "--sim", "--quiet", "--out", `${dir}/${name}`);
      assert.equal(run.code, 0, run.stderr);
    }
    const server = await startLabChild(["serve", dir], { stream: "stdout", pattern: URL_PATTERN });
    try {
      await withBrowser(async (page) => {
        await page.goto(server.url);
        const rows = await page.$$eval("#runs tbody tr", (trs) => trs.map((tr) => tr.textContent));
        assert.equal(rows.length, 2);
        await page.screenshot({ path: await outPath("serve_index.png") });
        await Promise.all([
          page.waitForNavigation(),
          page.click('a[href="two/diagram.html"]'),
        ]);
        await page.waitForFunction(() => document.getElementById("dg")?.dataset.drawnDelivered);
        const drawn = await page.evaluate(() =>
          Number(document.getElementById("dg")!.dataset.drawnDelivered)
        );
        assert.ok(drawn > 0, "the diagram draws its deliveries");
      });
    } finally {
      assert.equal(await server.stop(), 0);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

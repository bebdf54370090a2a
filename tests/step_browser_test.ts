/**
 * `lab step FILE.ts` in a real browser (headless Chromium): the user's own system from a file,
 * on the stepping page; duplicating the pending ping and delivering both copies breaks the
 * file's invariant, Back restores it, and with `--explore` the counterexample is there to jump
 * to. The `lab run` form of a file (a default map of processes) steps too.
 * @module
 */
import type { Page } from "puppeteer-core";
import { assertEquals, assertTrue } from "./_assert.ts";
import { withBrowser } from "./_browser.ts";
import { startLabChild } from "./_child_url.ts";

const PING = new URL("./testdata/step/ping_once.ts", import.meta.url).pathname;
const KV = new URL("../examples/run/kv.ts", import.meta.url).pathname;
const URL_PATTERN = /http:\/\/127\.0\.0\.1:\d+\//;

async function steps(page: Page, n: number): Promise<void> {
  await page.waitForFunction(`document.body.dataset.steps === "${n}"`, { timeout: 10_000 });
}

const choicesOf = (page: Page) =>
  page.$$eval("#pending button", (bs) => bs.map((b) => b.dataset.choice ?? ""));

Deno.test("lab step FILE.ts serves the user's system: duplicate a message, break the invariant, step back", async () => {
  const child = await startLabChild(["step", PING, "--explore", "--dups", "1"], {
    stream: "stdout",
    pattern: URL_PATTERN,
  });
  try {
    await withBrowser(async (page) => {
      await page.goto(child.url);
      await steps(page, 0);
      assertEquals(await page.title(), `lab step ${PING}`);
      assertEquals(await choicesOf(page), [
        "m1.lab>m2.lab#1",
        "drop m1.lab>m2.lab#1",
        "dup m1.lab>m2.lab#1",
      ]);

      await page.click('button[data-choice="dup m1.lab>m2.lab#1"]');
      await steps(page, 1);
      const doubled = await choicesOf(page);
      assertTrue(doubled.includes("m1.lab>m2.lab#1/2"), doubled.join(" "));
      assertTrue(!doubled.includes("dup m1.lab>m2.lab#1"), "a frame is duplicated once");
      assertTrue(!doubled.includes("dup m1.lab>m2.lab#1/2"), "a copy is not duplicated");

      await page.click('button[data-choice="m1.lab>m2.lab#1"]');
      await steps(page, 2);
      await page.click('button[data-choice="m1.lab>m2.lab#1/2"]');
      await steps(page, 3);
      const verdict = await page.$eval("#verdict", (e) => `${e.className} ${e.textContent}`);
      assertEquals(verdict, "bad VIOLATION: pong handled the ping 2 times");
      const log = await page.$eval(
        'tr[data-address="pong@m2.lab"] td:nth-child(3)',
        (td) => td.textContent,
      );
      assertEquals(log, "handled ping 1 | handled ping 2");

      await page.click("#back");
      await steps(page, 2);
      assertEquals(await page.$eval("#verdict", (e) => e.className), "ok");

      await page.waitForSelector("#cex:not([hidden])", { timeout: 10_000 });
      await page.click("#cex");
      await page.waitForFunction('document.getElementById("verdict").className === "bad"', {
        timeout: 10_000,
      });
      const path = await page.$$eval("#path li", (lis) => lis.map((li) => li.textContent));
      assertTrue(path.includes("dup m1.lab>m2.lab#1"), path.join(" "));
    });
  } finally {
    assertEquals(await child.stop(), 0);
  }
  assertTrue(child.text().includes("pong handled the ping 2 times"), child.text());
});

Deno.test("lab step FILE.ts takes the lab run form of a file (a default map of processes)", async () => {
  const child = await startLabChild(["step", KV], { stream: "stdout", pattern: URL_PATTERN });
  try {
    const post = async (choices: string[]) => {
      const response = await fetch(new URL("api/state", child.url), {
        method: "POST",
        body: JSON.stringify({ choices }),
      });
      return await response.json();
    };
    const start = await post([]);
    const labels = start.pending.map((p: { label: string }) => p.label);
    // The client's put, and the timer of its request's timeout.
    assertEquals(labels, ["m2.lab>m1.lab#1", "timer m2.lab#1"]);
    const next = await post(["m2.lab>m1.lab#1"]);
    const kv = next.processes.find((p: { address: string }) => p.address === "kv@m1.lab");
    assertTrue(kv !== undefined && next.pending.length > 0, JSON.stringify(next));
  } finally {
    assertEquals(await child.stop(), 0);
  }
});

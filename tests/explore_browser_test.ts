/**
 * Stepping by hand in a real browser (headless Chromium): the page of `lab explore --ui` lists
 * what may happen next; clicking a delivery changes a process's mailbox and the path, Back
 * undoes it, and the counterexample button replays the shortest violation exploration found.
 * @module
 */
import type { Page } from "puppeteer-core";
import { explore } from "../lab/explore/explore.ts";
import { serveStepper } from "../lab/explore/step_server.ts";
import { twoPhaseCommit, twoPhaseInvariant } from "../lab/explore/two_phase_commit_model.ts";
import { assertEquals, assertTrue } from "./_assert.ts";
import { withBrowser } from "./_browser.ts";

const OPTIONS = {
  invariant: twoPhaseInvariant,
  crash: ["coord.lab"],
  simulator: { reliable: false },
  depth: 40,
};

/** Waits until the page shows `steps` choices on its path (bounded by puppeteer's timeout). */
async function steps(page: Page, n: number): Promise<void> {
  await page.waitForFunction(`document.body.dataset.steps === "${n}"`, { timeout: 10_000 });
}

const mailbox = (page: Page, address: string) =>
  page.$eval(`tr[data-address="${address}"] td:nth-child(2)`, (td) => td.textContent);

Deno.test("the stepping page delivers a message on click, steps back, and jumps to the counterexample", async () => {
  const broken = (sim: Parameters<typeof twoPhaseCommit>[0]) =>
    twoPhaseCommit(sim, { broken: true });
  const report = await explore(broken, OPTIONS);
  const server = serveStepper(broken, {
    title: "2pc",
    explore: OPTIONS,
    counterexample: report.violation!.choices,
  });
  try {
    await withBrowser(async (page) => {
      await page.goto(server.url);
      await steps(page, 0);
      const first = await page.$$eval("#pending button", (bs) => bs.map((b) => b.dataset.choice));
      assertTrue(first.includes("coord.lab>p1.lab#1") && first.includes("drop coord.lab>p1.lab#1"));
      assertEquals(await mailbox(page, "p@p1.lab"), "(empty)");

      // Deliver the prepare to p1: it is in its mailbox, then taken (p1 votes): the vote is pending.
      await page.click('button[data-choice="coord.lab>p1.lab#1"]');
      await steps(page, 1);
      const after = await page.$$eval("#pending button", (bs) => bs.map((b) => b.dataset.choice));
      assertTrue(after.includes("p1.lab>coord.lab#1"), after.join(" "));
      assertTrue(!after.includes("coord.lab>p1.lab#1"));
      assertEquals(await page.$eval("#path", (ol) => ol.textContent), "coord.lab>p1.lab#1");

      await page.click("#back");
      await steps(page, 0);
      const again = await page.$$eval("#pending button", (bs) => bs.map((b) => b.dataset.choice));
      assertEquals(again, first);

      await page.click("#cex");
      await page.waitForFunction(`document.body.dataset.steps !== "0"`, { timeout: 10_000 });
      await page.waitForFunction('document.getElementById("verdict").className === "bad"', {
        timeout: 10_000,
      });
      const path = await page.$$eval("#path li", (lis) => lis.map((li) => li.textContent));
      assertEquals(path.slice(0, report.violation!.choices.length), [...report.violation!.choices]);
      const verdict = await page.$eval("#verdict", (e) => e.textContent ?? "");
      assertTrue(verdict.includes("atomicity"), verdict);
    });
  } finally {
    await server.close();
  }
});

Deno.test("the stepping page duplicates a pending message: its copy is pending, both are delivered", async () => {
  const system = (sim: Parameters<typeof twoPhaseCommit>[0]) => twoPhaseCommit(sim);
  const server = serveStepper(system, { title: "2pc", explore: OPTIONS });
  try {
    await withBrowser(async (page) => {
      await page.goto(server.url);
      await steps(page, 0);
      await page.click('button[data-choice="dup coord.lab>p1.lab#1"]');
      await steps(page, 1);
      const doubled = await page.$$eval("#pending button", (bs) => bs.map((b) => b.dataset.choice));
      assertTrue(doubled.includes("coord.lab>p1.lab#1/2"), doubled.join(" "));
      assertEquals(await page.$eval("#path", (ol) => ol.textContent), "dup coord.lab>p1.lab#1");

      // Both copies of the prepare reach p1, which votes twice: two votes are pending.
      await page.click('button[data-choice="coord.lab>p1.lab#1"]');
      await steps(page, 2);
      await page.click('button[data-choice="coord.lab>p1.lab#1/2"]');
      await steps(page, 3);
      const votes = await page.$$eval("#pending button", (bs) => bs.map((b) => b.dataset.choice));
      assertTrue(
        votes.includes("p1.lab>coord.lab#1") && votes.includes("p1.lab>coord.lab#2"),
        votes.join(" "),
      );

      await page.click("#back");
      await page.click("#back");
      await page.click("#back");
      await steps(page, 0);
      const again = await page.$$eval("#pending button", (bs) => bs.map((b) => b.dataset.choice));
      assertTrue(!again.includes("coord.lab>p1.lab#1/2"), again.join(" "));
    });
  } finally {
    await server.close();
  }
});

import { withBrowser } from "./_browser.ts";
const [file, png, w = "1400", h = "900"] = Deno.args;
await withBrowser(async (page) => {
  const t = performance.now();
  await page.goto(`file://${file}`);
  await page.waitForFunction(() => (document.getElementById("dg") as HTMLElement).dataset.drawnDelivered !== undefined);
  console.log("load+draw ms", (performance.now() - t).toFixed(0), await page.evaluate(() => JSON.stringify((document.getElementById("dg") as HTMLElement).dataset)));
  await page.screenshot({ path: png as `${string}.png` });
}, { width: Number(w), height: Number(h) });

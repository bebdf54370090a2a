/**
 * Headless Chromium for tests: launches Debian's `/usr/bin/chromium` through puppeteer-core (no
 * browser download), with a fresh profile directory, and always closes it. A missing browser
 * fails the test with how to install it.
 * @module
 */
import puppeteer, { type Browser, type Page } from "puppeteer-core";

/** Where Debian installs Chromium. */
export const CHROMIUM = "/usr/bin/chromium";

/** Folder of screenshots and pages written by browser tests (git-ignored). */
export const OUT_DIR: string = new URL("./out/", import.meta.url).pathname;

/**
 * Runs `fn` with a fresh headless Chromium and a page whose console errors and page errors fail
 * the test; closes the browser and removes its profile whatever happens.
 */
export async function withBrowser<T>(
  fn: (page: Page, browser: Browser) => Promise<T>,
  options: { width?: number; height?: number; executablePath?: string } = {},
): Promise<T> {
  const executablePath = options.executablePath ?? CHROMIUM;
  try {
    await Deno.stat(executablePath);
  } catch (error) {
    throw new Error(
      `Cannot run the browser tests: ${executablePath} is missing (${(error as Error).message}). ` +
        "Install Debian's Chromium: apt-get update && apt-get install -y chromium " +
        "(.ci/run does this in CI)",
    );
  }
  const profile = await Deno.makeTempDir({ prefix: "archlab-chromium-" });
  const browser = await puppeteer.launch({
    executablePath,
    args: [
      "--no-sandbox",
      "--headless=new",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
    ],
    defaultViewport: { width: options.width ?? 1400, height: options.height ?? 900 },
  });
  const errors: string[] = [];
  try {
    const page = await browser.newPage();
    page.on("pageerror", (error) => errors.push(String(error)));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    const result = await fn(page, browser);
    if (errors.length > 0) throw new Error(`The page reported errors:\n${errors.join("\n")}`);
    return result;
  } finally {
    await browser.close();
    await Deno.remove(profile, { recursive: true });
  }
}

/** Writes `file` under {@link OUT_DIR} (creating it) and returns its path. */
export async function outPath(file: string): Promise<string> {
  await Deno.mkdir(OUT_DIR, { recursive: true });
  return OUT_DIR + file;
}

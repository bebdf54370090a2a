/**
 * A small HTTP origin (a Hono app) whose routes each show one caching rule, to put the caching
 * proxy in front of and try with curl. `GET /` lists the routes.
 * @module
 */
import { Hono } from "hono";

/** Options of {@link createDemoOrigin}. */
export interface DemoOriginOptions {
  /** The clock, ms since the epoch (required). */
  readonly now: () => number;
  /** Waits `ms` (for `/slow`). @default resolves at once */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * The routes of the demo origin and what each shows.
 *
 * @example Every caching rule has a route
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEMO_ROUTES } from "./demo_origin.ts";
 * assert.ok("/etag" in DEMO_ROUTES && "/no-store" in DEMO_ROUTES);
 * ```
 */
export const DEMO_ROUTES: Readonly<Record<string, string>> = {
  "/fresh": "Cache-Control: max-age=10 (HIT for 10 s, then MISS)",
  "/shared": "max-age=0, s-maxage=30 (a shared cache keeps it 30 s)",
  "/expires": "Expires 20 s ahead (no Cache-Control)",
  "/etag": "no-cache + ETag that changes every 30 s (REVALIDATED, 304 from the origin)",
  "/private": "private, max-age=60 (never stored by the proxy)",
  "/no-store": "no-store (never stored)",
  "/vary": "Vary: Accept-Language, max-age=30 (try -H 'Accept-Language: es')",
  "/slow": "1 s to answer, max-age=5 (send 10 at once: the origin sees 1)",
  "/flaky": "max-age=2, stale-if-error=60; answers 503 every other 10 s (STALE)",
  "/counter": "max-age=60; POST /counter adds one and invalidates the cached copy",
  "/big?kb=N": "N KiB of text, max-age=60 (fills the cache by bytes)",
};

/** The demo origin: a Hono app inside, answering requests. */
export interface DemoOrigin {
  /** Answers one HTTP request. */
  fetch(request: Request): Response | Promise<Response>;
  /** Answers a request for `input` (a path such as `/fresh`, or a URL or Request). */
  request(input: string | URL | Request, init?: RequestInit): Response | Promise<Response>;
}

/**
 * Creates the demo origin.
 *
 * @example A route with max-age
 * ```ts
 * import assert from "node:assert/strict";
 * import { createDemoOrigin } from "./demo_origin.ts";
 * const origin = createDemoOrigin({ now: () => 0 });
 * const response = await origin.request("/fresh");
 * assert.equal(response.headers.get("cache-control"), "max-age=10");
 * assert.equal((await response.json()).path, "/fresh");
 * ```
 */
export function createDemoOrigin(options: DemoOriginOptions): DemoOrigin {
  const now = options.now;
  const sleep = options.sleep ?? (() => Promise.resolve());
  let served = 0;
  let counter = 0;
  const app = new Hono();
  const body = (path: string, extra: Record<string, unknown> = {}) => ({
    path,
    generatedAt: new Date(now()).toISOString(),
    served: ++served,
    ...extra,
  });

  app.get("/", (c) => {
    const lines = Object.entries(DEMO_ROUTES).map(([path, what]) => `  ${path.padEnd(12)} ${what}`);
    c.header("cache-control", "no-cache");
    return c.text(`archlab demo origin; routes:\n${lines.join("\n")}\n`);
  });
  app.get("/fresh", (c) => {
    c.header("cache-control", "max-age=10");
    return c.json(body("/fresh"));
  });
  app.get("/shared", (c) => {
    c.header("cache-control", "max-age=0, s-maxage=30");
    return c.json(body("/shared"));
  });
  app.get("/expires", (c) => {
    c.header("expires", new Date(now() + 20_000).toUTCString());
    return c.json(body("/expires"));
  });
  app.get("/etag", (c) => {
    const etag = `"v${Math.floor(now() / 30_000)}"`;
    c.header("cache-control", "no-cache");
    c.header("etag", etag);
    if (c.req.header("if-none-match") === etag) return c.body(null, 304);
    return c.json(body("/etag", { etag }));
  });
  app.get("/private", (c) => {
    c.header("cache-control", "private, max-age=60");
    return c.json(body("/private"));
  });
  app.get("/no-store", (c) => {
    c.header("cache-control", "no-store");
    return c.json(body("/no-store"));
  });
  app.get("/vary", (c) => {
    const language = c.req.header("accept-language")?.startsWith("es") ? "es" : "en";
    c.header("cache-control", "max-age=30");
    c.header("vary", "Accept-Language");
    return c.json(body("/vary", { greeting: language === "es" ? "hola" : "hello" }));
  });
  app.get("/slow", async (c) => {
    await sleep(1000);
    c.header("cache-control", "max-age=5");
    return c.json(body("/slow"));
  });
  app.get("/flaky", (c) => {
    if (Math.floor(now() / 10_000) % 2 === 1) {
      return c.json({ error: "the origin is having a bad moment" }, 503);
    }
    c.header("cache-control", "max-age=2, stale-if-error=60");
    return c.json(body("/flaky"));
  });
  app.get("/counter", (c) => {
    c.header("cache-control", "max-age=60");
    return c.json(body("/counter", { counter }));
  });
  app.post("/counter", (c) => c.json({ counter: ++counter }));
  app.get("/big", (c) => {
    const kb = Math.min(Math.max(Number(c.req.query("kb") ?? 1) || 1, 1), 10_240);
    c.header("cache-control", "max-age=60");
    return c.text("x".repeat(kb * 1024));
  });
  app.notFound((c) =>
    c.json({ error: `Cannot find "${c.req.path}": see GET /`, url: c.req.path }, 404)
  );
  return app;
}

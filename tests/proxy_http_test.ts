/**
 * The HTTP caching proxy over real sockets: a real `Deno.serve` origin on 127.0.0.1:0, the proxy
 * served on 127.0.0.1:0, and `fetch` as the client. The proxy's clock is a fake one the tests
 * move forward, and the origin stamps `Date` from the same clock, so ages are exact.
 * @module
 */
import { createHttpProxy, type HttpProxy, type HttpProxyOptions } from "../proxy/http_proxy.ts";
import { serveHttpProxy } from "../proxy/http_serve.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

class Clock {
  /** A whole second, so HTTP dates (1 s resolution) round-trip exactly. */
  t = 1_800_000_000_000;
  now = (): number => this.t;
  advance(seconds: number): void {
    this.t += seconds * 1000;
  }
}

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly headers: Headers;
  readonly body: string;
}

type Handler = (request: Request, seen: Seen[]) => Response | Promise<Response>;

interface Lab {
  readonly clock: Clock;
  readonly proxy: HttpProxy;
  /** Requests the origin received, in order. */
  readonly seen: Seen[];
  /** Origin requests for `path`. */
  count(path: string): number;
  /** A request through the proxy, its body read. */
  get(
    path: string,
    init?: RequestInit,
  ): Promise<{ status: number; headers: Headers; text: string }>;
  /** Stops the origin (the proxy stays up). */
  stopOrigin(): Promise<void>;
  readonly proxyUrl: string;
}

/** Runs `body` against a fresh origin (answering with `handler`) and proxy; closes both. */
async function withLab(
  handler: Handler,
  body: (lab: Lab) => Promise<void>,
  options: Omit<HttpProxyOptions, "now"> = {},
): Promise<void> {
  const clock = new Clock();
  const seen: Seen[] = [];
  const origin = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    seen.push({
      method: req.method,
      path: url.pathname + url.search,
      headers: req.headers,
      body: await req.text(),
    });
    const response = await handler(req, seen);
    if (!response.headers.has("date")) {
      response.headers.set("date", new Date(clock.now()).toUTCString());
    }
    return response;
  });
  let originUp = true;
  const stopOrigin = async () => {
    if (originUp) await origin.shutdown();
    originUp = false;
  };
  const proxy = createHttpProxy(`http://127.0.0.1:${origin.addr.port}`, {
    ...options,
    now: clock.now,
  });
  const server = serveHttpProxy(proxy);
  const proxyUrl = `http://127.0.0.1:${server.addr.port}`;
  try {
    await body({
      clock,
      proxy,
      seen,
      count: (path) => seen.filter((s) => s.path === path).length,
      get: async (path, init) => {
        const response = await fetch(proxyUrl + path, init);
        return { status: response.status, headers: response.headers, text: await response.text() };
      },
      stopOrigin,
      proxyUrl,
    });
  } finally {
    await server.shutdown();
    await stopOrigin();
  }
}

/** Rejects if `promise` takes longer than `ms` (a bound on a test, never a synchronisation). */
async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

const cached = (cacheControl: string, text = "body", extra: Record<string, string> = {}) =>
  new Response(text, { headers: { "cache-control": cacheControl, ...extra } });

Deno.test("createHttpProxy() serves max-age responses from the cache until they expire", async () => {
  await withLab(() => cached("max-age=60"), async (lab) => {
    assertEquals((await lab.get("/a")).headers.get("x-cache"), "MISS");
    const hit = await lab.get("/a");
    assertEquals([hit.status, hit.text, hit.headers.get("x-cache")], [200, "body", "HIT"]);
    lab.clock.advance(61);
    assertEquals((await lab.get("/a")).headers.get("x-cache"), "MISS");
    assertEquals(lab.count("/a"), 2);
  });
});

Deno.test("createHttpProxy() sets Age from the stored response's age", async () => {
  await withLab(() => cached("max-age=60", "body", { age: "3" }), async (lab) => {
    assertEquals((await lab.get("/a")).headers.get("age"), "3");
    lab.clock.advance(5);
    const hit = await lab.get("/a");
    assertEquals([hit.headers.get("age"), hit.headers.get("x-cache")], ["8", "HIT"]);
  });
});

Deno.test("createHttpProxy() lets s-maxage win over max-age", async () => {
  await withLab(
    (req) =>
      new URL(req.url).pathname === "/shared"
        ? cached("max-age=0, s-maxage=60")
        : cached("max-age=60, s-maxage=0"),
    async (lab) => {
      await lab.get("/shared");
      assertEquals((await lab.get("/shared")).headers.get("x-cache"), "HIT");
      await lab.get("/browser-only");
      assertEquals((await lab.get("/browser-only")).headers.get("x-cache"), "MISS");
    },
  );
});

Deno.test("createHttpProxy() honours Expires against Date", async () => {
  await withLab(
    () =>
      new Response("e", {
        headers: { expires: new Date(1_800_000_000_000 + 30_000).toUTCString() },
      }),
    async (lab) => {
      await lab.get("/e");
      lab.clock.advance(29);
      assertEquals((await lab.get("/e")).headers.get("x-cache"), "HIT");
      lab.clock.advance(2);
      assertEquals((await lab.get("/e")).headers.get("x-cache"), "MISS");
    },
  );
});

Deno.test("createHttpProxy() treats an invalid Expires as already expired", async () => {
  await withLab(() => new Response("e", { headers: { expires: "0" } }), async (lab) => {
    await lab.get("/e");
    await lab.get("/e");
    assertEquals(lab.count("/e"), 2);
  });
});

Deno.test("createHttpProxy() never stores no-store or private responses", async () => {
  await withLab((req) => cached(new URL(req.url).pathname.slice(1)), async (lab) => {
    for (const path of ["/no-store", "/private, max-age=60"]) {
      const encoded = path.replace(/ /g, "%20");
      assertEquals((await lab.get(encoded)).headers.get("x-cache"), "MISS");
      assertEquals((await lab.get(encoded)).headers.get("x-cache"), "MISS");
    }
    assertEquals(lab.seen.length, 4);
    assertEquals(lab.proxy.stats().entries, 0);
  });
});

Deno.test("createHttpProxy() revalidates no-cache responses on every use (304 -> REVALIDATED)", async () => {
  await withLab((req) => {
    if (req.headers.get("if-none-match") === '"v1"') {
      return new Response(null, { status: 304, headers: { etag: '"v1"' } });
    }
    return cached("no-cache", "versioned", { etag: '"v1"' });
  }, async (lab) => {
    assertEquals((await lab.get("/n")).headers.get("x-cache"), "MISS");
    const second = await lab.get("/n");
    assertEquals([second.status, second.text], [200, "versioned"]);
    assertEquals(second.headers.get("x-cache"), "REVALIDATED");
    assertEquals(lab.seen[1].headers.get("if-none-match"), '"v1"');
    assertEquals(lab.count("/n"), 2);
  });
});

Deno.test("createHttpProxy() refreshes an expired entry with a 304 and serves it again", async () => {
  let version = 1;
  await withLab((req) => {
    const etag = `"v${version}"`;
    if (req.headers.get("if-none-match") === etag) {
      return new Response(null, { status: 304, headers: { etag, "cache-control": "max-age=10" } });
    }
    return cached("max-age=10", `content ${version}`, { etag });
  }, async (lab) => {
    await lab.get("/r");
    lab.clock.advance(11);
    const revalidated = await lab.get("/r");
    assertEquals([revalidated.text, revalidated.headers.get("x-cache")], [
      "content 1",
      "REVALIDATED",
    ]);
    assertEquals(revalidated.headers.get("age"), "0");
    assertEquals((await lab.get("/r")).headers.get("x-cache"), "HIT");
    version = 2;
    lab.clock.advance(11);
    const changed = await lab.get("/r");
    assertEquals([changed.text, changed.headers.get("x-cache")], ["content 2", "MISS"]);
    assertEquals(lab.proxy.stats().revalidated, 1);
  });
});

Deno.test("createHttpProxy() revalidates when the client sends Cache-Control: no-cache", async () => {
  await withLab(
    (req) =>
      req.headers.get("if-none-match") === '"x"'
        ? new Response(null, { status: 304 })
        : cached("max-age=60", "x", { etag: '"x"' }),
    async (lab) => {
      await lab.get("/c");
      const forced = await lab.get("/c", { headers: { "cache-control": "no-cache" } });
      assertEquals(forced.headers.get("x-cache"), "REVALIDATED");
      assertEquals(lab.count("/c"), 2);
    },
  );
});

Deno.test("createHttpProxy() answers a client's If-None-Match with 304 from the cache", async () => {
  await withLab(() => cached("max-age=60", "x", { etag: '"x"' }), async (lab) => {
    await lab.get("/c");
    const conditional = await lab.get("/c", { headers: { "if-none-match": '"x"' } });
    assertEquals([conditional.status, conditional.headers.get("x-cache")], [304, "HIT"]);
    assertEquals(lab.count("/c"), 1);
  });
});

Deno.test("createHttpProxy() keeps one variant per Vary header value", async () => {
  await withLab((req) =>
    cached("max-age=60", `lang=${req.headers.get("accept-language")}`, {
      vary: "Accept-Language",
    }), async (lab) => {
    const ask = (lang: string) => lab.get("/v", { headers: { "accept-language": lang } });
    const en1 = await ask("en"),
      es1 = await ask("es"),
      en2 = await ask("en"),
      es2 = await ask("es");
    assertEquals([en1.text, es1.text, en2.text, es2.text], [
      "lang=en",
      "lang=es",
      "lang=en",
      "lang=es",
    ]);
    assertEquals(
      [en1, es1, en2, es2].map((r) => r.headers.get("x-cache")),
      ["MISS", "MISS", "HIT", "HIT"],
    );
    assertEquals(lab.count("/v"), 2);
  });
});

Deno.test("createHttpProxy() puts Age and X-Cache on every response", async () => {
  await withLab((req) => {
    if (req.method === "POST") return new Response("posted", { status: 201 });
    return cached("max-age=60");
  }, async (lab) => {
    const responses = [
      await lab.get("/a"),
      await lab.get("/a"),
      await lab.get("/a", { method: "HEAD" }),
      await lab.get("/a", { method: "POST", body: "x" }),
      await lab.get("/a", { method: "PURGE" }),
    ];
    for (const r of responses) {
      assertTrue(/^\d+$/.test(r.headers.get("age") ?? ""), `Age on ${r.status}`);
      assertTrue(
        ["HIT", "MISS"].includes(r.headers.get("x-cache") ?? ""),
        `X-Cache on ${r.status}`,
      );
    }
    await lab.stopOrigin();
    const failed = await lab.get("/gone");
    assertEquals([failed.status, failed.headers.get("age"), failed.headers.get("x-cache")], [
      502,
      "0",
      "MISS",
    ]);
  });
});

Deno.test("createHttpProxy() answers HEAD from the cache without a body", async () => {
  await withLab(() => cached("max-age=60", "12345"), async (lab) => {
    await lab.get("/h");
    const head = await lab.get("/h", { method: "HEAD" });
    assertEquals([head.status, head.text, head.headers.get("x-cache")], [200, "", "HIT"]);
    assertEquals(head.headers.get("content-length"), "5");
    assertEquals(lab.count("/h"), 1);
  });
});

Deno.test("createHttpProxy() sends 100 concurrent misses to the origin as 1 fetch", async () => {
  const release = Promise.withResolvers<void>();
  let joined = 0;
  await withLab(async () => {
    await release.promise;
    return cached("max-age=60", "shared");
  }, async (lab) => {
    const answers = await within(
      10_000,
      Promise.all(Array.from({ length: 100 }, () => lab.get("/hot"))),
    );
    assertEquals(lab.count("/hot"), 1);
    assertTrue(answers.every((a) => a.status === 200 && a.text === "shared"));
    assertEquals(answers.filter((a) => a.headers.get("x-cache") === "MISS").length, 100);
    assertEquals(lab.proxy.stats().coalesced, 99);
  }, {
    onEvent: (event) => {
      if (event.type === "coalesce" && ++joined === 99) release.resolve();
    },
  });
});

Deno.test("createHttpProxy() never shares a private answer between coalesced requests", async () => {
  const release = Promise.withResolvers<void>();
  let joined = 0;
  await withLab(async (_req, seen) => {
    await release.promise;
    return cached("private, max-age=60", `for request ${seen.length}`);
  }, async (lab) => {
    const answers = await within(
      10_000,
      Promise.all(Array.from({ length: 5 }, () => lab.get("/me"))),
    );
    assertEquals(lab.count("/me"), 5);
    assertEquals(new Set(answers.map((a) => a.text)).size, 5);
  }, {
    onEvent: (event) => {
      if (event.type === "coalesce" && ++joined === 4) release.resolve();
    },
  });
});

Deno.test("createHttpProxy() evicts the least recently used responses by total bytes", async () => {
  await withLab(() => cached("max-age=60", "x".repeat(1000)), async (lab) => {
    await lab.get("/1");
    await lab.get("/2");
    await lab.get("/1");
    await lab.get("/3"); // over 3000 bytes: /2 goes
    assertEquals((await lab.get("/1")).headers.get("x-cache"), "HIT");
    assertEquals((await lab.get("/2")).headers.get("x-cache"), "MISS");
    const stats = lab.proxy.stats();
    assertTrue(stats.evictions >= 1 && stats.bytes <= 3000, JSON.stringify(stats));
    assertEquals(stats.entries, 2);
  }, { maxBytes: 3000 });
});

Deno.test("createHttpProxy() serves stale inside stale-if-error when the origin is down, then 502", async () => {
  await withLab(() => cached("max-age=1, stale-if-error=60", "old"), async (lab) => {
    await lab.get("/s");
    await lab.stopOrigin();
    lab.clock.advance(30);
    const stale = await lab.get("/s");
    assertEquals([stale.status, stale.text, stale.headers.get("x-cache")], [200, "old", "STALE"]);
    assertEquals(stale.headers.get("age"), "30");
    lab.clock.advance(60);
    const failed = await lab.get("/s");
    assertEquals([failed.status, failed.headers.get("content-type")], [502, "application/json"]);
    const problem = JSON.parse(failed.text);
    assertEquals(problem.url, "/s");
    assertTrue(problem.error.startsWith("Cannot reach origin"), problem.error);
  });
});

Deno.test("createHttpProxy() uses its configured stale-if-error window when the response sets none", async () => {
  await withLab(() => cached("max-age=1", "old"), async (lab) => {
    await lab.get("/d");
    await lab.stopOrigin();
    lab.clock.advance(20);
    assertEquals((await lab.get("/d")).headers.get("x-cache"), "STALE");
    lab.clock.advance(20);
    assertEquals((await lab.get("/d")).status, 502);
  }, { staleIfError: 30 });
});

Deno.test("createHttpProxy() serves stale on an origin 5xx inside the window, and relays it outside", async () => {
  await withLab(
    (_req, seen) =>
      seen.length === 1
        ? cached("max-age=1, stale-if-error=10", "good")
        : new Response("broken", { status: 500 }),
    async (lab) => {
      await lab.get("/f");
      lab.clock.advance(5);
      const stale = await lab.get("/f");
      assertEquals([stale.status, stale.text, stale.headers.get("x-cache")], [
        200,
        "good",
        "STALE",
      ]);
      lab.clock.advance(20);
      const relayed = await lab.get("/f");
      assertEquals([relayed.status, relayed.text, relayed.headers.get("x-cache")], [
        500,
        "broken",
        "MISS",
      ]);
    },
  );
});

Deno.test("createHttpProxy() never serves a must-revalidate response stale", async () => {
  await withLab(() => cached("max-age=1, must-revalidate"), async (lab) => {
    await lab.get("/m");
    await lab.stopOrigin();
    lab.clock.advance(2);
    assertEquals((await lab.get("/m")).status, 502);
  }, { staleIfError: 60 });
});

Deno.test("createHttpProxy() purges every variant of one URL with PURGE", async () => {
  await withLab(() => cached("max-age=60", "x", { vary: "accept-language" }), async (lab) => {
    await lab.get("/p", { headers: { "accept-language": "en" } });
    await lab.get("/p", { headers: { "accept-language": "es" } });
    await lab.get("/other");
    const purge = await lab.get("/p", { method: "PURGE" });
    assertEquals([purge.status, JSON.parse(purge.text)], [200, { purged: 2, url: "/p" }]);
    const after = await lab.get("/p", { headers: { "accept-language": "en" } });
    assertEquals(after.headers.get("x-cache"), "MISS");
    assertEquals((await lab.get("/other")).headers.get("x-cache"), "HIT");
    assertEquals(lab.proxy.purge("http://any.host/other"), 1);
  });
});

Deno.test("createHttpProxy() passes unsafe methods through and invalidates the URL", async () => {
  await withLab((req) => {
    if (req.method === "GET") return cached("max-age=60", "list");
    return new Response(`${req.method} done`, {
      status: req.method === "POST" ? 201 : 200,
      headers: req.method === "POST" ? { location: "/items/1" } : {},
    });
  }, async (lab) => {
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      await lab.get("/items");
      await lab.get("/items/1");
      assertEquals((await lab.get("/items")).headers.get("x-cache"), "HIT");
      const write = await lab.get("/items", {
        method,
        body: method === "DELETE" ? undefined : "{}",
      });
      assertEquals(write.text, `${method} done`);
      assertEquals((await lab.get("/items")).headers.get("x-cache"), "MISS");
    }
    const posts = lab.seen.filter((s) => s.method === "POST");
    assertEquals([posts.length, posts[0].body], [1, "{}"]);
    // The POST's Location (/items/1) was invalidated too.
    const itemFetches = lab.seen.filter((s) => s.path === "/items/1" && s.method === "GET").length;
    assertEquals(itemFetches, 2);
  });
});

Deno.test("createHttpProxy() does not store and does not share responses to Authorization requests", async () => {
  await withLab(() => cached("max-age=60", "secret"), async (lab) => {
    await lab.get("/me", { headers: { authorization: "Bearer a" } });
    await lab.get("/me", { headers: { authorization: "Bearer a" } });
    assertEquals(lab.count("/me"), 2);
    assertEquals(lab.proxy.stats().entries, 0);
  });
});

async function rawExchange(port: number, bytes: Uint8Array): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(bytes);
    const buffer = new Uint8Array(4096);
    let text = "";
    for (let i = 0; i < 100; i++) {
      let n: number | null;
      try {
        n = await conn.read(buffer);
      } catch {
        break; // reset by the server: fine, it refused the garbage
      }
      if (n === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
      if (text.includes("\r\n\r\n")) break;
    }
    return text;
  } finally {
    conn.close();
  }
}

Deno.test("createHttpProxy() survives malformed requests and keeps serving", async () => {
  await withLab(() => cached("max-age=60", "fine"), async (lab) => {
    const port = Number(new URL(lab.proxyUrl).port);
    const encoder = new TextEncoder();
    const garbage = [
      encoder.encode("GARBAGE\r\n\r\n"),
      encoder.encode("GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n"),
      encoder.encode("GET http://[::1 HTTP/1.1\r\nHost: x\r\n\r\n"),
      encoder.encode("GET /%zz%%/\u00ff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
      new Uint8Array([0, 1, 2, 255, 254, 13, 10, 13, 10]),
    ];
    for (const bytes of garbage) {
      const answer = await within(5000, rawExchange(port, bytes));
      assertTrue(/^(HTTP\/1\.1 (200|400) |$)/.test(answer), JSON.stringify(answer));
    }
    const odd = await lab.get("/x?q=%ZZ", {
      headers: { "cache-control": 'max-age=abc, ,,="', "if-modified-since": "yesterday" },
    });
    assertEquals(odd.status, 200);
    const ok = await lab.get("/x");
    assertEquals([ok.status, ok.text], [200, "fine"]);
  });
});

Deno.test("createHttpProxy() rejects an origin that is not an http(s) URL", () => {
  for (const origin of ["ftp://x", "not a url"]) {
    try {
      createHttpProxy(origin, { now: () => 0 });
      throw new Error("expected a TypeError");
    } catch (error) {
      assertTrue(error instanceof TypeError && error.message.includes(`"${origin}"`));
    }
  }
});

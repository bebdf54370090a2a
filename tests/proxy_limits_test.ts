/**
 * The HTTP proxy's bounds, over real sockets on 127.0.0.1: bodies it does not store are streamed
 * (the first bytes reach the client before the origin has sent the rest), objects over the size
 * limit are not stored, PURGE is restricted, `Set-Cookie` responses are not stored unless told
 * to, and its listener cuts off slow and oversized clients.
 * @module
 */
import { createHttpProxy, type HttpProxyOptions } from "../proxy/http_proxy.ts";
import { serveHttpProxy, type ServeHttpProxyOptions } from "../proxy/http_serve.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

const MB = 1024 * 1024;

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

interface Lab {
  readonly base: string;
  readonly port: number;
  readonly originRequests: () => number;
  readonly proxy: ReturnType<typeof createHttpProxy>;
}

async function withLab(
  handler: (request: Request) => Response,
  body: (lab: Lab) => Promise<void>,
  options: Omit<HttpProxyOptions, "now"> = {},
  listen: ServeHttpProxyOptions = {},
): Promise<void> {
  let count = 0;
  const origin = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    count++;
    return handler(request);
  });
  const proxy = createHttpProxy(`http://127.0.0.1:${origin.addr.port}`, {
    now: () => Date.now(),
    ...options,
  });
  const server = serveHttpProxy(proxy, listen);
  try {
    await body({
      base: `http://127.0.0.1:${server.addr.port}`,
      port: server.addr.port,
      originRequests: () => count,
      proxy,
    });
  } finally {
    await server.shutdown();
    await origin.shutdown();
  }
}

/** A body of `total` bytes made as it is read; `produced()` says how much was made so far. */
function hugeBody(total: number) {
  let produced = 0;
  const chunk = new Uint8Array(64 * 1024).fill(97);
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (produced >= total) return controller.close();
      produced += chunk.length;
      controller.enqueue(chunk.slice());
    },
  }, { highWaterMark: 0 });
  return { stream, produced: () => produced };
}

for (const cacheControl of ["no-store", "max-age=60"]) {
  Deno.test(`createHttpProxy() streams a 200 MB body (${cacheControl}): the first bytes arrive before the origin sent it all`, async () => {
    const total = 200 * MB;
    let body: ReturnType<typeof hugeBody> | undefined;
    await withLab(() => {
      body = hugeBody(total);
      return new Response(body.stream, { headers: { "cache-control": cacheControl } });
    }, async (lab) => {
      const response = await within(10_000, fetch(`${lab.base}/huge`));
      const reader = response.body!.getReader();
      const first = await within(10_000, reader.read());
      assertTrue(!first.done && first.value.length > 0, "no first bytes");
      const made = body!.produced();
      assertTrue(made < total, `the origin had made all ${made} bytes before the first arrived`);
      await reader.cancel();
      assertEquals(lab.proxy.stats().entries, 0);
    });
  });
}

for (const cacheControl of ["no-store", "max-age=60"]) {
  Deno.test(`createHttpProxy() relays the first bytes (${cacheControl}) while the origin holds back the rest`, async () => {
    const seen = Promise.withResolvers<void>();
    await withLab(() => {
      let pulls = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          pulls++;
          if (pulls === 1) return controller.enqueue(new TextEncoder().encode("first;"));
          await seen.promise; // the origin sends nothing more until the client saw "first;"
          controller.enqueue(new TextEncoder().encode("rest"));
          controller.close();
        },
      }, { highWaterMark: 0 });
      return new Response(body, { headers: { "cache-control": cacheControl } });
    }, async (lab) => {
      const response = await within(10_000, fetch(`${lab.base}/held`));
      const reader = response.body!.getReader();
      let text = "";
      for (let i = 0; i < 100 && !text.includes(";"); i++) {
        const read = await within(10_000, reader.read());
        if (read.done) break;
        text += new TextDecoder().decode(read.value);
      }
      assertEquals(text, "first;");
      seen.resolve();
      for (let i = 0; i < 100; i++) {
        const read = await within(10_000, reader.read());
        if (read.done) break;
        text += new TextDecoder().decode(read.value);
      }
      assertEquals(text, "first;rest");
      const again = await fetch(`${lab.base}/held`);
      assertEquals(await again.text(), "first;rest");
      assertEquals(again.headers.get("x-cache"), cacheControl === "no-store" ? "MISS" : "HIT");
    });
  });
}

Deno.test("createHttpProxy() streams and does not store responses over maxObjectBytes", async () => {
  await withLab((request) => {
    const chunked = new URL(request.url).pathname === "/chunked";
    const bytes = new Uint8Array(5000).fill(98);
    const body = chunked
      ? new ReadableStream({
        start(controller) {
          for (let i = 0; i < 5; i++) controller.enqueue(bytes.slice(i * 1000, (i + 1) * 1000));
          controller.close();
        },
      })
      : bytes;
    return new Response(body, { headers: { "cache-control": "max-age=60" } });
  }, async (lab) => {
    for (const path of ["/sized", "/chunked"]) {
      for (let i = 0; i < 2; i++) {
        const response = await fetch(lab.base + path);
        assertEquals((await response.arrayBuffer()).byteLength, 5000);
        assertEquals(response.headers.get("x-cache"), "MISS");
      }
    }
    assertEquals(lab.originRequests(), 4);
    assertEquals(lab.proxy.stats().entries, 0);
    const small = await fetch(`${lab.base}/sized`, { headers: { range: "bytes=0-9" } });
    assertEquals((await small.arrayBuffer()).byteLength, 5000); // the origin ignores Range
  }, { maxObjectBytes: 1000 });
});

Deno.test("createHttpProxy() stores concurrent streamed bodies only while their copies fit maxStoringBytes", async () => {
  const gate = Promise.withResolvers<void>();
  await withLab(() => {
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        // 100,000 bytes at once (over 64 KiB: streamed, not read whole), then 40,000 more once
        // both misses are in flight.
        if (++pulls === 1) return controller.enqueue(new Uint8Array(100_000).fill(100));
        await gate.promise;
        controller.enqueue(new Uint8Array(40_000).fill(100));
        controller.close();
      },
    }, { highWaterMark: 0 });
    return new Response(body, { headers: { "cache-control": "max-age=60" } });
  }, async (lab) => {
    const first = async (path: string) => {
      const response = await within(10_000, fetch(lab.base + path));
      const reader = response.body!.getReader();
      let got = 0;
      for (let i = 0; i < 1000 && got < 100_000; i++) {
        const read = await within(10_000, reader.read());
        if (read.done) break;
        got += read.value.length;
      }
      return { reader, got };
    };
    const rest = async ({ reader, got }: Awaited<ReturnType<typeof first>>) => {
      for (let i = 0; i < 1000; i++) {
        const read = await within(10_000, reader.read());
        if (read.done) break;
        got += read.value.length;
      }
      return got;
    };
    // /a's copy holds 100,000 bytes of the 150,000 allowed, so /b's cannot grow past 50,000: /b
    // streams on unstored, and /a, alone again, is stored whole (140,000).
    const a = await first("/a");
    const b = await first("/b");
    gate.resolve();
    assertEquals([await rest(a), await rest(b)], [140_000, 140_000]);
    const again = async (path: string) => {
      const response = await fetch(lab.base + path);
      assertEquals((await response.arrayBuffer()).byteLength, 140_000);
      return response.headers.get("x-cache");
    };
    assertEquals(await again("/a"), "HIT");
    assertEquals(await again("/b"), "MISS"); // alone now, within the bound: stored this time
    assertEquals(await again("/b"), "HIT");
    assertEquals(lab.originRequests(), 3);
  }, { maxObjectBytes: 150_000, maxStoringBytes: 150_000 });
});

Deno.test("createHttpProxy() stores a streamed body under maxObjectBytes and shares it with a waiting request", async () => {
  await withLab(() => {
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("part one, "));
        controller.enqueue(new TextEncoder().encode("part two"));
        controller.close();
      },
    });
    return new Response(body, { headers: { "cache-control": "max-age=60" } });
  }, async (lab) => {
    const [a, b] = await Promise.all([fetch(`${lab.base}/s`), fetch(`${lab.base}/s`)]);
    assertEquals([await a.text(), await b.text()], ["part one, part two", "part one, part two"]);
    const hit = await fetch(`${lab.base}/s`);
    assertEquals([await hit.text(), hit.headers.get("x-cache")], ["part one, part two", "HIT"]);
    assertEquals(lab.originRequests(), 1);
  });
});

Deno.test("createHttpProxy() lets only the purge token, or a loopback client without one, PURGE", async () => {
  const ok = () => new Response("x", { headers: { "cache-control": "max-age=60" } });
  await withLab(ok, async (lab) => {
    await (await fetch(`${lab.base}/p`)).text();
    const none = await fetch(`${lab.base}/p`, { method: "PURGE" });
    const wrong = await fetch(`${lab.base}/p`, {
      method: "PURGE",
      headers: { authorization: "Bearer nope" },
    });
    assertEquals([none.status, wrong.status], [403, 403]);
    assertTrue((await none.json()).error.includes("purge token"));
    await wrong.body?.cancel();
    const right = await fetch(`${lab.base}/p`, {
      method: "PURGE",
      headers: { authorization: "Bearer s3cret" },
    });
    assertEquals([right.status, (await right.json()).purged], [200, 1]);
  }, { purgeToken: "s3cret" });
  await withLab(ok, async (lab) => {
    await (await fetch(`${lab.base}/p`)).text();
    const remote = await lab.proxy.fetch(new Request("http://proxy.test/p", { method: "PURGE" }), {
      remoteAddr: { hostname: "192.0.2.7" },
    });
    assertEquals(remote.status, 403);
    await remote.body?.cancel();
    const local = await fetch(`${lab.base}/p`, { method: "PURGE" });
    assertEquals([local.status, (await local.json()).purged], [200, 1]);
  });
});

Deno.test("createHttpProxy() stores Set-Cookie responses only with cacheCookies", async () => {
  const cookie = () =>
    new Response("c", { headers: { "cache-control": "max-age=60", "set-cookie": "id=1" } });
  for (const cacheCookies of [false, true]) {
    await withLab(cookie, async (lab) => {
      await (await fetch(`${lab.base}/c`)).text();
      const second = await fetch(`${lab.base}/c`);
      await second.text();
      assertEquals(second.headers.get("x-cache"), cacheCookies ? "HIT" : "MISS");
      assertEquals(lab.originRequests(), cacheCookies ? 1 : 2);
    }, { cacheCookies });
  }
});

const encoder = new TextEncoder();

/** Reads until the server closes the connection (or `limit` bytes); returns what came. */
async function readToClose(conn: Deno.Conn, limit = 64 * 1024): Promise<string> {
  const buffer = new Uint8Array(4096);
  let text = "";
  for (let i = 0; i < 1000 && text.length < limit; i++) {
    let n: number | null;
    try {
      n = await conn.read(buffer);
    } catch (error) {
      if (error instanceof Deno.errors.ConnectionReset) break; // the server hung up
      throw error;
    }
    if (n === null) break;
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
  return text;
}

Deno.test("serveHttpProxy() cuts off a client that never finishes its request head (slowloris)", async () => {
  await withLab(
    () => new Response("fine"),
    async (lab) => {
      const slow = await Deno.connect({ hostname: "127.0.0.1", port: lab.port });
      try {
        await slow.write(encoder.encode("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "));
        const normal = await fetch(`${lab.base}/`);
        assertEquals(await normal.text(), "fine");
        assertEquals(await within(5_000, readToClose(slow)), "");
      } finally {
        slow.close();
      }
      const idle = await Deno.connect({ hostname: "127.0.0.1", port: lab.port });
      try {
        await idle.write(encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        const answer = await within(5_000, readToClose(idle));
        // Served, then closed by the idle deadline (the loop ends at the close).
        assertTrue(answer.startsWith("HTTP/1.1 200") && answer.includes("fine"), answer);
      } finally {
        idle.close();
      }
    },
    {},
    { headerTimeoutMs: 200, idleTimeoutMs: 300 },
  );
});

Deno.test("serveHttpProxy() caps connections, head size and body size (chunked too)", async () => {
  await withLab(
    () => new Response("ok"),
    async (lab) => {
      const held = await Promise.all(
        [1, 2].map(() => Deno.connect({ hostname: "127.0.0.1", port: lab.port })),
      );
      const third = await Deno.connect({ hostname: "127.0.0.1", port: lab.port });
      try {
        assertTrue((await within(5_000, readToClose(third))).startsWith("HTTP/1.1 503"));
      } finally {
        third.close();
        for (const conn of held) conn.close();
      }
    },
    {},
    { maxConnections: 2 },
  );
  await withLab(
    () => new Response("ok"),
    async (lab) => {
      const cases: [string, string][] = [
        ["POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n", "HTTP/1.1 413"],
        [
          "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
          "258\r\n" + "a".repeat(600) + "\r\n258\r\n" + "a".repeat(600) + "\r\n0\r\n\r\n",
          "HTTP/1.1 413",
        ],
        [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(70_000)}\r\n\r\n`, "HTTP/1.1 431"],
        [
          "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc",
          "HTTP/1.1 400",
        ],
      ];
      for (const [request, status] of cases) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: lab.port });
        try {
          await conn.write(encoder.encode(request)).catch((error) => {
            // The server may answer and hang up before it read everything: the answer still counts.
            if (
              !(error instanceof Deno.errors.BrokenPipe ||
                error instanceof Deno.errors.ConnectionReset)
            ) {
              throw error;
            }
          });
          const answer = await within(5_000, readToClose(conn));
          assertTrue(answer.startsWith(status), `${request.slice(0, 40)}: ${answer.slice(0, 60)}`);
        } finally {
          conn.close();
        }
      }
      const small = await fetch(`${lab.base}/a`, { method: "POST", body: "x".repeat(900) });
      assertEquals([small.status, await small.text()], [200, "ok"]);
    },
    {},
    { maxBodyBytes: 1000 },
  );
});

Deno.test("serveHttpProxy() cuts off a client trickling its body a byte at a time after one idle period", async () => {
  await withLab(
    () => new Response("never"),
    async (lab) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: lab.port });
      await conn.write(
        encoder.encode("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"),
      );
      let writes = 0;
      const trickle = setInterval(() => {
        // A byte every 20 ms (500 at most): always some progress, never 1 KiB per idle period.
        if (++writes > 500) clearInterval(trickle);
        else conn.write(new Uint8Array([97])).catch(() => clearInterval(trickle));
      }, 20);
      try {
        assertEquals(await within(5_000, readToClose(conn)), "");
        assertTrue(writes < 500, `cut off after ${writes} bytes`);
      } finally {
        clearInterval(trickle);
        conn.close();
      }
    },
    {},
    { idleTimeoutMs: 200 },
  );
});

Deno.test("serveHttpProxy() cuts off a client that does not read its response", async () => {
  const cancelled = Promise.withResolvers<void>();
  let produced = 0;
  await withLab(
    () => {
      const chunk = new Uint8Array(64 * 1024).fill(99);
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          // Bounded: 64 MiB at most, far more than the socket buffers between us and the client.
          if (produced >= 64 * MB) return controller.close();
          produced += chunk.length;
          controller.enqueue(chunk.slice());
        },
        cancel: () => cancelled.resolve(),
      }, { highWaterMark: 0 });
      return new Response(body, { headers: { "cache-control": "no-store" } });
    },
    async (lab) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: lab.port });
      try {
        await conn.write(encoder.encode("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
        // The client reads nothing; the proxy gives up on it and stops reading the origin.
        await within(10_000, cancelled.promise);
        assertTrue(produced < 64 * MB, `the origin made ${produced} bytes`);
      } finally {
        conn.close();
      }
    },
    {},
    { idleTimeoutMs: 200 },
  );
});

/**
 * `deno task lab proxy` as a user runs it: the HTTP proxy in front of the demo origin (`--serve
 * --origin-demo`), bad flags, and the Zipf workload on real OS processes over TCP.
 * @module
 */
import { UsageError } from "../lab/_common.ts";
import { runProxy } from "../lab/proxy/command.ts";
import { assertEquals, assertRejects, assertTrue } from "./_assert.ts";

Deno.test("runProxy() --serve --origin-demo caches the demo origin until stopped", async () => {
  const stop = new AbortController();
  const lines: string[] = [];
  const listening = Promise.withResolvers<{ proxy?: Deno.NetAddr }>();
  const running = runProxy(["--serve", "--origin-demo", "--listen", "127.0.0.1:0"], {
    signal: stop.signal,
    log: (line) => lines.push(line),
    onListen: listening.resolve,
  });
  try {
    const { proxy } = await listening.promise;
    const base = `http://127.0.0.1:${proxy?.port}`;
    const first = await fetch(`${base}/fresh`);
    const firstBody = await first.json();
    const second = await fetch(`${base}/fresh`);
    assertEquals(await second.json(), firstBody);
    assertEquals([first.headers.get("x-cache"), second.headers.get("x-cache")], ["MISS", "HIT"]);
    const purge = await fetch(`${base}/fresh`, { method: "PURGE" });
    assertEquals((await purge.json()).purged, 1);
    const missing = await fetch(`${base}/nope`);
    assertEquals([missing.status, (await missing.json()).url], [404, "/nope"]);
  } finally {
    stop.abort();
  }
  assertEquals(await running, 0);
  assertTrue(lines.some((l) => /^GET \/fresh 200 HIT \d+\.\d ms$/.test(l)), lines.join("\n"));
  assertTrue(lines.some((l) => l.startsWith("proxy: 1 hits")), lines.join("\n"));
});

Deno.test("runProxy() rejects --serve without an origin and a bad --listen", async () => {
  await assertRejects(() => runProxy(["--serve"]), UsageError, "--origin URL");
  await assertRejects(
    () => runProxy(["--serve", "--origin", "http://127.0.0.1:1", "--listen", "nowhere"]),
    UsageError,
    '--listen "nowhere"',
  );
  await assertRejects(() => runProxy(["--sim", "--zipf=-1"]), UsageError, '--zipf "-1"');
  await assertRejects(() => runProxy(["--sim", "--origin", "http://x"]), UsageError, "--serve");
});

Deno.test("runProxy() refuses --transport with --serve and --origin-demo, saying what to do", async () => {
  for (const mode of [["--serve", "--origin", "http://127.0.0.1:1"], ["--origin-demo"]]) {
    const error = await assertRejects(
      () => runProxy([...mode, "--listen", "127.0.0.1:0", "--transport", "udp"]),
      UsageError,
      "Cannot use --transport",
    );
    assertTrue(error.message.includes("drop --transport"), error.message);
  }
});

Deno.test("runProxy() runs the Zipf workload on real OS processes over TCP", async () => {
  const lines: string[] = [];
  const code = await runProxy(["--json", "--clients", "2", "--requests", "10"], {
    log: (line) => lines.push(line),
  });
  assertEquals(code, 0);
  const run = JSON.parse(lines[0]);
  assertEquals([run.transport, run.requests, run.errors], ["tcp", 20, 0]);
  assertEquals(run.withoutProxy.originRequests, 20);
  assertTrue(run.originRequests + run.hits <= 20, JSON.stringify(run));
});

Deno.test("runProxy() --serve --quiet logs no request lines and --purge-token guards PURGE", async () => {
  const stop = new AbortController();
  const lines: string[] = [];
  const listening = Promise.withResolvers<{ proxy?: Deno.NetAddr }>();
  const running = runProxy(
    ["--serve", "--origin-demo", "--listen", "127.0.0.1:0", "--quiet", "--purge-token", "t0k"],
    { signal: stop.signal, log: (line) => lines.push(line), onListen: listening.resolve },
  );
  try {
    const { proxy } = await listening.promise;
    const base = `http://127.0.0.1:${proxy?.port}`;
    await (await fetch(`${base}/fresh`)).text();
    await (await fetch(`${base}/fresh`)).text();
    const refused = await fetch(`${base}/fresh`, { method: "PURGE" });
    assertEquals(refused.status, 403);
    await refused.body?.cancel();
    const purged = await fetch(`${base}/fresh`, {
      method: "PURGE",
      headers: { authorization: "Bearer t0k" },
    });
    assertEquals((await purged.json()).purged, 1);
  } finally {
    stop.abort();
  }
  assertEquals(await running, 0);
  assertTrue(!lines.some((l) => /^GET \/fresh/.test(l)), lines.join("\n"));
  assertTrue(lines.some((l) => l.startsWith("proxy: 1 hits")), lines.join("\n"));
});

/**
 * `lab serve DIR` over real HTTP: the index lists the runs that `--out` wrote (architecture,
 * seed, flags, verdict, time) with working links to their artifacts.
 * @module
 */
import assert from "node:assert/strict";
import { startLabChild } from "./_child_url.ts";
import { runLab } from "./_lab.ts";

Deno.test("lab serve DIR lists two runs with their verdicts and serves their artifacts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "archlab-serve-" });
  try {
    const p2p = await runLab("p2p", "--sim", "--seed", "3", "--quiet", "--out", `${dir}/one`);
    assert.equal(p2p.code, 0, p2p.stderr);
    const cs = await runLab(
      "client-server",
      "--sim",
      "--drop",
      "0.1",
      "--quiet",
      "--out",
      `${dir}/two`,
    );
    assert.equal(cs.code, 0, cs.stderr);
    const server = await startLabChild(["serve", dir, "--port", "0"], {
      stream: "stdout",
      pattern: /http:\/\/127\.0\.0\.1:\d+\//,
    });
    try {
      const index = await (await fetch(server.url)).text();
      const rows = index.match(/<tr class="run[^]*?<\/tr>/g) ?? [];
      assert.equal(rows.length, 2, index);
      const two = rows.find((r) => r.includes("client-server"))!;
      assert.match(two, /<td class="verdict">ok<\/td>/);
      assert.match(two, /--drop 0\.1/);
      assert.match(rows.find((r) => r.includes("<td>p2p</td>"))!, /<td>3<\/td>/);
      const runs = await (await fetch(new URL("runs.json", server.url))).json();
      assert.deepEqual(runs.map((r: { name: string }) => r.name).sort(), ["one", "two"]);
      const link = /href="(two\/latency\.svg)"/.exec(two)?.[1];
      assert.ok(link, "a link to the latency plot");
      const svg = await fetch(new URL(link, server.url));
      assert.equal(svg.headers.get("content-type"), "image/svg+xml");
      assert.ok((await svg.text()).startsWith("<svg"));
      const hidden = await fetch(new URL("two/..%2F..%2Fetc", server.url));
      assert.equal(hidden.status, 404);
      await hidden.body?.cancel();
    } finally {
      assert.equal(await server.stop(), 0);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lab serve refuses a missing folder (exit 2)", async () => {
  const run = await runLab("serve", "/no/such/runs");
  assert.equal(run.code, 2);
  assert.match(run.stderr, /Cannot serve the runs in "\/no\/such\/runs"/);
});

Deno.test("lab --live leaves a simulated run's trace unchanged (same seed, same digest)", async () => {
  const args = ["client-server", "--sim", "--seed", "5", "--drop", "0.1", "--json"];
  const plain = await runLab(...args);
  assert.equal(plain.code, 0, plain.stderr);
  const live = await startLabChild([...args, "--live"], {
    stream: "stderr",
    pattern: /the live view stays up at http:\/\/127\.0\.0\.1:\d+\//,
  });
  assert.equal(await live.stop(), 0);
  const digest = (text: string) => JSON.parse(text).traceDigest;
  assert.equal(digest(await live.other()), digest(plain.stdout));
});

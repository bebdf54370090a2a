/**
 * Smoke test of the npm package under Node. `scripts/build_npm.ts` installs the packed package
 * into `dist/.cache/consumer/` and runs this file there (`node smoke_test.mjs`), so the bare
 * specifiers below resolve through the package's "exports" as they do for a user.
 *
 * Prints one `ok` line per check; exits with 1 on the first failure, or when a socket or
 * server is left open after the last check.
 * @module
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createConnection } from "node:net";

const watchdog = setTimeout(() => {
  console.error("smoke test: not finished after 30 s");
  process.exit(1);
}, 30_000);
watchdog.unref();

let passed = 0;
async function check(name, fn) {
  let note;
  try {
    note = await fn();
  } catch (error) {
    console.error(`FAIL ${name}`);
    console.error(error);
    process.exit(1);
  }
  passed++;
  console.log(`ok ${name}${note ? ` (${note})` : ""}`);
}

const hasSqlite = await import("node:sqlite").then(() => true, () => false);

await check("every entry point of the package loads, with or without node:sqlite", async () => {
  const pkg = JSON.parse(
    await readFile(new URL("./node_modules/archlab/package.json", import.meta.url), "utf8"),
  );
  const loaded = [];
  for (const key of Object.keys(pkg.exports)) {
    await import(key === "." ? "archlab" : `archlab/${key.slice(2)}`);
    loaded.push(key);
  }
  assert.ok(loaded.includes("./core"));
  return `loaded ${loaded.join(" ")}; node:sqlite ${hasSqlite ? "present" : "absent"}`;
});

const root = await import("archlab");
const core = await import("archlab/core");

await check("archlab re-exports archlab/core", () => {
  assert.equal(root.Simulator, core.Simulator);
  assert.equal(typeof core.listenFrames, "function");
});

/**
 * Two machines, `requests` request/replies; returns the replies and the trace digest.
 * tests/npm_build_test.ts runs the same scenario on Deno and compares the seed 7 digest.
 */
async function simulate(seed, drop, requests) {
  const sim = new core.Simulator({ seed, drop });
  sim.machine("m1.lab").spawn("kv", async (ctx) => {
    for (;;) {
      const request = await ctx.receive();
      await ctx.reply(request, { kind: "ok", value: request.body.n * 2 });
    }
  });
  const values = [];
  sim.machine("m2.lab").spawn("client", async (ctx) => {
    for (let n = 1; n <= requests; n++) {
      // 30 s fits the reliable channel under 30% loss (eight transmissions, 200 ms doubling).
      const reply = await ctx.request("kv@m1.lab", { kind: "get", n }, { timeout: 30_000 });
      values.push(reply.body.value);
    }
  });
  await sim.run({ until: 60_000 });
  return { values, digest: sim.trace.digest() };
}

await check("Simulator request/reply between two machines", async () => {
  const { values } = await simulate(1, 0, 3);
  assert.deepEqual(values, [2, 4, 6]);
});

await check("Simulator: the same seed gives the same trace digest", async () => {
  const a = await simulate(7, 0.3, 10);
  const b = await simulate(7, 0.3, 10);
  const c = await simulate(8, 0.3, 10);
  assert.deepEqual(a.values, [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
  assert.match(a.digest, /^[0-9a-f]{64}$/);
  assert.equal(a.digest, b.digest);
  assert.notEqual(a.digest, c.digest);
  return `seed 7 digest ${a.digest}`;
});

await check("listenFrames() echoes 1 MiB and small frames in order over TCP", async () => {
  const server = core.listenFrames({ onFrame: (payload, conn) => conn.send(payload) });
  assert.equal(server.hostname, "127.0.0.1");
  assert.ok(server.port > 0);
  const big = new Uint8Array(1 << 20).map((_, i) => i % 251);
  const received = [];
  let resolve;
  const done = new Promise((r) => resolve = r);
  const client = await core.FrameConnection.connect(server.hostname, server.port, {
    onFrame: (payload) => received.push(payload.slice()) === 3 && resolve(),
  });
  client.send(new Uint8Array([1]));
  client.send(big);
  client.send(new Uint8Array([3]));
  await done;
  assert.deepEqual(received[0], new Uint8Array([1]));
  assert.deepEqual(received[1], big);
  assert.deepEqual(received[2], new Uint8Array([3]));
  await client.close();
  await server.close();
});

await check("listenFrames() answers a plain node:net client", async () => {
  const server = core.listenFrames({ onFrame: (payload, conn) => conn.send(payload) });
  const socket = createConnection({ host: server.hostname, port: server.port });
  socket.write(new Uint8Array([0, 0, 0, 2, 104, 105]));
  const chunks = [];
  for await (const chunk of socket) {
    chunks.push(chunk);
    if (Buffer.concat(chunks).length >= 6) break;
  }
  assert.deepEqual([...Buffer.concat(chunks)], [0, 0, 0, 2, 104, 105]);
  socket.destroy();
  await server.close();
});

await check("FrameConnection.connect() to a closed port rejects, naming the address", async () => {
  const server = core.listenFrames({});
  const port = server.port;
  await server.close();
  await assert.rejects(
    core.FrameConnection.connect("127.0.0.1", port),
    (error) =>
      error.message ===
        `Cannot connect to 127.0.0.1:${port}: connection refused (is a server listening there?)`,
  );
});

await check("listenFrames() on a taken port throws AddrInUse", async () => {
  const server = core.listenFrames({});
  assert.throws(
    () => core.listenFrames({ port: server.port }),
    (error) => error.name === "AddrInUse" && error.message.includes(String(server.port)),
  );
  await server.close();
});

await check("two machines request/reply over TCP (TcpNetwork)", async () => {
  const endpoints = new Map();
  const make = async (name) => {
    const runtime = core.createRealRuntime({ seed: 1 });
    const directory = new core.Directory((m) => endpoints.get(m), { now: runtime.now });
    const network = new core.TcpNetwork({ directory, runtime });
    const machine = new core.Machine(name, { runtime, network });
    const { hostname, port } = await network.listen(machine);
    endpoints.set(name, `${hostname}:${port}`);
    return { machine, network };
  };
  const a = await make("m1.lab");
  const b = await make("m2.lab");
  let resolve;
  const got = new Promise((r) => resolve = r);
  b.machine.spawn("kv", async (ctx) => {
    const request = await ctx.receive();
    await ctx.reply(request, { kind: "ok", value: request.body.n * 2 });
  });
  a.machine.spawn("client", async (ctx) => {
    resolve((await ctx.request("kv@m2.lab", { kind: "get", n: 21 })).body.value);
  });
  assert.equal(await got, 42);
  a.machine.shutdown();
  b.machine.shutdown();
  await a.network.close();
  await b.network.close();
});

const proxy = await import("archlab/proxy");

await check("serveHttpProxy(): the caching proxy over HTTP, a MISS then a HIT", async () => {
  const origin = proxy.serveHttpProxy(proxy.createDemoOrigin({ now: () => Date.now() }));
  const cache = proxy.createHttpProxy(`http://127.0.0.1:${origin.addr.port}`, {
    now: () => Date.now(),
  });
  const server = proxy.serveHttpProxy(cache);
  const url = `http://127.0.0.1:${server.addr.port}/fresh`;
  const first = await fetch(url);
  assert.equal(first.status, 200);
  assert.equal(first.headers.get("x-cache"), "MISS");
  assert.equal((await first.json()).path, "/fresh");
  const second = await fetch(url);
  assert.equal(second.headers.get("x-cache"), "HIT");
  assert.equal((await second.json()).path, "/fresh");
  const posted = await fetch(`http://127.0.0.1:${server.addr.port}/counter`, {
    method: "POST",
    body: "x",
  });
  assert.ok(posted.status < 500, `POST /counter answered ${posted.status}`);
  await posted.body?.cancel();
  await server.shutdown();
  await origin.shutdown();
});

await check("archlab/peers: simulateGossip() converges", async () => {
  const peers = await import("archlab/peers");
  const outcome = await peers.simulateGossip({ peers: 20, mode: "push-pull", seed: 3 });
  assert.ok(outcome.converged);
  assert.equal(outcome.live, 20);
});

await check(
  "archlab/tiers/client-server: at-most-once in the simulator, no SQLite needed",
  async () => {
    const { Simulator } = core;
    const { kvServer } = await import("archlab/tiers/client-server");
    const sim = new Simulator({ seed: 1 });
    sim.machine("m1.lab").spawn("kv", kvServer());
    let executed = -1;
    sim.machine("m2.lab").spawn("c1", async (ctx) => {
      const put = { kind: "put", key: "x", value: "1", rid: "c1-1" };
      await ctx.request("kv@m1.lab", put);
      await ctx.request("kv@m1.lab", put);
      executed = (await ctx.request("kv@m1.lab", { kind: "stats" })).body.executed;
    });
    await sim.run();
    assert.equal(executed, 1);
  },
);

await check(
  `archlab/tiers/three-tier: the data store ${
    hasSqlite ? "opens" : "names node:sqlite when it is missing"
  }`,
  async () => {
    const { LibraryStore } = await import("archlab/tiers/three-tier");
    if (hasSqlite) {
      const store = new LibraryStore(":memory:");
      const loan = await store.run("borrow", { bookId: 4, member: "ada", maxLoans: 3 }, "t1");
      assert.equal(loan.title, "Frankenstein");
      store.close();
    } else {
      assert.throws(() => new LibraryStore(":memory:"), {
        name: "TypeError",
        message: /node:sqlite is not available/,
      });
    }
  },
);

console.log(`smoke test: ${passed} checks passed on Node ${process.version}`);
setTimeout(() => {
  console.error("smoke test: still running 5 s after the last check; open resources:");
  console.error(process.getActiveResourcesInfo().join(", "));
  process.exit(1);
}, 5_000).unref();

/**
 * Authentication across a receiver's restart, over real sockets: frames recorded on the wire
 * before a server restarts (six PUTs) are written again to the restarted server by a plain
 * socket; each is refused as stale (bound to the old incarnation), none runs again, and the
 * client's new requests are served by the restarted server.
 * @module
 */
import { type Host, startHost } from "../core/network/host.ts";
import { Trace } from "../core/trace.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

/** Safety net only: a test still waiting after this long fails instead of hanging. */
const LIMIT_MS = 20_000;
const AUTH = { key: "archlab test key: 32 bytes or more of secret" };

/** A TCP proxy that forwards to `target()` and records every byte its clients write. */
function recordingProxy(target: () => string): {
  endpoint: string;
  recorded: Uint8Array[];
  close(): Promise<void>;
} {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const recorded: Uint8Array[] = [];
  const conns = new Set<Deno.Conn>();
  const pipes: Promise<void>[] = [];
  const pipe = async (from: Deno.Conn, to: Deno.Conn, record: boolean) => {
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (let i = 0; i < 1_000_000; i++) {
        const n = await from.read(buffer);
        if (n === null) break;
        if (record) recorded.push(buffer.slice(0, n));
        await to.write(buffer.subarray(0, n));
      }
    } catch {
      // One side closed: the other is closed below.
    }
    for (const conn of [from, to]) {
      if (conns.delete(conn)) conn.close();
    }
  };
  const accepting = (async () => {
    for await (const client of listener) {
      const [hostname, port] = target().split(":");
      const server = await Deno.connect({ hostname, port: Number(port) });
      conns.add(client).add(server);
      pipes.push(pipe(client, server, true), pipe(server, client, false));
    }
  })();
  const { port } = listener.addr as Deno.NetAddr;
  let closed = false;
  return {
    endpoint: `127.0.0.1:${port}`,
    recorded,
    async close() {
      if (closed) return;
      closed = true;
      listener.close();
      for (const conn of conns) conn.close();
      conns.clear();
      await accepting.catch((error) => {
        // A client that came while the target was down, or the listener closed under accept().
        const expected = error instanceof Deno.errors.ConnectionRefused ||
          error instanceof Deno.errors.BadResource;
        if (!expected) throw error;
      });
      await Promise.all(pipes);
    },
  };
}

/** Machine m1.lab with a key-value process that records every PUT it executes. */
async function kvServer(trace: Trace, executed: string[]): Promise<Host> {
  const host = await startHost("m1.lab", { resolve: () => undefined, auth: AUTH, trace });
  host.machine.spawn("kv", async (ctx) => {
    for (;;) {
      const request = await ctx.receive<{ key: string }>();
      executed.push(`${host.machine.epoch}:${request.body.key}`);
      await ctx.reply(request, { ok: request.body.key });
    }
  });
  return host;
}

function within<T>(done: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting for ${what}`)), LIMIT_MS);
  });
  return Promise.race([done, limit]).finally(() => clearTimeout(timer));
}

function framed(text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, 4);
  return out;
}

Deno.test("startHost({ auth }): frames recorded before the server restarts are refused after it, and the client is served by the restarted server", async () => {
  const executed: string[] = [];
  const trace = new Trace();
  let server = await kvServer(trace, executed);
  const first = server;
  let serverEndpoint = server.endpoint;
  const proxy = recordingProxy(() => serverEndpoint);
  let route = proxy.endpoint;
  const client = await startHost("m2.lab", {
    resolve: (machine) => machine === "m1.lab" ? route : undefined,
    ttl: 0,
    auth: AUTH,
  });
  try {
    const put = (key: string) => {
      const done = Promise.withResolvers<unknown>();
      client.machine.spawn(`put-${key}`, async (ctx) => {
        done.resolve((await ctx.request("kv@m1.lab", { key }, { timeout: 15_000 })).body);
      });
      return within(client.watch(done.promise), `the answer to ${key}`);
    };
    for (let i = 0; i < 6; i++) assertEquals(await put(`p${i}`), { ok: `p${i}` });
    const oldEpoch = first.machine.epoch;
    assertEquals(executed, [0, 1, 2, 3, 4, 5].map((i) => `${oldEpoch}:p${i}`));
    assertTrue(proxy.recorded.length > 0, "nothing was recorded");

    // The server restarts: a new machine m1.lab (a new incarnation) on a new port.
    await first.close();
    await proxy.close();
    server = await kvServer(trace, executed);
    assertTrue(server.machine.epoch > oldEpoch, "a restart has a newer epoch");
    serverEndpoint = route = server.endpoint;

    // The attacker writes every recorded byte again (the hello as m2.lab and all its frames),
    // then one garbage frame: frames on one connection are taken in order, so when the garbage
    // is refused, every replayed frame has been judged.
    const judged = Promise.withResolvers<void>();
    const stop = trace.listen((event) => {
      if (event.note?.startsWith("malformed frame")) judged.resolve();
    });
    const [hostname, port] = server.endpoint.split(":");
    const attacker = await Deno.connect({ hostname, port: Number(port) });
    try {
      for (const chunk of proxy.recorded) await attacker.write(chunk);
      await attacker.write(framed("end of replay"));
      await within(judged.promise, "the replay to be judged");
    } finally {
      stop();
      attacker.close();
    }
    const stats = server.auth!;
    assertTrue(stats.rejected.stale >= 6, JSON.stringify(stats));
    assertEquals([stats.accepted, stats.rejected.replay, stats.rejected["bad-mac"]], [0, 0, 0]);
    assertEquals(executed.length, 6, `re-executed: ${executed.join()}`);

    // Normal traffic: the client's next PUT reaches the restarted server and runs once there.
    assertEquals(await put("p6"), { ok: "p6" });
    assertEquals(executed.slice(6), [`${server.machine.epoch}:p6`]);
    assertTrue(server.auth!.accepted >= 1);
  } finally {
    await client.close();
    await server.close();
    await proxy.close();
  }
});

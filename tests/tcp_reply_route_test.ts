/**
 * Replies travel back over the connection a request came in on: a server machine whose directory
 * knows nobody answers any machine that reached it, over real loopback sockets. Replies, plain
 * sends, the reliable channel's acks and the credits of a bounded mailbox all take that way.
 * @module
 */
import { type Host, startHost } from "../core/network/host.ts";
import { assertEquals, assertTrue } from "./_assert.ts";
import { within } from "./_host_pair.ts";

/** What a wait that never ends means here. */
const HINT = "a frame found no way back";

/** A server that knows nobody, and a client whose directory knows only the server. */
async function pair(): Promise<{ server: Host; client: Host; close(): Promise<void> }> {
  const server = await startHost("m1.lab", { resolve: () => undefined, seed: 1 });
  const client = await startHost("m2.lab", {
    resolve: (machine) => machine === "m1.lab" ? server.endpoint : undefined,
    seed: 2,
  });
  return {
    server,
    client,
    async close() {
      await client.close();
      await server.close();
    },
  };
}

Deno.test("TcpNetwork answers a machine it cannot resolve over the connection that machine opened", async () => {
  const { server, client, close } = await pair();
  try {
    server.machine.spawn("kv", async (ctx) => {
      const store = new Map<string, number>();
      for (let i = 0; i < 3; i++) {
        const request = await ctx.receive<{ key: string; value?: number }>();
        if (request.body.value !== undefined) store.set(request.body.key, request.body.value);
        await ctx.reply(request, { value: store.get(request.body.key) ?? null });
      }
      // Not a reply: a new message to a process of the machine that reached this one.
      await ctx.send("inbox@m2.lab", { kind: "notice", text: "served 3 requests" });
    });
    const notice = Promise.withResolvers<unknown>();
    client.machine.spawn("inbox", async (ctx) => notice.resolve((await ctx.receive()).body));
    const replies = Promise.withResolvers<unknown[]>();
    client.machine.spawn("client", async (ctx) => {
      const got: unknown[] = [];
      for (const body of [{ key: "x", value: 1 }, { key: "x", value: 2 }, { key: "x" }]) {
        got.push((await ctx.request("kv@m1.lab", body, { timeout: 10_000 })).body);
      }
      replies.resolve(got);
    });
    assertEquals(await within([server, client], replies.promise, HINT), [
      { value: 1 },
      { value: 2 },
      { value: 2 },
    ]);
    assertEquals(await within([server, client], notice.promise, HINT), {
      kind: "notice",
      text: "served 3 requests",
    });
    // Every frame the server wrote (replies, the notice) found its way; none was lost.
    assertEquals(server.network.stats.dropped, 0);
    assertTrue(client.network.stats.received >= 4, JSON.stringify(client.network.stats));
  } finally {
    await close();
  }
});

Deno.test("TcpNetwork returns a bounded mailbox's credits over the incoming connection", async () => {
  const { server, client, close } = await pair();
  try {
    const taken = Promise.withResolvers<number[]>();
    server.machine.spawn("sink", async (ctx) => {
      const got: number[] = [];
      for (let i = 0; i < 20; i++) got.push((await ctx.receive<number>()).body);
      taken.resolve(got);
    }, { capacity: 2 });
    client.machine.spawn("source", async (ctx) => {
      // Each send needs a credit the server grants as its mailbox frees: without a way back,
      // the third send would wait forever.
      for (let i = 0; i < 20; i++) await ctx.send("sink@m1.lab", i);
    });
    assertEquals(
      await within([server, client], taken.promise, HINT),
      Array.from({ length: 20 }, (_, i) => i),
    );
    // One-way messages: the server's acks and credits went back, and none was lost.
    assertEquals(server.network.stats.dropped, 0);
    assertTrue(server.network.stats.frames > 0, JSON.stringify(server.network.stats));
  } finally {
    await close();
  }
});

Deno.test("TcpNetwork still drops frames to a machine that never reached it", async () => {
  const { server, close } = await pair();
  try {
    const failed = Promise.withResolvers<string>();
    server.machine.spawn("lonely", async (ctx) => {
      try {
        await ctx.request("kv@m9.lab", { kind: "get" }, { timeout: 300 });
        failed.resolve("answered");
      } catch (error) {
        failed.resolve((error as Error).name);
      }
    });
    assertEquals(await within([server], failed.promise, HINT), "TimeoutError");
    assertTrue(server.network.stats.dropped > 0, "the request had nowhere to go");
  } finally {
    await close();
  }
});

/**
 * Tests for the bounds of the presentation tier's HTTP server over real loopback sockets: a
 * chunked body past the limit is answered 413 while the client still holds the rest of it, a
 * client that never finishes its head is cut off, and connections past the cap get a 503.
 * @module
 */
import assert from "node:assert/strict";
import { Directory } from "../core/directory.ts";
import { Machine } from "../core/machine.ts";
import { TcpNetwork } from "../core/network/tcp_network.ts";
import { createRealRuntime } from "../core/real_runtime.ts";
import { MAX_BODY_BYTES } from "../tiers/three_tier/presentation_app.ts";
import { presentationTier } from "../tiers/three_tier/presentation_tier.ts";

const encoder = new TextEncoder();

/** A presentation tier alone on a real machine (no logic tier: the bounds come first). */
async function presentation(args: Record<string, unknown> = {}) {
  const runtime = createRealRuntime({ seed: 1 });
  const network = new TcpNetwork({ directory: new Directory(() => undefined), runtime });
  const machine = new Machine("web.lab", { runtime, network });
  await network.listen(machine);
  const listening = Promise.withResolvers<string>();
  machine.spawn("collector", async (ctx) => {
    const message = await ctx.receive<{ url: string }>();
    listening.resolve(message.body.url);
  });
  const program = presentationTier({ port: 0, collector: "collector@web.lab", ...args });
  const ended = Promise.withResolvers<void>();
  machine.spawn("http", async (ctx) => {
    try {
      await program(ctx);
    } finally {
      ended.resolve();
    }
  });
  const url = new URL(await listening.promise);
  return {
    port: Number(url.port),
    async stop(): Promise<void> {
      machine.spawn("stopper", (ctx) => ctx.send("http@web.lab", { kind: "stop" }));
      await ended.promise;
      machine.shutdown();
      await network.close();
    },
  };
}

/** What {@link readUntil} got, and how it stopped. */
interface Read {
  readonly text: string;
  /** `found`: the text arrived; `closed`: the server closed first; `guard`: 10 s passed. */
  readonly end: "found" | "closed" | "guard";
}

/**
 * Reads from `socket` until `text` has arrived or the server closes it, in at most 1,000 reads
 * and 10 s (then the socket is closed, and what arrived so far is returned).
 */
async function readUntil(socket: Deno.Conn, text: string): Promise<Read> {
  const buffer = new Uint8Array(16 * 1024);
  let got = "";
  let guarded = false;
  const guard = setTimeout(() => {
    guarded = true;
    socket.close();
  }, 10_000);
  try {
    for (let i = 0; i < 1000; i++) {
      if (got.includes(text)) return { text: got, end: "found" };
      const count = await socket.read(buffer);
      if (count === null) break;
      got += new TextDecoder().decode(buffer.subarray(0, count));
    }
  } catch (error) {
    if (
      !(error instanceof Deno.errors.BadResource || error instanceof Deno.errors.ConnectionReset)
    ) {
      throw error;
    }
  } finally {
    clearTimeout(guard);
  }
  return { text: got, end: guarded ? "guard" : "closed" };
}

/** Closes `socket` unless {@link readUntil}'s guard already did. */
function close(socket: Deno.Conn): void {
  try {
    socket.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}

Deno.test("presentationTier() answers a chunked POST past the body limit with 413 before it ends", async () => {
  const server = await presentation();
  const socket = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    await socket.write(encoder.encode(
      "POST /api/loans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
        "Transfer-Encoding: chunked\r\n\r\n",
    ));
    // Twice the limit in 16 KiB chunks; the last chunk is never sent while we wait.
    const chunk = "x".repeat(16 * 1024);
    const framed = encoder.encode(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    for (let sent = 0; sent <= 2 * MAX_BODY_BYTES; sent += chunk.length) {
      await socket.write(framed);
    }
    const answer = await readUntil(socket, "}");
    assert.equal(answer.end, "found");
    assert.match(answer.text, /^HTTP\/1\.1 413 /);
    assert.match(answer.text, /over 65536 bytes/);
  } finally {
    close(socket);
    await server.stop();
  }
});

Deno.test("presentationTier() cuts off a client that never finishes its request head (slowloris)", async () => {
  const server = await presentation({ headerTimeoutMs: 100 });
  const slow = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    await slow.write(encoder.encode("GET /api HTTP/1.1\r\nHost: x\r\n"));
    assert.deepEqual(await readUntil(slow, "HTTP"), { text: "", end: "closed" });
  } finally {
    close(slow);
    await server.stop();
  }
});

Deno.test("presentationTier() closes connections past maxConnections with 503", async () => {
  const server = await presentation({ maxConnections: 2 });
  const held: Deno.Conn[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      held.push(await Deno.connect({ hostname: "127.0.0.1", port: server.port }));
    }
    // The two held connections are accepted in order; make sure the server has them open.
    await held[0].write(encoder.encode("GET /api HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert.match((await readUntil(held[0], "routes")).text, /^HTTP\/1\.1 200 /);
    await held[1].write(encoder.encode("GET /api HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert.match((await readUntil(held[1], "routes")).text, /^HTTP\/1\.1 200 /);
    const extra = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    held.push(extra);
    const answer = await readUntil(extra, "\u0000");
    assert.equal(answer.end, "closed");
    assert.match(answer.text, /^HTTP\/1\.1 503 /);
    assert.match(answer.text, /more than 2 connections/);
  } finally {
    for (const socket of held) close(socket);
    await server.stop();
  }
});

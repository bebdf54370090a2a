/**
 * Tests for the bounds of the presentation tier's HTTP server over real loopback sockets: a
 * chunked body past the limit is answered 413 while the client still holds the rest of it.
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

/**
 * Reads from `socket` until `text` has arrived or the stream ends, in at most 1,000 reads and
 * 10 s (then the socket is closed, and what arrived so far is returned).
 */
async function readUntil(socket: Deno.Conn, text: string): Promise<string> {
  const buffer = new Uint8Array(16 * 1024);
  let got = "";
  const guard = setTimeout(() => socket.close(), 10_000);
  try {
    for (let i = 0; i < 1000 && !got.includes(text); i++) {
      const count = await socket.read(buffer);
      if (count === null) break;
      got += new TextDecoder().decode(buffer.subarray(0, count));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  } finally {
    clearTimeout(guard);
  }
  return got;
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
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /"code":"too-large"/);
    assert.match(answer, /larger than 65536 bytes/);
  } finally {
    try {
      socket.close();
    } catch {
      // Closed by readUntil's guard.
    }
    await server.stop();
  }
});

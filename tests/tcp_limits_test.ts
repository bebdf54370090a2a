/**
 * Tests for the bounds of the frame listener (`core/network/tcp_transport.ts`) over real loopback
 * sockets: many connections holding unfinished frames stay within the listener's budget, extra
 * connections past the cap are closed, and a header or a frame that trickles in is cut off by
 * the header and idle timeouts, while a connection quiet between frames is left alone; a
 * machine's TcpNetwork passes its limits on to its listener.
 * @module
 */
import { Directory } from "../core/directory.ts";
import { Machine } from "../core/machine.ts";
import { writeFrameHeader } from "../core/network/frame.ts";
import { TcpNetwork } from "../core/network/tcp_network.ts";
import { createRealRuntime } from "../core/real_runtime.ts";
import { ConnectionLimitError, FrameBudget } from "../core/network/tcp_transport.ts";
import { FrameConnection, listenFrames } from "../core/network/tcp_transport.ts";
import { assertEquals, assertThrows, assertTrue } from "./_assert.ts";

/** Resolves when the peer has closed `socket` (EOF or reset), after at most `limit` reads. */
async function peerClosed(socket: Deno.Conn, limit = 1000): Promise<boolean> {
  const buffer = new Uint8Array(4096);
  for (let i = 0; i < limit; i++) {
    try {
      if (await socket.read(buffer) === null) return true;
    } catch (error) {
      if (error instanceof Deno.errors.ConnectionReset) return true;
      throw error;
    }
  }
  return false;
}

/** A header declaring `length` bytes, then the first `sent` payload bytes. */
function unfinishedFrame(length: number, sent: number): Uint8Array {
  const bytes = new Uint8Array(4 + sent).fill(7);
  writeFrameHeader(bytes, 0, length);
  return bytes;
}

/** Collects ConnectionLimitErrors; `count(n)` resolves once n have been reported. */
function limitErrors() {
  const errors: ConnectionLimitError[] = [];
  const others: Error[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  return {
    errors,
    others,
    onError(error: Error): void {
      if (error instanceof ConnectionLimitError) errors.push(error);
      else others.push(error);
      for (const waiter of waiters) if (errors.length >= waiter.n) waiter.resolve();
    },
    count(n: number): Promise<void> {
      const { promise, resolve } = Promise.withResolvers<void>();
      if (errors.length >= n) resolve();
      else waiters.push({ n, resolve });
      return promise;
    },
  };
}

Deno.test("listenFrames() keeps the unfinished frames of many connections within maxBuffered and closes those past it", async () => {
  const length = 60_000; // allocated whole on its first payload bytes (below 64 KiB)
  const limits = limitErrors();
  const frames: number[] = [];
  const { promise: allFrames, resolve } = Promise.withResolvers<void>();
  const server = listenFrames({
    maxFrame: length,
    maxBuffered: 200_000, // three unfinished frames fit, a fourth does not
    onFrame: (payload) => frames.push(payload.length) === 3 && resolve(),
    onError: (error) => {
      assertTrue(server.buffered <= 200_000, `buffered ${server.buffered} within the budget`);
      limits.onError(error);
    },
  });
  const clients: Deno.TcpConn[] = [];
  try {
    for (let i = 0; i < 10; i++) {
      const client = await Deno.connect({ hostname: server.hostname, port: server.port });
      clients.push(client);
      await client.write(unfinishedFrame(length, length - 1));
    }
    await limits.count(7);
    assertEquals(limits.others, []);
    assertEquals(limits.errors.map((error) => error.reason), Array(7).fill("budget"));
    assertEquals(limits.errors[0].limit, 200_000);
    assertEquals(server.buffered, 3 * length);
    // The refused ones are closed; the three that fit finish their frames with the last byte.
    const refused = new Set(limits.errors.map((error) => error.peer));
    const port = (client: Deno.TcpConn) => `127.0.0.1:${client.localAddr.port}`;
    const kept = clients.filter((client) => !refused.has(port(client)));
    assertEquals(kept.length, 3);
    for (const client of clients.filter((client) => refused.has(port(client)))) {
      assertTrue(await peerClosed(client), `refused ${port(client)} is closed`);
    }
    for (const client of kept) await client.write(new Uint8Array([7]));
    await allFrames;
    assertEquals(frames, [length, length, length]);
    assertEquals(server.buffered, 0);
  } finally {
    for (const client of clients) client.close();
    await server.close();
  }
});

Deno.test("listenFrames() closes connections past maxConnections at once and counts them", async () => {
  const limits = limitErrors();
  const server = listenFrames({ maxConnections: 4, onFrame: () => {}, onError: limits.onError });
  const clients: Deno.TcpConn[] = [];
  try {
    for (let i = 0; i < 6; i++) {
      clients.push(await Deno.connect({ hostname: server.hostname, port: server.port }));
    }
    await limits.count(2);
    assertEquals(limits.errors.map((error) => [error.reason, error.limit]), [
      ["connections", 4],
      ["connections", 4],
    ]);
    assertEquals(server.refused, 2);
    assertEquals(server.connections.size, 4);
    const refused = new Set(limits.errors.map((error) => error.peer));
    for (const client of clients) {
      if (refused.has(`127.0.0.1:${client.localAddr.port}`)) {
        assertTrue(await peerClosed(client), "a refused client sees its connection closed");
      }
    }
  } finally {
    for (const client of clients) client.close();
    await server.close();
  }
});

Deno.test("listenFrames() closes a slowloris connection trickling a frame after one idle window", async () => {
  const limits = limitErrors();
  const server = listenFrames({ idleTimeout: 200, onFrame: () => {}, onError: limits.onError });
  const client = await Deno.connect({ hostname: server.hostname, port: server.port });
  let writes = 0;
  const trickle = setInterval(() => {
    // One byte every 20 ms (bounded: 500 at most), far below 1,024 bytes per window.
    if (++writes > 500) clearInterval(trickle);
    else client.write(new Uint8Array([1])).catch(() => clearInterval(trickle));
  }, 20);
  try {
    await client.write(unfinishedFrame(100_000, 0));
    await limits.count(1);
    const [error] = limits.errors;
    assertEquals([error.reason, error.limit], ["idle-timeout", 200]);
    assertTrue(error.received! < 1024, `received ${error.received} bytes in the window`);
    assertTrue(await peerClosed(client), "the slowloris connection is closed");
    assertEquals(server.connections.size, 0);
    assertEquals(server.buffered, 0);
  } finally {
    clearInterval(trickle);
    client.close();
    await server.close();
  }
});

Deno.test("listenFrames() closes a connection whose header stalls, and leaves one quiet between frames", async () => {
  const limits = limitErrors();
  const server = listenFrames({
    headerTimeout: 100,
    idleTimeout: 100,
    onFrame: (payload, conn) => conn.send(payload),
    onError: limits.onError,
  });
  const echoes: string[] = [];
  let echoed = Promise.withResolvers<void>();
  const quiet = await FrameConnection.connect(server.hostname, server.port, {
    onFrame: (payload) => {
      echoes.push(new TextDecoder().decode(payload));
      echoed.resolve();
    },
  });
  const stalled = await Deno.connect({ hostname: server.hostname, port: server.port });
  try {
    quiet.send(new TextEncoder().encode("before"));
    await echoed.promise;
    echoed = Promise.withResolvers<void>();
    await stalled.write(new Uint8Array([0, 0])); // half a header, then nothing
    await limits.count(1);
    assertEquals(limits.errors.map((error) => [error.reason, error.limit]), [
      ["header-timeout", 100],
    ]);
    assertTrue(await peerClosed(stalled), "the stalled connection is closed");
    // The quiet connection outlived the header timeout and the idle window: it still works.
    quiet.send(new TextEncoder().encode("after"));
    await echoed.promise;
    assertEquals(echoes, ["before", "after"]);
    assertEquals(limits.errors.length, 1);
  } finally {
    stalled.close();
    await quiet.close();
    await server.close();
  }
});

Deno.test("listenFrames() refuses limits that cannot work before binding", () => {
  assertThrows(
    () => listenFrames({ maxFrame: 100, maxBuffered: 99, onFrame: () => {} }),
    RangeError,
  );
  assertThrows(() => listenFrames({ maxConnections: 0, onFrame: () => {} }), RangeError);
  assertThrows(() => listenFrames({ idleTimeout: -1, onFrame: () => {} }), RangeError);
  assertThrows(() => new FrameBudget(-1), RangeError);
});

Deno.test("TcpNetwork passes its limits to its listener: a connection past maxConnections is closed", async () => {
  const runtime = createRealRuntime({ seed: 1 });
  const network = new TcpNetwork({
    directory: new Directory(() => undefined),
    runtime,
    limits: { maxConnections: 1 },
  });
  const machine = new Machine("m1.lab", { runtime, network });
  const { hostname, port } = await network.listen(machine);
  const first = await Deno.connect({ hostname, port });
  const second = await Deno.connect({ hostname, port });
  const logged = console.error;
  const refused = Promise.withResolvers<string>();
  console.error = (...args: unknown[]) => {
    const line = args.join(" ");
    if (line.includes("Cannot accept connection")) refused.resolve(line);
  };
  try {
    assertTrue(await peerClosed(second), "the second connection is closed");
    assertTrue((await refused.promise).includes("at its cap of 1 open connections"));
  } finally {
    console.error = logged;
    first.close();
    second.close();
    machine.shutdown();
    await network.close();
  }
});

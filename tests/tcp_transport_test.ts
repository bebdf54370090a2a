/**
 * Tests for framed TCP (`core/network/tcp_transport.ts`) and the `lab echo` command over real loopback
 * sockets: boundaries kept, many concurrent clients, a bad client isolated, plain socket clients
 * answered, write coalescing and partial writes (with a scripted socket).
 * @module
 */
import { encodeFrame, FrameError } from "../core/network/frame.ts";
import {
  FrameConnection,
  type FrameListener,
  type FrameSocket,
  listenFrames,
} from "../core/network/tcp_transport.ts";
import { runEcho } from "../lab/echo/command.ts";
import { assertEquals, assertRejects, assertThrows, assertTrue } from "./_assert.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function echoServer(options: { maxFrame?: number; onError?: (e: Error) => void } = {}) {
  return listenFrames({
    maxFrame: options.maxFrame,
    onFrame: (payload, conn) => conn.send(payload),
    onError: options.onError,
  });
}

/** Collects `count` frames; `done` resolves with copies of them. */
function collector(count: number) {
  const frames: Uint8Array[] = [];
  const { promise: done, resolve } = Promise.withResolvers<Uint8Array[]>();
  if (count === 0) resolve(frames);
  return {
    frames,
    done,
    onFrame(payload: Uint8Array): void {
      if (frames.push(payload.slice()) === count) resolve(frames);
    },
  };
}

/** Reads exactly `length` bytes, or fewer if the stream ends first. */
async function readExactly(socket: Deno.Conn, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const count = await socket.read(out.subarray(got));
    if (count === null) break;
    got += count;
  }
  return out.subarray(0, got);
}

/** Resolves when the peer has closed `socket` (EOF or reset), after at most `limit` reads. */
async function waitForPeerClose(socket: Deno.Conn, limit = 1000): Promise<boolean> {
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

async function freePort(): Promise<number> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  await Promise.resolve();
  return port;
}

async function withServer(
  server: FrameListener,
  body: (server: FrameListener) => Promise<void>,
): Promise<void> {
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

Deno.test("listenFrames() keeps boundaries: 10 messages of 100 bytes arrive as 10 frames", async () => {
  const received = collector(20);
  await withServer(listenFrames({ onFrame: received.onFrame }), async (server) => {
    const messages = Array.from({ length: 10 }, (_, i) => new Uint8Array(100).fill(i));
    const client = await FrameConnection.connect(server.hostname, server.port);
    for (const message of messages) client.send(message);
    await client.flush();
    // The same ten frames again, packed by hand into one write by a plain socket.
    const socket = await Deno.connect({ hostname: server.hostname, port: server.port });
    const wire = new Uint8Array(messages.length * 104);
    messages.forEach((message, i) => wire.set(encodeFrame(message), i * 104));
    assertEquals(await socket.write(wire), wire.length);
    const frames = await received.done;
    assertEquals(frames.length, 20);
    assertTrue(frames.every((frame) => frame.length === 100), "no frame merged or split");
    const byFirstByte = (a: Uint8Array, b: Uint8Array) => a[0] - b[0];
    assertEquals(frames.slice(0, 10).sort(byFirstByte), messages);
    assertEquals(frames.slice(10).sort(byFirstByte), messages);
    socket.close();
    await client.close();
  });
});

Deno.test("listenFrames() serves 50 concurrent clients, each getting its own echoes", async () => {
  let connections = 0;
  const server = listenFrames({
    onFrame: (payload, conn) => conn.send(payload),
    onConnection: () => connections++,
  });
  await withServer(server, async () => {
    const perClient = 20;
    const clients = await Promise.all(Array.from({ length: 50 }, async (_, id) => {
      const echoes = collector(perClient);
      const conn = await FrameConnection.connect(server.hostname, server.port, {
        onFrame: echoes.onFrame,
      });
      for (let i = 0; i < perClient; i++) conn.send(encoder.encode(`client ${id} message ${i}`));
      return { id, conn, echoes };
    }));
    for (const { id, conn, echoes } of clients) {
      const expected = Array.from({ length: perClient }, (_, i) => `client ${id} message ${i}`);
      assertEquals((await echoes.done).map((frame) => decoder.decode(frame)), expected);
      await conn.close();
    }
    assertEquals(connections, 50);
  });
});

Deno.test("listenFrames() closes only the connection that sends a too-large frame", async () => {
  const errors: Error[] = [];
  const { promise: reported, resolve } = Promise.withResolvers<void>();
  const server = echoServer({
    maxFrame: 1024,
    onError: (error) => resolve(void errors.push(error)),
  });
  await withServer(server, async () => {
    const echoes = collector(2);
    const good = await FrameConnection.connect(server.hostname, server.port, {
      onFrame: echoes.onFrame,
    });
    good.send(encoder.encode("before"));
    const bad = await Deno.connect({ hostname: server.hostname, port: server.port });
    await bad.write(new Uint8Array([0xff, 0xff, 0xff, 0xff, ...encoder.encode("garbage")]));
    await reported;
    assertTrue(await waitForPeerClose(bad), "the bad client's connection is closed");
    bad.close();
    good.send(encoder.encode("after"));
    assertEquals((await echoes.done).map((frame) => decoder.decode(frame)), ["before", "after"]);
    assertEquals(errors.length, 1);
    const error = errors[0] as FrameError;
    assertTrue(error instanceof FrameError, String(error));
    assertEquals([error.reason, error.length, error.max], ["too-large", 0xffffffff, 1024]);
    assertEquals(server.connections.size, 1);
    await good.close();
  });
});

Deno.test("listenFrames() reports a frame truncated by the client closing mid-payload", async () => {
  const { promise: reported, resolve } = Promise.withResolvers<Error>();
  await withServer(echoServer({ onError: resolve }), async (server) => {
    const socket = await Deno.connect({ hostname: server.hostname, port: server.port });
    await socket.write(encodeFrame(new Uint8Array(100)).subarray(0, 14));
    socket.close();
    const error = await reported as FrameError;
    assertTrue(error instanceof FrameError, String(error));
    assertEquals([error.reason, error.length, error.received], ["truncated", 100, 10]);
  });
});

Deno.test("listenFrames() answers a plain socket client that frames UTF-8 by hand", async () => {
  await withServer(echoServer(), async (server) => {
    const socket = await Deno.connect({ hostname: server.hostname, port: server.port });
    const text = encoder.encode("waku waku ✓");
    const request = new Uint8Array(4 + text.length);
    new DataView(request.buffer).setUint32(0, text.length);
    request.set(text, 4);
    await socket.write(request);
    const reply = await readExactly(socket, request.length);
    assertEquals(new DataView(reply.buffer).getUint32(0), text.length);
    assertEquals(decoder.decode(reply.subarray(4)), "waku waku ✓");
    socket.close();
  });
});

Deno.test("listenFrames() delivers 10,000 pipelined frames in order", async () => {
  const count = 10_000;
  const received = collector(count);
  await withServer(listenFrames({ onFrame: received.onFrame }), async (server) => {
    const client = await FrameConnection.connect(server.hostname, server.port);
    for (let i = 0; i < count; i++) client.send(encoder.encode(String(i)));
    await client.flush();
    const frames = await received.done;
    assertEquals(frames.map((frame) => Number(decoder.decode(frame))), [...Array(count).keys()]);
    await client.close();
  });
});

Deno.test("listenFrames() close() closes every open connection", async () => {
  const server = echoServer();
  const closes: string[] = [];
  const clients = await Promise.all(
    [1, 2, 3].map((i) =>
      FrameConnection.connect(server.hostname, server.port, {
        onClose: () => closes.push(`client ${i}`),
      })
    ),
  );
  const echoes = collector(1);
  const last = await FrameConnection.connect(server.hostname, server.port, {
    onFrame: echoes.onFrame,
  });
  last.send(encoder.encode("ping"));
  await echoes.done; // every connection has been accepted by now
  await server.close();
  await Promise.all(clients.map((client) => client.closed));
  await last.closed;
  assertEquals(closes.sort(), ["client 1", "client 2", "client 3"]);
  assertEquals(server.connections.size, 0);
  assertThrows(() => last.send(encoder.encode("late")), Error, "is closed");
});

Deno.test("listenFrames() reports an exception thrown by onFrame and closes that connection", async () => {
  const { promise: reported, resolve } = Promise.withResolvers<Error>();
  const server = listenFrames({
    onFrame: () => {
      throw new Error("handler bug");
    },
    onError: resolve,
  });
  await withServer(server, async () => {
    const client = await FrameConnection.connect(server.hostname, server.port);
    client.send(new Uint8Array(1));
    assertEquals((await reported).message, "handler bug");
    await client.closed;
  });
});

Deno.test("FrameConnection.connect() rejects with ConnectionRefused naming the address", async () => {
  const port = await freePort();
  await assertRejects(
    () => FrameConnection.connect("127.0.0.1", port),
    Deno.errors.ConnectionRefused,
    `Cannot connect to 127.0.0.1:${port}: connection refused`,
  );
});

Deno.test("FrameConnection.send() throws RangeError above maxFrame and after close()", async () => {
  await withServer(echoServer(), async (server) => {
    const client = await FrameConnection.connect(server.hostname, server.port, { maxFrame: 8 });
    assertThrows(
      () => client.send(new Uint8Array(9)),
      RangeError,
      "length 9 exceeds the maximum 8",
    );
    await client.close();
    assertThrows(() => client.send(new Uint8Array(1)), Error, "Cannot send frame");
    await client.flush(); // nothing was pending
  });
});

/** A scripted socket: records writes, lets the test decide how much each write takes. */
class ScriptedSocket implements FrameSocket {
  readonly remoteAddr: Deno.Addr = { transport: "tcp", hostname: "10.0.0.1", port: 7 };
  readonly writes: Uint8Array[] = [];
  readonly #pendingRead = Promise.withResolvers<number | null>();
  #gates: PromiseWithResolvers<void>[] = [];

  constructor(readonly maxWrite = Infinity, readonly gated = false) {}

  read(): Promise<number | null> {
    return this.#pendingRead.promise;
  }

  async write(bytes: Uint8Array): Promise<number> {
    const taken = bytes.slice(0, Math.min(bytes.length, this.maxWrite));
    this.writes.push(taken);
    if (this.gated) {
      const gate = Promise.withResolvers<void>();
      this.#gates.push(gate);
      await gate.promise;
    }
    return taken.length;
  }

  /** Completes the oldest write still in flight. */
  release(): void {
    this.#gates.shift()?.resolve();
  }

  close(): void {
    this.#pendingRead.resolve(null);
  }
}

Deno.test("FrameConnection.send() coalesces frames sent while a write is in flight", async () => {
  const socket = new ScriptedSocket(Infinity, true);
  const conn = new FrameConnection(socket);
  assertEquals(conn.remote, "10.0.0.1:7");
  conn.send(encoder.encode("first"));
  await Promise.resolve(); // the write starts in a microtask
  assertEquals(socket.writes.length, 1);
  for (let i = 0; i < 100; i++) conn.send(encoder.encode(`pipelined ${i}`));
  assertEquals(socket.writes.length, 1, "nothing written while the first write is in flight");
  const flushed = conn.flush();
  socket.release();
  for (let i = 0; i < 10 && socket.writes.length < 2; i++) await Promise.resolve();
  assertEquals(socket.writes.length, 2, "all 100 frames leave in one write");
  const expected = Array.from(
    { length: 100 },
    (_, i) => encodeFrame(encoder.encode(`pipelined ${i}`)),
  );
  assertEquals(socket.writes[1], new Uint8Array(expected.flatMap((frame) => [...frame])));
  socket.release();
  await flushed;
  await conn.close();
});

Deno.test("FrameConnection.send() finishes partial writes", async () => {
  const socket = new ScriptedSocket(3);
  const conn = new FrameConnection(socket);
  const payloads = ["a", "", "partial writes", "z"].map((text) => encoder.encode(text));
  for (const payload of payloads) conn.send(payload);
  await conn.flush();
  assertTrue(socket.writes.every((write) => write.length <= 3), "the socket took 3 bytes a call");
  const written = new Uint8Array(socket.writes.flatMap((write) => [...write]));
  assertEquals(written, new Uint8Array(payloads.flatMap((payload) => [...encodeFrame(payload)])));
  await conn.close();
});

Deno.test("runEcho() serves a plain socket client until its signal aborts", async () => {
  const stop = new AbortController();
  const { promise: listening, resolve } = Promise.withResolvers<string>();
  const lines: string[] = [];
  const exit = runEcho(["--listen", "127.0.0.1:0"], {
    signal: stop.signal,
    log: (line) => lines.push(line) === 1 && resolve(line),
  });
  const match = /^echo: listening on 127\.0\.0\.1:(\d+)$/.exec(await listening);
  assertTrue(match, `unexpected first line ${lines[0]}`);
  const socket = await Deno.connect({ hostname: "127.0.0.1", port: Number(match[1]) });
  const request = encodeFrame(encoder.encode("waku waku"));
  await socket.write(request);
  assertEquals(await readExactly(socket, request.length), request);
  socket.close();
  stop.abort();
  assertEquals(await exit, 0);
  assertEquals(lines.at(-1), "echo: stopped");
});

Deno.test("runEcho() --connect prints each echo and returns 0", async () => {
  await withServer(echoServer(), async (server) => {
    const lines: string[] = [];
    const args = [
      "--connect",
      `127.0.0.1:${server.port}`,
      "--message",
      "waku waku",
      "--count",
      "3",
    ];
    assertEquals(await runEcho(args, { log: (line) => lines.push(line) }), 0);
    assertEquals(lines.slice(0, 3), ["waku waku", "waku waku", "waku waku"]);
    assertTrue(lines[3].startsWith(`echo: 3 echoes from 127.0.0.1:${server.port} in `), lines[3]);
  });
});

Deno.test("runEcho() returns 1 and names the address when the connection is refused", async () => {
  const port = await freePort();
  const errors: string[] = [];
  const code = await runEcho(["--connect", `127.0.0.1:${port}`, "--message", "hi"], {
    error: (line) => errors.push(line),
  });
  assertEquals(code, 1);
  assertEquals(errors, [
    `echo: Cannot connect to 127.0.0.1:${port}: connection refused (is a server listening there?)`,
  ]);
});

Deno.test("runEcho() returns 2 for bad arguments and 0 for --help", async () => {
  const bad = [
    ["--bogus"],
    [],
    ["--listen", "127.0.0.1:1", "--connect", "127.0.0.1:2"],
    ["--listen", "nowhere"],
    ["--connect", "127.0.0.1:4444"],
    ["--connect", "127.0.0.1:4444", "--message", "hi", "--count", "0"],
    ["stray"],
  ];
  for (const args of bad) {
    const errors: string[] = [];
    assertEquals(await runEcho(args, { error: (line) => errors.push(line) }), 2, args.join(" "));
    assertTrue(errors[0].startsWith("echo: ") && errors[0].includes("--listen HOST:PORT"));
  }
  const lines: string[] = [];
  assertEquals(await runEcho(["--help"], { log: (line) => lines.push(line) }), 0);
  assertTrue(lines[0].startsWith("Usage:"));
});

Deno.test("runEcho() as a program echoes to a plain socket and exits 0 on SIGINT", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../lab/echo/command.ts", import.meta.url).pathname,
      "--listen",
      ":0",
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let output = "";
    for (let i = 0; i < 100 && !output.includes("\n"); i++) {
      const { value, done } = await lines.read();
      if (done) break;
      output += value;
    }
    const match = /^echo: listening on 127\.0\.0\.1:(\d+)\n/.exec(output);
    assertTrue(match, `unexpected output ${JSON.stringify(output)}`);
    const socket = await Deno.connect({ hostname: "127.0.0.1", port: Number(match[1]) });
    const request = encodeFrame(encoder.encode("waku waku"));
    await socket.write(request);
    assertEquals(await readExactly(socket, request.length), request);
    socket.close();
    child.kill("SIGINT");
    assertEquals((await child.status).code, 0);
    let rest = "";
    for (let i = 0; i < 100; i++) {
      const { value, done } = await lines.read();
      if (done) break;
      rest += value;
    }
    assertEquals(rest, "echo: stopped\n");
  } finally {
    await lines.cancel().catch(() => {});
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await child.status;
  }
});

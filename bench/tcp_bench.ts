/**
 * Framed TCP against raw `Deno.connect` loops on loopback, in the same run. Frames are 68 bytes
 * (a 4-byte length and a 64-byte payload).
 *
 * - "tcp one-at-a-time": 10,000 frames one way per iteration, one `write` per frame. Baseline:
 *   a raw write loop and a raw reader counting bytes. Candidate: `send` + `flush` per frame to a
 *   `listenFrames` receiver that decodes and counts frames.
 * - "tcp pipelined": 10,000 frames one way per iteration. Baseline: a raw loop writing 16 frames
 *   per `write`. Candidate: `send` per frame without awaiting (coalesced), then one `flush`.
 * - "tcp request/reply": one round trip per iteration on one connection (so the p99 column is a
 *   round trip's p99). Baseline: raw write then read of 68 bytes against a raw echo loop.
 *   Candidate: `send`, then await the echo from a `listenFrames` echo server.
 * - "tcp request/reply x16": the same over 16 connections at once (16 round trips an iteration).
 * - "machines over tcp one-way": 2,000 asynchronous sends per iteration from a process on one
 *   host to a process on another (`startHost` on 127.0.0.1, reliable channel, trace off), into
 *   an unbounded mailbox and into bounded ones (credits). Baseline: the raw write loop, one write
 *   per frame, for 2,000 frames.
 *
 * Run with `deno bench -A bench/tcp_bench.ts`.
 *
 * @module
 */
import { encodeFrame } from "../core/network/frame.ts";
import { startHost } from "../core/network/host.ts";
import {
  FrameConnection,
  type FrameListener,
  listenFrames,
} from "../core/network/tcp_transport.ts";

const FRAMES = 10_000;
const BATCH = 16;
const CONNECTIONS = 16;
const PAYLOAD = new Uint8Array(64).fill(7);
const FRAME = encodeFrame(PAYLOAD);
const PACKED = new Uint8Array(FRAME.length * BATCH);
for (let i = 0; i < BATCH; i++) PACKED.set(FRAME, i * FRAME.length);

/** Counts arrivals and wakes one waiter when a target is reached. */
class Tally {
  count = 0;
  #target = Infinity;
  #wake: () => void = () => {};

  add(amount: number): void {
    this.count += amount;
    if (this.count >= this.#target) {
      this.#target = Infinity;
      this.#wake();
    }
  }

  /** Resets the count and resolves once `target` more have arrived. */
  expect(target: number): Promise<void> {
    this.count = 0;
    this.#target = target;
    return new Promise((resolve) => this.#wake = resolve);
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length;) offset += await conn.write(bytes.subarray(offset));
}

/** A raw connected pair: the test writes to `client`; `serve` runs on the accepted side. */
async function rawPair(serve: (server: Deno.TcpConn) => Promise<void>): Promise<Deno.TcpConn> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [client, server] = await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    listener.accept(),
  ]);
  listener.close();
  client.setNoDelay(true);
  server.setNoDelay(true);
  serve(server).catch(() => {}).finally(() => server.close());
  return client;
}

/** Raw reader counting bytes into `tally`. */
function rawSink(tally: Tally): Promise<Deno.TcpConn> {
  return rawPair(async (server) => {
    const buffer = new Uint8Array(64 * 1024);
    for (let count; (count = await server.read(buffer)) !== null;) tally.add(count);
  });
}

/** Raw echo loop: writes back whatever it reads. */
function rawEcho(): Promise<Deno.TcpConn> {
  return rawPair(async (server) => {
    const buffer = new Uint8Array(64 * 1024);
    for (let count; (count = await server.read(buffer)) !== null;) {
      await writeAll(server, buffer.subarray(0, count));
    }
  });
}

async function rawRoundTrip(conn: Deno.Conn, reply: Uint8Array): Promise<void> {
  await writeAll(conn, FRAME);
  for (let got = 0; got < reply.length;) {
    const count = await conn.read(reply.subarray(got));
    if (count === null) throw new Error("Cannot read reply: the raw echo server closed");
    got += count;
  }
}

/** A framed client whose `ask` sends one frame and resolves with the next frame received. */
async function framedAsker(server: FrameListener) {
  let answer: () => void = () => {};
  const conn = await FrameConnection.connect(server.hostname, server.port, {
    onFrame: () => answer(),
  });
  return {
    conn,
    ask(): Promise<void> {
      const reply = new Promise<void>((resolve) => answer = resolve);
      conn.send(PAYLOAD);
      return reply;
    },
  };
}

// Shared fixtures, opened once for the whole run.
const rawTally = new Tally();
const rawWriter = await rawSink(rawTally);
const framedTally = new Tally();
const sink = listenFrames({ onFrame: () => framedTally.add(1) });
const framedWriter = await FrameConnection.connect(sink.hostname, sink.port);
const echo = listenFrames({ onFrame: (payload, conn) => conn.send(payload) });
const rawEchoClients = await Promise.all(Array.from({ length: CONNECTIONS }, rawEcho));
const framedAskers = await Promise.all(
  Array.from({ length: CONNECTIONS }, () => framedAsker(echo)),
);
const replies = rawEchoClients.map(() => new Uint8Array(FRAME.length));

Deno.bench({
  name: "raw: one write per frame",
  group: "tcp one-at-a-time",
  baseline: true,
  async fn() {
    const arrived = rawTally.expect(FRAMES * FRAME.length);
    for (let i = 0; i < FRAMES; i++) await writeAll(rawWriter, FRAME);
    await arrived;
  },
});

Deno.bench({
  name: "FrameConnection: send + flush per frame",
  group: "tcp one-at-a-time",
  async fn() {
    const arrived = framedTally.expect(FRAMES);
    for (let i = 0; i < FRAMES; i++) {
      framedWriter.send(PAYLOAD);
      await framedWriter.flush();
    }
    await arrived;
  },
});

Deno.bench({
  name: "raw: 16 frames per write",
  group: "tcp pipelined",
  baseline: true,
  async fn() {
    const arrived = rawTally.expect(FRAMES * FRAME.length);
    for (let i = 0; i < FRAMES; i += BATCH) await writeAll(rawWriter, PACKED);
    await arrived;
  },
});

Deno.bench({
  name: "FrameConnection: send per frame, coalesced",
  group: "tcp pipelined",
  async fn() {
    const arrived = framedTally.expect(FRAMES);
    for (let i = 0; i < FRAMES; i++) framedWriter.send(PAYLOAD);
    await framedWriter.flush();
    await arrived;
  },
});

Deno.bench({
  name: "raw: write, read 68 bytes",
  group: "tcp request/reply",
  baseline: true,
  async fn() {
    await rawRoundTrip(rawEchoClients[0], replies[0]);
  },
});

Deno.bench({
  name: "FrameConnection: send, await echo",
  group: "tcp request/reply",
  async fn() {
    await framedAskers[0].ask();
  },
});

Deno.bench({
  name: "raw: 16 connections, one round trip each",
  group: "tcp request/reply x16",
  baseline: true,
  async fn() {
    await Promise.all(rawEchoClients.map((conn, i) => rawRoundTrip(conn, replies[i])));
  },
});

Deno.bench({
  name: "FrameConnection: 16 connections, one round trip each",
  group: "tcp request/reply x16",
  async fn() {
    await Promise.all(framedAskers.map((asker) => asker.ask()));
  },
});

const SENDS = 2_000;
const hostEndpoints = new Map<string, string>();
const hosts = await Promise.all(["m1.lab", "m2.lab"].map(async (name) => {
  const host = await startHost(name, { resolve: (m) => hostEndpoints.get(m), seed: 1 });
  hostEndpoints.set(name, host.endpoint);
  return host;
}));
let round = 0;

/** One round of SENDS asynchronous sends from m2 to a fresh receiver on m1. */
function acrossHosts(capacity: number): Promise<void> {
  const done = Promise.withResolvers<void>();
  const rx = `rx${++round}`;
  hosts[0].machine.spawn(rx, async (ctx) => {
    for (let i = 0; i < SENDS; i++) await ctx.receive();
    done.resolve();
  }, { capacity });
  hosts[1].machine.spawn(`tx${round}`, async (ctx) => {
    for (let i = 0; i < SENDS; i++) await ctx.send(`${rx}@m1.lab`, i);
  });
  return done.promise;
}

Deno.bench({
  name: "raw: one write per frame, 2,000 frames",
  group: "machines over tcp one-way",
  baseline: true,
  async fn() {
    const arrived = rawTally.expect(SENDS * FRAME.length);
    for (let i = 0; i < SENDS; i++) await writeAll(rawWriter, FRAME);
    await arrived;
  },
});

for (const [name, capacity] of [["unbounded", Infinity], ["capacity 64", 64], ["capacity 4", 4]]) {
  Deno.bench({
    name: `two hosts, 2,000 sends, ${name}`,
    group: "machines over tcp one-way",
    async fn() {
      await acrossHosts(capacity as number);
    },
  });
}

// Close every fixture after the last bench so the run ends cleanly.
globalThis.addEventListener("beforeunload", () => {
  for (const host of hosts) void host.close();
  rawWriter.close();
  for (const conn of rawEchoClients) conn.close();
  void Promise.all([
    framedWriter.close(),
    ...framedAskers.map(({ conn }) => conn.close()),
    sink.close(),
    echo.close(),
  ]);
});

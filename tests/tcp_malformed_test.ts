/**
 * Hostile bytes over a real socket: a plain TCP client says hello as a machine and then writes
 * hand-made malformed frames to a real host. Each is refused with its reason in the trace and
 * counted; no process dies, the connection stays open, and the process goes on serving.
 * @module
 */
import { type Host, startHost } from "../core/network/host.ts";
import { Trace } from "../core/trace.ts";
import { assertEquals, assertTrue } from "./_assert.ts";
import { BAD_FRAMES, GOOD_ENV } from "./_malformed_frames.ts";
import { within } from "./_host_pair.ts";

/** Safety net only: a test still waiting after this long fails instead of hanging. */
const LIMIT_MS = 20_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function framed(text: string): Uint8Array {
  const payload = encoder.encode(text);
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, 4);
  return out;
}

/** Reads length-prefixed frames from `conn` until `wanted` accepts one (bounded in time). */
async function readUntil(
  conn: Deno.TcpConn,
  wanted: (frame: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  let buffered = new Uint8Array(0);
  const chunk = new Uint8Array(64 * 1024);
  const timer = setTimeout(() => conn.close(), LIMIT_MS);
  try {
    for (let reads = 0; reads < 10_000; reads++) {
      while (buffered.length >= 4) {
        const length = new DataView(buffered.buffer, buffered.byteOffset).getUint32(0);
        if (buffered.length < 4 + length) break;
        const frame = JSON.parse(decoder.decode(buffered.subarray(4, 4 + length)));
        buffered = buffered.slice(4 + length);
        if (wanted(frame)) return frame;
      }
      const n = await conn.read(chunk);
      if (n === null) throw new Error("the host closed the connection");
      const next = new Uint8Array(buffered.length + n);
      next.set(buffered);
      next.set(chunk.subarray(0, n), buffered.length);
      buffered = next;
    }
    throw new Error("no such frame after 10,000 reads");
  } finally {
    clearTimeout(timer);
  }
}

/** A host m1.lab with a key-value process that serves requests until the host closes. */
async function kvHost(trace: Trace): Promise<Host> {
  const host = await startHost("m1.lab", { resolve: () => undefined, seed: 1, trace });
  host.machine.spawn("kv", async (ctx) => {
    const store = new Map<string, unknown>([["x", 7]]);
    for (;;) {
      const request = await ctx.receive<{ kind: string; key: string; value?: unknown }>();
      if (request.body.kind === "put") store.set(request.body.key, request.body.value);
      await ctx.reply(request, { value: store.get(request.body.key) ?? null });
    }
  });
  return host;
}

Deno.test("TcpNetwork refuses every malformed frame from a plain socket with its reason, and the process serves a good request after them", async () => {
  const trace = new Trace();
  const server = await kvHost(trace);
  const [hostname, port] = server.endpoint.split(":");
  const conn = await Deno.connect({ hostname, port: Number(port) });
  try {
    await conn.write(framed(JSON.stringify({ kind: "hello", machine: "evil.lab" })));
    for (const bad of BAD_FRAMES) await conn.write(framed(bad.payload));
    // The same connection, after every bad frame: a good request, no reliable header.
    await conn.write(framed(JSON.stringify({ kind: "msg", env: GOOD_ENV })));
    const reply = await readUntil(conn, (frame) => frame.kind === "msg");
    const env = reply.env as Record<string, unknown>;
    assertEquals([env.from, env.to, env.replyTo], ["kv@m1.lab", "c@evil.lab", GOOD_ENV.corr]);
    assertEquals(env.body, { value: 7 });
    // Acknowledge it, so the server does not retransmit while the test ends.
    await conn.write(framed(JSON.stringify({ kind: "ack", epoch: reply.epoch, seq: reply.seq })));

    assertEquals(server.network.stats.rejected, BAD_FRAMES.length);
    assertEquals(server.machine.rejectedFrames, BAD_FRAMES.length);
    const notes = trace.events.filter((e) => e.ev === "drop").map((e) => e.note);
    assertEquals(
      notes,
      BAD_FRAMES.map((bad) => `malformed frame from "evil.lab": ${bad.reason}`),
    );
    assertEquals(server.machine.processes(), ["kv@m1.lab"]);

    // A real client machine is served as well: the process is alive, not `$unknown`.
    const client = await startHost("m2.lab", {
      resolve: (machine) => machine === "m1.lab" ? server.endpoint : undefined,
      seed: 2,
    });
    try {
      const got = Promise.withResolvers<unknown[]>();
      client.machine.spawn("c", async (ctx) => {
        const put = await ctx.request("kv@m1.lab", { kind: "put", key: "y", value: 1 });
        const get = await ctx.request("kv@m1.lab", { kind: "get", key: "y" });
        got.resolve([put.body, get.body]);
      });
      const limit = setTimeout(() => got.reject(new Error("no answer in time")), LIMIT_MS);
      try {
        assertEquals(await client.watch(server.watch(got.promise)), [{ value: 1 }, {
          value: 1,
        }]);
      } finally {
        clearTimeout(limit);
      }
    } finally {
      await client.close();
    }
  } finally {
    conn.close();
    await server.close(); // rejects if any process failed
  }
});

Deno.test("TcpNetwork refuses a bad hello (not one, garbage, oversize): counted, traced, the connection closed, the next one served", async () => {
  const trace = new Trace();
  const server = await kvHost(trace);
  const [hostname, port] = server.endpoint.split(":");
  const errors: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args.join(" "));
  try {
    const hellos = [
      framed('{"kind":"hello","machine":"###"}'),
      framed('{"kind":"hello","machine":42}'),
      framed('{"hello":"m1.lab"}'),
      framed('{"kind":"hello/2","machine":"m2.lab"}'),
      framed("not json"),
      // A plain HTTP request: its first four bytes read as a length of 1.2 GB, over maxFrame.
      encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
      // Garbage bytes that end inside a frame.
      new Uint8Array([0, 0, 0, 9, 0xff, 0xfe]),
    ];
    const remotes: string[] = [];
    let refused = () => {};
    trace.listen((e) => {
      if (e.ev === "drop") refused();
    });
    for (const [i, hello] of hellos.entries()) {
      const traced = new Promise<void>((resolve) => refused = resolve);
      const conn = await Deno.connect({ hostname, port: Number(port) });
      remotes.push(`${conn.localAddr.hostname}:${(conn.localAddr as Deno.NetAddr).port}`);
      await conn.write(hello);
      if (hello.length === 6) await conn.closeWrite();
      const closed = await conn.read(new Uint8Array(16));
      assertEquals(closed, null);
      conn.close();
      // The refusal is traced once the connection is closed: wait for it (bounded).
      await within([server], traced, `the refusal of hello ${i}`);
    }
    const drops = trace.events.filter((e) => e.ev === "drop");
    assertEquals(drops.length, hellos.length, drops.map((e) => e.note).join("\n"));
    for (const [i, drop] of drops.entries()) {
      assertEquals(drop.at, "m1.lab");
      assertTrue(drop.note!.startsWith(`malformed frame from "${remotes[i]}": `), drop.note);
    }
    assertTrue(drops.slice(0, 5).every((e) => e.note!.includes("is not a hello naming a machine")));
    assertTrue(/exceeds the maximum|too large|over/i.test(drops[5].note!), drops[5].note);
    assertEquals(server.network.stats.rejected, hellos.length);
    assertEquals(server.machine.rejectedFrames, hellos.length);
    assertEquals(errors, [], "refusals are counted and traced, not printed");
    const conn = await Deno.connect({ hostname, port: Number(port) });
    try {
      await conn.write(framed(JSON.stringify({ kind: "hello", machine: "evil.lab" })));
      await conn.write(framed(JSON.stringify({ kind: "msg", env: GOOD_ENV })));
      const reply = await readUntil(conn, (frame) => frame.kind === "msg");
      assertEquals((reply.env as Record<string, unknown>).body, { value: 7 });
      await conn.write(framed(JSON.stringify({ kind: "ack", epoch: reply.epoch, seq: reply.seq })));
    } finally {
      conn.close();
    }
  } finally {
    console.error = original;
    await server.close();
  }
});

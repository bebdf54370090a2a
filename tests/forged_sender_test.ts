/**
 * A peer cannot pass its frames off as another machine's: over real TCP, UDP and HTTP sockets a
 * raw client says hello as m2.lab and then sends messages whose envelopes claim senders on other
 * machines (`kv@m9.lab`, and `c@xm2.lab`, whose name merely ends like m2.lab's). The receiving
 * machine refuses each (counted by the machine and its network, traced as a `drop` naming the
 * claimed and the real machine), no process ever sees one, nothing in the trace shows a message
 * from m9.lab, and the same connection or peer goes on carrying honest frames.
 * @module
 */
import dgram from "node:dgram";
import { startHost } from "../core/network/host.ts";
import type { TransportName } from "../core/network/host_network.ts";
import { encodePacket } from "../core/network/_framed_host_network.ts";
import { encodeFrame } from "../core/network/frame.ts";
import { Trace } from "../core/trace.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

/** Safety net only: a test still waiting after this long fails instead of hanging. */
const LIMIT_MS = 20_000;

const encoder = new TextEncoder();

/** A message frame without a reliable header, from `from` to the sink on m1.lab. */
function message(from: string, body: string): Uint8Array {
  const env = { id: `${from}#1.${body}`, from, to: "sink@m1.lab", kind: "note", body, lamport: 1 };
  return encoder.encode(JSON.stringify({ kind: "msg", env }));
}

/** A raw peer that said (or says, in each packet) hello as m2.lab. */
interface RawPeer {
  /** Sends `payloads` together: one write, one datagram or one request. */
  send(payloads: Uint8Array[]): Promise<void>;
  close(): Promise<void>;
}

async function rawPeer(transport: TransportName, endpoint: string): Promise<RawPeer> {
  const colon = endpoint.lastIndexOf(":");
  const hostname = endpoint.slice(0, colon), port = Number(endpoint.slice(colon + 1));
  if (transport === "tcp") {
    const conn = await Deno.connect({ hostname, port });
    await conn.write(encodeFrame(encoder.encode('{"kind":"hello","machine":"m2.lab"}')));
    return {
      async send(payloads) {
        const bytes = payloads.map((p) => [...encodeFrame(p)]).flat();
        await conn.write(new Uint8Array(bytes));
      },
      close: () => Promise.resolve(conn.close()),
    };
  }
  if (transport === "udp") {
    const socket = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    return {
      send: (payloads) =>
        new Promise((resolve, reject) =>
          socket.send(encodePacket("m2.lab", payloads), port, hostname, (error) => {
            if (error) reject(error);
            else resolve();
          })
        ),
      close: () => new Promise((resolve) => socket.close(() => resolve())),
    };
  }
  return {
    async send(payloads) {
      const response = await fetch(`http://${endpoint}/frames`, {
        method: "POST",
        body: encodePacket("m2.lab", payloads),
      });
      await response.body?.cancel();
      assertEquals(response.status, 204, "the packet was taken");
    },
    close: () => Promise.resolve(),
  };
}

/** Machine m1.lab with a sink process that notes `from body` of each message it receives. */
async function sinkHost(transport: TransportName, trace: Trace) {
  const host = await startHost("m1.lab", { transport, resolve: () => undefined, seed: 1, trace });
  const got: string[] = [];
  let wanted = Infinity, arrived = () => {};
  host.machine.spawn("sink", async (ctx) => {
    for (;;) {
      const m = await ctx.receive<string>();
      got.push(`${m.from} ${m.body}`);
      if (got.length >= wanted) arrived();
    }
  });
  /** Resolves once the sink received `count` messages in all (bounded in time). */
  const received = async (count: number): Promise<void> => {
    const { promise, resolve } = Promise.withResolvers<void>();
    wanted = count;
    arrived = resolve;
    if (got.length >= count) resolve();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the sink got ${got.length} of ${count} messages`)),
        LIMIT_MS,
      );
    });
    try {
      await host.watch(Promise.race([promise, late]));
    } finally {
      clearTimeout(timer);
    }
  };
  return { host, got, received };
}

for (const transport of ["tcp", "udp", "http"] as const) {
  Deno.test(`${transport}: Machine.receiveFrame() refuses an envelope whose sender is not on the machine that said hello, and the peer keeps working`, async () => {
    const trace = new Trace();
    const { host, got, received } = await sinkHost(transport, trace);
    const peer = await rawPeer(transport, host.endpoint);
    try {
      // Forged frames and an honest one in one write (datagram, request): taken in order.
      await peer.send([
        message("kv@m9.lab", "forged"),
        message("c@xm2.lab", "forged"),
        message("c@m2.lab", "1"),
      ]);
      await received(1);
      await peer.send([message("c@m2.lab", "2")]);
      await received(2);

      assertEquals(got, ["c@m2.lab 1", "c@m2.lab 2"]);
      assertEquals(host.machine.rejectedFrames, 2);
      assertEquals(host.network.stats.rejected, 2);
      const notes = trace.events.filter((e) => e.ev === "drop").map((e) => `${e.at} ${e.note}`);
      assertEquals(notes, [
        'm1.lab refused frame from "m2.lab": Cannot accept frame: its envelope claims sender "kv@m9.lab" on machine "m9.lab", but it came from machine "m2.lab" (the machine that said hello); a machine sends only its own processes\' envelopes (forward another\'s message inside a body)',
        'm1.lab refused frame from "m2.lab": Cannot accept frame: its envelope claims sender "c@xm2.lab" on machine "xm2.lab", but it came from machine "m2.lab" (the machine that said hello); a machine sends only its own processes\' envelopes (forward another\'s message inside a body)',
      ]);
      // Nothing else in the trace shows a message of the forged senders.
      const shown = trace.events.filter((e) =>
        e.ev !== "drop" && /m9\.lab|xm2\.lab/.test(JSON.stringify(e))
      );
      assertEquals(shown, []);
      assertTrue(
        trace.events.some((e) => e.ev === "receive" && e.from === "c@m2.lab"),
        "the honest messages are traced",
      );
      assertEquals(host.machine.processes(), ["sink@m1.lab"]);
    } finally {
      await peer.close();
      await host.close(); // rejects if any process failed
    }
  });
}

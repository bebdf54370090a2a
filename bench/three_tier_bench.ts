/**
 * The presentation tier's HTTP cost: a Hono app served by `Deno.serve` against a bare
 * `Deno.serve` handler returning the same JSON, on loopback, in the same run.
 *
 * Each iteration sends 256 GET requests over 16 keep-alive connections (16 in a row on each)
 * with a minimal HTTP/1.1 client on raw sockets, so that the client (Deno's `fetch` does about
 * 12.5k req/s) does not hide the servers' difference.
 *
 * - baseline "bare Deno.serve": `Response.json(book)` for every request.
 * - "hono route": a Hono app with one `app.get("/api/books/:id")` route answering `c.json(book)`.
 * - "presentation app (logic stubbed)": the three-tier presentation app itself (trace id,
 *   budget header, Server-Timing, route), with its logic call answered in-process; the cost of
 *   the presentation tier without the network hop to the logic tier.
 *
 * Target: Hono >= 0.75x the bare handler. Run with `deno bench -A bench/three_tier_bench.ts`.
 * @module
 */
import { Hono } from "hono";
import {
  createPresentationApp,
  type PresentationEnv,
} from "../tiers/three_tier/presentation_app.ts";

const CONNECTIONS = 16;
const PER_CONNECTION = 16;
const BOOK = {
  id: 4,
  isbn: "9780141439471",
  title: "Frankenstein",
  author: "Mary Shelley",
  copies: 1,
  available: 1,
};
const REQUEST = new TextEncoder().encode(
  "GET /api/books/4 HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n",
);

function serve(
  handler: (request: Request) => Response | Promise<Response>,
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
}

const bare = serve(() => Response.json(BOOK));

const hono = new Hono();
hono.get("/api/books/:id", (c) => c.json(BOOK));
const honoServer = serve((request) => hono.fetch(request));

const presentation = createPresentationApp();
let traces = 0;
const presentationServer = serve((request) => {
  const env: PresentationEnv = {
    traceId: `tr-${++traces}`,
    call: () => Promise.resolve({ ok: true, value: BOOK }),
    serverTiming: () => "presentation;dur=0, logic;dur=0, pool;dur=0, data;dur=0, net;dur=0",
  };
  return presentation.fetch(request, env);
});

const decoder = new TextDecoder();

/** A keep-alive HTTP/1.1 connection that sends one GET and reads one response at a time. */
class Client {
  readonly #conn: Deno.TcpConn;
  readonly #buffer = new Uint8Array(64 * 1024);
  #pending = "";
  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  static async open(port: number): Promise<Client> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    return new Client(conn);
  }

  async get(): Promise<void> {
    await this.#conn.write(REQUEST);
    for (;;) {
      const end = this.#pending.indexOf("\r\n\r\n");
      if (end >= 0) {
        const match = /content-length:\s*(\d+)/i.exec(this.#pending.slice(0, end));
        if (match === null) throw new Error("Cannot read the response: no Content-Length");
        const total = end + 4 + Number(match[1]);
        if (this.#pending.length >= total) {
          if (!this.#pending.startsWith("HTTP/1.1 200")) {
            throw new Error(`Cannot read the response: ${this.#pending.slice(0, 40)}`);
          }
          this.#pending = this.#pending.slice(total);
          return;
        }
      }
      const n = await this.#conn.read(this.#buffer);
      if (n === null) throw new Error("Cannot read the response: the server closed the connection");
      this.#pending += decoder.decode(this.#buffer.subarray(0, n));
    }
  }

  close(): void {
    this.#conn.close();
  }
}

async function pool(port: number): Promise<Client[]> {
  return await Promise.all(Array.from({ length: CONNECTIONS }, () => Client.open(port)));
}

const clients = {
  bare: await pool(bare.addr.port),
  hono: await pool(honoServer.addr.port),
  presentation: await pool(presentationServer.addr.port),
};

async function burst(connections: Client[]): Promise<void> {
  await Promise.all(connections.map(async (client) => {
    for (let i = 0; i < PER_CONNECTION; i++) await client.get();
  }));
}

const group = "three-tier http: 256 GETs over 16 connections";

Deno.bench({ name: "bare Deno.serve", group, baseline: true, n: 400, warmup: 50 }, async () => {
  await burst(clients.bare);
});

Deno.bench({ name: "hono route", group, n: 400, warmup: 50 }, async () => {
  await burst(clients.hono);
});

Deno.bench({ name: "presentation app (logic stubbed)", group, n: 400, warmup: 50 }, async () => {
  await burst(clients.presentation);
});

globalThis.addEventListener("unload", () => {
  for (const list of Object.values(clients)) for (const client of list) client.close();
  void bare.shutdown();
  void honoServer.shutdown();
  void presentationServer.shutdown();
});

/**
 * The caching proxy against going without it, in the same run.
 *
 * - "proxy hit path (simulator)": 2,000 sequential gets of one key per iteration in the
 *   simulator (trace off, object wire, no reliable channel, constant 1 ms latency). Baseline: the
 *   client asks the key-value origin directly. Candidate: the client asks a warm caching proxy
 *   (every get a hit). Both are one request/reply per get, so the difference is the proxy's own
 *   work per request (request key, LRU lookup, tagging the reply) against the origin's.
 * - "http cached object x32": 512 GETs of a 1 KiB object per iteration, 32 keep-alive
 *   connections with 16 sequential requests each, from a raw HTTP/1.1 client over `Deno.connect`
 *   (Deno's `fetch` is the bottleneck otherwise). Baseline: a bare `Deno.serve` answering the
 *   same bytes and headers. Candidate: the Hono caching proxy serving its cached copy (HIT).
 *   Both servers run in a child process (this file with `--fixture`), as Varnish runs in its
 *   own, so the load generator never shares a JavaScript thread with the server it measures.
 *   When `varnishd` is on the PATH, Varnish with its stock configuration (`-b` backend, built-in
 *   VCL) serving the same object is a third entry; otherwise a note says it was skipped. Two more
 *   entries run the command users run, `deno task lab proxy --serve` (its own process, its
 *   output to /dev/null), with its request log lines and with `--quiet`.
 *
 * Requests per second = requests per iteration / time per iteration. Every `fn` is an `async
 * function`: Deno's bench only awaits functions declared async, so an arrow returning a promise
 * would start the next iteration before the last one finished.
 * Run with `deno bench -A bench/proxy_bench.ts`.
 * @module
 */
import { wallClock } from "../core/real_runtime.ts";
import type { ProcessContext } from "../core/process.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { cacheProxy } from "../proxy/cache_process.ts";
import { createHttpProxy } from "../proxy/http_proxy.ts";
import { serveHttpProxy } from "../proxy/http_serve.ts";
import { kvOrigin } from "../proxy/origin_process.ts";

const GETS = 2_000;
const CONNECTIONS = 32;
const PER_CONNECTION = 16;
const OBJECT = new Uint8Array(1024).fill(120);
const OBJECT_HEADERS = { "content-type": "text/plain", "cache-control": "max-age=3600" };

async function simulate(throughProxy: boolean): Promise<void> {
  const sim = new Simulator({
    seed: 1,
    trace: false,
    wire: "object",
    reliable: false,
    latency: { kind: "constant", ms: 1 },
  });
  sim.machine("origin.lab").spawn("origin", kvOrigin({}));
  if (throughProxy) {
    sim.machine("proxy.lab").spawn("cache", cacheProxy({ origin: "origin@origin.lab" }));
  }
  const target = throughProxy ? "cache@proxy.lab" : "origin@origin.lab";
  sim.machine("c.lab").spawn("client", async (ctx: ProcessContext) => {
    for (let i = 0; i < GETS; i++) await ctx.request(target, { kind: "get", key: 0 });
  });
  await sim.run();
}

Deno.bench({
  name: "origin directly",
  group: "proxy hit path (simulator)",
  baseline: true,
  async fn() {
    await simulate(false);
  },
});

Deno.bench({
  name: "warm caching proxy (all hits)",
  group: "proxy hit path (simulator)",
  async fn() {
    await simulate(true);
  },
});

/**
 * A minimal HTTP/1.1 keep-alive client: one request at a time, Content-Length bodies only. A
 * connection the server closed while idle (Varnish's `timeout_idle` is 5 s) is opened again.
 */
class RawHttpClient {
  #conn: Deno.Conn;
  readonly #port: number;
  readonly #request: Uint8Array;
  #buffer = new Uint8Array(16 * 1024);

  constructor(conn: Deno.Conn, port: number, path: string) {
    this.#conn = conn;
    this.#port = port;
    this.#request = new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  }

  static async open(port: number, path: string): Promise<RawHttpClient> {
    return new RawHttpClient(await Deno.connect({ hostname: "127.0.0.1", port }), port, path);
  }

  /** Sends the GET and reads one whole response; returns its status. */
  async get(): Promise<number> {
    const status = await this.#exchange();
    if (status !== undefined) return status;
    this.#conn.close();
    this.#conn = await Deno.connect({ hostname: "127.0.0.1", port: this.#port });
    const again = await this.#exchange();
    if (again === undefined) {
      throw new Error("Cannot read the response: the server closed a fresh connection");
    }
    return again;
  }

  /** One exchange; `undefined` when the server had closed the connection before answering. */
  async #exchange(): Promise<number | undefined> {
    try {
      for (let sent = 0; sent < this.#request.length;) {
        sent += await this.#conn.write(this.#request.subarray(sent));
      }
    } catch (error) {
      if (error instanceof Deno.errors.BrokenPipe || error instanceof Deno.errors.ConnectionReset) {
        return undefined; // closed while idle: the caller reconnects
      }
      throw error;
    }
    let filled = 0, headerEnd = -1, total = Infinity;
    while (filled < total) {
      if (filled === this.#buffer.length) {
        const grown = new Uint8Array(this.#buffer.length * 2);
        grown.set(this.#buffer);
        this.#buffer = grown;
      }
      let n: number | null;
      try {
        n = await this.#conn.read(this.#buffer.subarray(filled));
      } catch (error) {
        if (filled === 0 && error instanceof Deno.errors.ConnectionReset) return undefined;
        throw error;
      }
      if (n === null && filled === 0) return undefined; // closed while idle: the caller reconnects
      if (n === null) throw new Error("Cannot read the response: the server closed the connection");
      filled += n;
      if (headerEnd < 0) {
        headerEnd = findHeaderEnd(this.#buffer, filled);
        if (headerEnd >= 0) {
          const head = new TextDecoder().decode(this.#buffer.subarray(0, headerEnd));
          const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
          total = headerEnd + 4 + (length ? Number(length[1]) : 0);
        }
      }
    }
    return Number(new TextDecoder().decode(this.#buffer.subarray(9, 12)));
  }

  close(): void {
    this.#conn.close();
  }
}

function findHeaderEnd(bytes: Uint8Array, length: number): number {
  for (let i = 3; i < length; i++) {
    if (bytes[i] === 10 && bytes[i - 1] === 13 && bytes[i - 2] === 10 && bytes[i - 3] === 13) {
      return i - 3;
    }
  }
  return -1;
}

async function clients(port: number, path: string): Promise<RawHttpClient[]> {
  return await Promise.all(
    Array.from({ length: CONNECTIONS }, () => RawHttpClient.open(port, path)),
  );
}

async function load(pool: RawHttpClient[]): Promise<void> {
  await Promise.all(pool.map(async (client) => {
    for (let i = 0; i < PER_CONNECTION; i++) {
      const status = await client.get();
      if (status !== 200) throw new Error(`Cannot load: got HTTP ${status}`);
    }
  }));
}

/** Runs as the server process: the bare server and the proxy, ports on stdout, until stdin ends. */
async function serveFixture(): Promise<void> {
  const bare = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(OBJECT, { headers: OBJECT_HEADERS }),
  );
  const proxy = createHttpProxy(`http://127.0.0.1:${bare.addr.port}`, { now: wallClock });
  const proxyServer = serveHttpProxy(proxy);
  console.log(JSON.stringify({ bare: bare.addr.port, proxy: proxyServer.addr.port }));
  for await (const _ of Deno.stdin.readable) {
    // Runs until the bench closes stdin.
  }
  await Promise.all([bare.shutdown(), proxyServer.shutdown()]);
}

if (Deno.args[0] === "--fixture") {
  await serveFixture();
  Deno.exit(0);
}

// The servers run in their own process, like Varnish does, so that the load generator in this
// process does not share a JavaScript thread with the server it measures.
const fixture = new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", new URL(import.meta.url).pathname, "--fixture"],
  stdin: "piped",
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const ports: { bare: number; proxy: number } = await (async () => {
  let text = "";
  for await (const chunk of fixture.stdout.pipeThrough(new TextDecoderStream())) {
    text += chunk;
    if (text.includes("\n")) break;
  }
  return JSON.parse(text);
})();
const bareClients = await clients(ports.bare, "/object");
const proxyClients = await clients(ports.proxy, "/object");
await proxyClients[0].get(); // warm the cache: every later request is a HIT

Deno.bench({
  name: "bare Deno.serve, same bytes",
  group: "http cached object x32",
  baseline: true,
  async fn() {
    await load(bareClients);
  },
});

Deno.bench({
  name: "Hono caching proxy, HIT",
  group: "http cached object x32",
  async fn() {
    await load(proxyClients);
  },
});

/** Starts varnishd with its stock configuration in front of `backendPort`, if installed. */
async function startVarnish(backendPort: number): Promise<
  { port: number; clients: RawHttpClient[]; stop: () => Promise<void> } | undefined
> {
  const which = await new Deno.Command("sh", {
    args: ["-c", "command -v varnishd"],
    stdout: "piped",
    stderr: "null",
  }).output().catch(() => undefined);
  const path = which?.success ? new TextDecoder().decode(which.stdout).trim() : "";
  if (path === "") return undefined;
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  // varnishd's worker runs as an unprivileged user: give it a world-readable working folder.
  const workdir = await Deno.makeTempDir({ prefix: "archlab-varnish-" });
  await Deno.chmod(workdir, 0o755);
  const child = new Deno.Command(path, {
    args: [
      "-F",
      "-n",
      `${workdir}/instance`,
      "-a",
      `127.0.0.1:${port}`,
      "-b",
      `127.0.0.1:${backendPort}`,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  let pool: RawHttpClient[] | undefined;
  for (let attempt = 0; attempt < 100 && pool === undefined; attempt++) {
    try {
      pool = await clients(port, "/object");
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const stop = async () => {
    for (const client of pool ?? []) client.close();
    try {
      child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    await child.status;
    await Deno.remove(workdir, { recursive: true }).catch(() => {});
  };
  if (pool === undefined) {
    await stop();
    return undefined;
  }
  await pool[0].get();
  return { port, clients: pool, stop };
}

/**
 * Starts `lab proxy --serve` in front of `backendPort`. Its output goes to /dev/null: the cost
 * measured is the proxy's own (formatting and writing its request lines), not a reader's.
 */
async function startLab(backendPort: number, extra: string[]): Promise<
  { clients: RawHttpClient[]; stop: () => Promise<void> }
> {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  const main = new URL("../lab/main.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      main,
      "proxy",
      "--serve",
      "--origin",
      `http://127.0.0.1:${backendPort}`,
      "--listen",
      `127.0.0.1:${port}`,
      ...extra,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  let pool: RawHttpClient[] | undefined;
  for (let attempt = 0; attempt < 100 && pool === undefined; attempt++) {
    try {
      pool = await clients(port, "/object");
    } catch (error) {
      if (!(error instanceof Deno.errors.ConnectionRefused)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  if (pool === undefined) throw new Error(`Cannot start lab proxy --serve on port ${port}`);
  await pool[0].get();
  const ready = pool;
  return {
    clients: ready,
    stop: async () => {
      for (const client of ready) client.close();
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

const labLogged = await startLab(ports.bare, []);
const labQuiet = await startLab(ports.bare, ["--quiet"]);

Deno.bench({
  name: "lab proxy --serve (request log), HIT",
  group: "http cached object x32",
  async fn() {
    await load(labLogged.clients);
  },
});

Deno.bench({
  name: "lab proxy --serve --quiet, HIT",
  group: "http cached object x32",
  async fn() {
    await load(labQuiet.clients);
  },
});

const varnish = await startVarnish(ports.bare);
if (varnish === undefined) {
  console.log(
    "proxy_bench: varnishd is not installed (Debian package varnish): skipping the Varnish entry",
  );
} else {
  Deno.bench({
    name: "Varnish, stock config, HIT",
    group: "http cached object x32",
    async fn() {
      await load(varnish.clients);
    },
  });
}

// Close every fixture after the last bench so the run ends cleanly.
globalThis.addEventListener("beforeunload", () => {
  for (const client of [...bareClients, ...proxyClients]) client.close();
  void fixture.stdin.close().catch(() => {});
  void Promise.all([fixture.status, varnish?.stop(), labLogged.stop(), labQuiet.stop()]);
});

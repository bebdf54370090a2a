/**
 * The launcher as a program uses it (`launch` from the root module): a system object in the
 * simulator, a system file as real OS processes; and machines started by hand with
 * `lab node --module FILE`, where a server that knows nobody answers the client that reached it.
 * @module
 */
import { launch, type ProcessMap, SystemError } from "../mod.ts";
import { assertEquals, assertRejects, assertTrue } from "./_assert.ts";

const KV = new URL("../examples/run/kv.ts", import.meta.url);
const MAIN = new URL("../lab/main.ts", import.meta.url).pathname;
/** Safety net only: a machine still running after this long is killed and the test fails. */
const LIMIT_MS = 60_000;

Deno.test("launch() runs a system object in the simulator and measures its requests", async () => {
  const result = await launch({
    machines: {
      "m1.lab": {
        counter: async (ctx) => {
          let n = 0;
          for (;;) await ctx.reply(await ctx.receive(), ++n);
        },
      },
      "m2.lab": {
        client: async (ctx) => {
          for (let i = 0; i < 5; i++) await ctx.request("counter@m1.lab", "inc");
          await ctx.request("nobody@m1.lab", "inc").catch((error) => ctx.log(error.name));
        },
      },
    },
  }, { sim: true, seed: 3, latency: { kind: "constant", ms: 2 } });
  assertEquals([result.transport, result.end], ["sim", "quiet"]);
  assertEquals([result.requests.count, result.requests.failed], [6, 1]);
  assertEquals(result.requests.latencies, [4, 4, 4, 4, 4]);
  assertEquals(result.trace.events.find((e) => e.ev === "log")?.note, "UnknownProcessError");
});

Deno.test("launch() runs a system file as real OS processes, and refuses an object there", async () => {
  const result = await launch(KV, { quiet: 300 });
  assertEquals([result.transport, result.end], ["tcp", "quiet"]);
  assertEquals(result.processes, { "kv@m1.lab": "running", "client@m2.lab": "returned" });
  assertEquals([result.requests.count, result.requests.failed], [2, 0]);
  assertTrue(
    result.trace.events.some((e) => e.ev === "log" && e.note?.startsWith("got ")),
    "the client got its answer",
  );
  await assertRejects(
    () => launch({ "kv@m1.lab": async () => {} }),
    TypeError,
    "pass the URL of the module that exports it",
  );
  await assertRejects(
    () => launch({ "kv@m1": 7 } as unknown as ProcessMap, { sim: true }),
    SystemError,
    "kv@m1 is not a process",
  );
});

/** A `lab node` started by hand, read line by line. */
interface HandNode {
  readonly child: Deno.ChildProcess;
  /** The next JSON line it writes, or `undefined` at the end of its output. */
  next(): Promise<Record<string, unknown> | undefined>;
}

function startNode(...args: string[]): HandNode {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "node", ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return {
    child,
    async next() {
      for (let nl = buffer.indexOf("\n"); nl < 0; nl = buffer.indexOf("\n")) {
        const { value, done } = await lines.read();
        if (done) return undefined;
        buffer += value;
      }
      const nl = buffer.indexOf("\n");
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      return JSON.parse(line);
    },
  };
}

Deno.test("lab node --module boots a system's machines by hand; the server answers a client it was never told about", async () => {
  const server = startNode("--machine", "m1.lab", "--module", KV.pathname);
  let client: HandNode | undefined;
  const guard = setTimeout(() => {
    server.child.kill("SIGKILL");
    client?.child.kill("SIGKILL");
  }, LIMIT_MS);
  try {
    const ready = await server.next();
    assertEquals(ready?.type, "ready");
    client = startNode(
      "--machine",
      "m2.lab",
      "--peer",
      `m1.lab=${ready!.endpoint}`,
      "--module",
      KV.pathname,
    );
    let got: string | undefined;
    for (let line = await client.next(); line !== undefined; line = await client.next()) {
      const event = line.event as { ev?: string; note?: string } | undefined;
      if (event?.ev === "log") {
        got = event.note;
        break;
      }
    }
    assertEquals(got, 'got {"kind":"value","value":"1"}');
    // The server's directory is empty: every reply went back over the client's connection.
    await server.child.stdin.close();
    const drops: unknown[] = [];
    for (let line = await server.next(); line !== undefined; line = await server.next()) {
      if ((line.event as { ev?: string } | undefined)?.ev === "drop") drops.push(line.event);
      if (line.type === "stats") assertEquals(line.dropped, 0, JSON.stringify(line));
    }
    assertEquals(drops, []);
    assertEquals((await server.child.status).code, 0);
  } finally {
    clearTimeout(guard);
    await client?.child.stdin.close();
    if (client) await client.child.status;
    await server.child.status;
  }
});

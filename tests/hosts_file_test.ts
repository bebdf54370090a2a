/**
 * `--hosts FILE` on this host: a bad file is refused before the run naming its line, a machine
 * listens on the port its line gives (or, when that port is in use, the lab says so naming it), a machine started by hand joins the lab over TCP (or is
 * refused when the lab does not wait for it), and `--ssh` runs `ssh HOST deno run ...` (the
 * command is checked here: there is no SSH server to run it against). The runs across hosts
 * are in hosts_netns_test.ts.
 */
import { assertEquals, assertTrue } from "./_assert.ts";
import { NodeListener } from "../lab/deploy/_node_listener.ts";
import { nodeCommand } from "../lab/deploy/_node_links.ts";
import { readNodeLines, sendLine } from "../lab/deploy/_node_process.ts";
import type { NodeLine } from "../lab/node/command.ts";

const MAIN = new URL("../lab/main.ts", import.meta.url).pathname;
const NODE = new URL("../lab/node/command.ts", import.meta.url).pathname;

async function lab(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal: AbortSignal.timeout(60_000),
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

async function withFile<T>(text: string, fn: (path: string) => Promise<T>): Promise<T> {
  const path = await Deno.makeTempFile({ suffix: ".hosts" });
  try {
    await Deno.writeTextFile(path, text);
    return await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

/** A port that was free a moment ago. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

Deno.test("lab client-server --hosts refuses a bad file before the run, naming the line", async () => {
  await withFile("# servers\nm1.lab 127.0.0.1:4001\nm2.lab 127.0.0.1\n", async (path) => {
    const run = await lab(["client-server", "--hosts", path]);
    assertEquals(run.code, 2);
    assertTrue(run.stderr.includes(`Cannot use hosts file "${path}" line 3: endpoint "127.0.0.1"`));
    assertEquals(run.stdout, "", "nothing ran");
  });
  await withFile("m1.lab 127.0.0.1:4001\nm9.lab 127.0.0.1:4002\n", async (path) => {
    const run = await lab(["client-server", "--hosts", path]);
    assertEquals(run.code, 2);
    assertTrue(run.stderr.includes(`line 2: this run has no machine "m9.lab"`), run.stderr);
  });
  await withFile("m1.lab 192.0.2.7:4001\n", async (path) => {
    const run = await lab(["client-server", "--hosts", path]);
    assertEquals(run.code, 2);
    assertTrue(run.stderr.includes('line 1: "m1.lab" is on another host (192.0.2.7)'));
    assertTrue(run.stderr.includes('add a line "ctl.lab ADDRESS:PORT"'));
  });
  await withFile("m1.lab 127.0.0.1:4001\n", async (path) => {
    const run = await lab(["client-server", "--hosts", path, "--sim"]);
    assertEquals(run.code, 2);
    assertTrue(run.stderr.includes("Cannot use --hosts with --sim"));
  });
  const missing = await lab(["client-server", "--hosts", "/nonexistent/hosts.txt"]);
  assertEquals(missing.code, 2);
  assertTrue(
    missing.stderr.includes('Cannot use hosts file "/nonexistent/hosts.txt": cannot read'),
  );
});

Deno.test("lab client-server --hosts runs a machine on the port its line gives", async () => {
  const port = freePort();
  await withFile(`m1.lab 127.0.0.1:${port}  # the server\n`, async (path) => {
    const run = await lab(["client-server", "--hosts", path, "--requests", "5", "--json"]);
    assertEquals(run.code, 0, run.stderr);
    assertTrue(run.stderr.includes(`m1.lab=127.0.0.1:${port}`), run.stderr);
    const summary = JSON.parse(run.stdout);
    assertEquals(summary.executed, 15);
    assertEquals(summary.unfinished, []);
  });
});

Deno.test("lab client-server --hosts with a machine's port in use says so, naming the machine", async () => {
  // The test holds the port the file gives m1.lab: its node cannot listen there.
  const held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = held.addr.port;
    await withFile(`m1.lab 127.0.0.1:${port}\n`, async (path) => {
      const run = await lab(["client-server", "--hosts", path, "--requests", "5", "-q"]);
      assertEquals(run.code, 1, run.stderr);
      assertTrue(
        run.stderr.includes(
          `archlab: Cannot start machine "m1.lab": listening at 127.0.0.1:${port}: Address already in use`,
        ),
        run.stderr,
      );
      assertTrue(!/bug in archlab|replay in the simulator|^\s+at /m.test(run.stderr), run.stderr);
    });
  } finally {
    held.close();
  }
});

Deno.test("lab client-server --hosts restarts a crashed machine on the same fixed port", async () => {
  const port = freePort();
  const trace = await Deno.makeTempFile({ suffix: ".jsonl" });
  await withFile(`m1.lab 127.0.0.1:${port}\n`, async (path) => {
    const run = await lab([
      "client-server",
      "--hosts",
      path,
      "--durable",
      "--requests",
      "60",
      "--delay",
      "5..10",
      "--crash",
      "m1.lab@200..700",
      "--trace",
      trace,
      "--json",
    ]);
    assertEquals(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assertEquals(summary.unfinished, []);
    assertEquals(summary.lostAcked, 0);
    assertTrue(summary.retransmissions > 0, "the clients felt the crash");
    const events = (await Deno.readTextFile(trace)).trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(events.filter((e) => e.ev === "restart" && e.at === "m1.lab").length, 1);
  });
  await Deno.remove(trace);
});

Deno.test("lab node --hosts without a line for its machine is refused", async () => {
  await withFile("m2.lab 127.0.0.1:4002\n", async (path) => {
    const run = await lab(["node", "--hosts", path, "--machine", "m1.lab"]);
    assertEquals(run.code, 2);
    assertTrue(run.stderr.includes(`it has no line for this machine; add "m1.lab HOST:PORT"`));
  });
});

Deno.test("a machine started by hand joins the lab at its listener and takes the run's settings", async () => {
  const listener = NodeListener.open({ hostname: "127.0.0.1", port: 0 });
  const node = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", NODE, "--machine", "m1.lab", "--lab", listener.endpoint],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).spawn();
  try {
    const link = await listener.expect("m1.lab", {
      type: "setup",
      args: ["--seed", "9", "--epoch", "77", "--listen", "127.0.0.1:0"],
    });
    const lines: NodeLine[] = [];
    const ready = Promise.withResolvers<void>();
    const reading = readNodeLines<NodeLine>(link.readable, (line) => {
      lines.push(line);
      if (line.type === "ready") ready.resolve();
    }, () => {});
    await ready.promise;
    const first = lines.find((l) => l.type === "ready");
    assertEquals(first?.type === "ready" && first.machine, "m1.lab");
    sendLine({ writer: link.writer } as Parameters<typeof sendLine>[0], { type: "stop" });
    await reading;
    assertTrue(lines.some((l) => l.type === "stats"), "its last counters came over the link");
    const status = await node.status;
    assertEquals(status.code, 0);
  } finally {
    await listener.close();
    await node.stdout.cancel();
    await node.stderr.cancel();
  }
});

Deno.test("a machine the lab does not wait for is refused, saying so", async () => {
  const listener = NodeListener.open({ hostname: "127.0.0.1", port: 0 });
  try {
    listener.expect("m2.lab", { type: "setup", args: [] });
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", NODE, "--machine", "m1.lab", "--lab", listener.endpoint],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    assertEquals(out.code, 1);
    assertTrue(
      new TextDecoder().decode(out.stderr).includes(
        'Cannot join the lab as "m1.lab": the lab does not wait for machine "m1.lab"',
      ),
    );
  } finally {
    await listener.close();
  }
});

Deno.test("--ssh starts a machine of another host with ssh HOST deno run ..., the key kept off the command line", () => {
  const [program, args] = nodeCommand(
    "m1.lab",
    { origin: 1000, epoch: 1001, options: { seed: 3, auth: { key: "s3cret" } } },
    { kind: "ssh", host: "10.0.0.2", listen: { hostname: "10.0.0.2", port: 4001 } },
  )!;
  assertEquals(program, "ssh");
  assertEquals(args.slice(0, 6), [
    "-o",
    "BatchMode=yes",
    "-o",
    "SendEnv=ARCHLAB_AUTH_KEY",
    "10.0.0.2",
    "deno",
  ]);
  assertEquals(args[6], "run");
  assertTrue(args.includes(NODE), "the same lab folder path there");
  const at = (flag: string) => args[args.indexOf(flag) + 1];
  assertEquals(at("--machine"), "m1.lab");
  assertEquals(at("--listen"), "10.0.0.2:4001");
  assertEquals(at("--epoch"), "1001");
  assertEquals(at("--seed"), "3");
  assertTrue(!args.some((a) => a.includes("s3cret")), "the key travels in the environment");
  const [here, local] = nodeCommand("m2.lab", { origin: 1, epoch: 2, options: {} }, {
    kind: "here",
    listen: { hostname: "127.0.0.1", port: 4002 },
  })!;
  assertEquals(here, Deno.execPath());
  assertEquals(local.slice(-2), ["--listen", "127.0.0.1:4002"]);
  assertEquals(
    nodeCommand("m3.lab", { origin: 1, epoch: 2, options: {} }, {
      kind: "user",
      host: "10.0.0.3",
      listen: { hostname: "10.0.0.3", port: 4003 },
      line: 3,
    }),
    undefined,
    "a machine started by hand has no command the lab runs",
  );
});

Deno.test("lab run --hosts runs a user's machine on the port its line gives", async () => {
  const port = freePort();
  const kv = new URL("../examples/run/kv.ts", import.meta.url).pathname;
  await withFile(`m1.lab 127.0.0.1:${port}\n`, async (path) => {
    const run = await lab(["run", kv, "--hosts", path, "--json"]);
    assertEquals(run.code, 0, run.stderr);
    assertTrue(run.stderr.includes(`m1.lab=127.0.0.1:${port}`), run.stderr);
    assertEquals(JSON.parse(run.stdout).transport, "tcp");
  });
});

Deno.test("a machine started by hand refuses to join a run that authenticates frames without the key", async () => {
  const listener = NodeListener.open({ hostname: "127.0.0.1", port: 0 });
  try {
    listener.expect("m1.lab", { type: "setup", args: [], auth: true });
    const env = { ...Deno.env.toObject() };
    delete env.ARCHLAB_AUTH_KEY;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", NODE, "--machine", "m1.lab", "--lab", listener.endpoint],
      stdout: "piped",
      stderr: "piped",
      clearEnv: true,
      env,
      signal: AbortSignal.timeout(60_000),
    }).output();
    assertEquals(out.code, 1);
    assertTrue(
      new TextDecoder().decode(out.stderr).includes(
        "its run authenticates every frame; set ARCHLAB_AUTH_KEY to its key",
      ),
    );
  } finally {
    await listener.close();
  }
});

Deno.test("lab node --lab gives up on a lab that does not listen after --lab-wait, saying where it tried", async () => {
  const port = freePort();
  const started = performance.now();
  const run = await lab([
    "node",
    "--machine",
    "m1.lab",
    "--lab",
    `127.0.0.1:${port}`,
    "--lab-wait",
    "0.5",
  ]);
  assertEquals(run.code, 1);
  assertTrue(run.stderr.includes(`trying again for up to 500 ms`), run.stderr);
  assertTrue(run.stderr.includes(`Cannot reach the lab at 127.0.0.1:${port}`), run.stderr);
  assertTrue(performance.now() - started < 30_000);
});

Deno.test("deployTcp waits for a machine started by hand no longer than it was told, naming what to run", async () => {
  const { deployTcp } = await import("../lab/deploy/cluster.ts");
  const { parseHostsFile } = await import("../lab/deploy/hosts_file.ts");
  // 192.0.2.0/24 is TEST-NET-1: never this host, and nothing here dials it (the lab only waits).
  const hosts = parseHostsFile("ctl.lab 127.0.0.1:0\nm1.lab 192.0.2.1:4001\n", "h.txt");
  let error: unknown;
  try {
    const deployment = await deployTcp(
      [{ name: "m1.lab", processes: [] }],
      { hosts, hostsWait: 300 },
    );
    await deployment.stop();
  } catch (e) {
    error = e;
  }
  assertTrue(error instanceof Error, "the deployment fails");
  assertTrue(
    error.message.includes(
      'Cannot start machine "m1.lab": nobody started it on 192.0.2.1 within 300 ms (run there: ' +
        "deno task lab node --hosts h.txt --machine m1.lab)",
    ),
    error.message,
  );
});

Deno.test("Ctrl-C while the lab waits for a machine started by hand ends the run at once (exit 130)", async () => {
  // 192.0.2.0/24 is TEST-NET-1: never this host, and nothing here dials it (the lab only waits).
  await withFile("ctl.lab 127.0.0.1:0\nm1.lab 192.0.2.1:4001\n", async (path) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "client-server", "--hosts", path],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
      signal: AbortSignal.timeout(60_000),
    }).spawn();
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let stderr = "";
    while (!stderr.includes("on 192.0.2.1: deno task lab node")) {
      const { value, done } = await reader.read();
      if (done) break;
      stderr += value;
    }
    assertTrue(stderr.includes("waiting up to 60 s for 1 machine"), stderr);
    const asked = performance.now();
    child.kill("SIGINT");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      stderr += value;
    }
    const status = await child.status;
    await child.stdout.cancel();
    assertEquals(status.code, 130, stderr);
    assertTrue(stderr.includes("every machine is stopped"), stderr);
    assertTrue(performance.now() - asked < 20_000, "it did not wait out the 60 s");
  });
});

/** Runs `lab node --machine m1.lab --lab ENDPOINT` with `key` (or none) in its environment. */
function nodeWithKey(endpoint: string, key: string | undefined): Deno.ChildProcess {
  const env = { ...Deno.env.toObject() };
  delete env.ARCHLAB_AUTH_KEY;
  if (key !== undefined) env.ARCHLAB_AUTH_KEY = key;
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", NODE, "--machine", "m1.lab", "--lab", endpoint],
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env,
    signal: AbortSignal.timeout(60_000),
  }).spawn();
}

Deno.test("with --auth a machine started by hand joins only when it and the lab prove the same key", async () => {
  const listener = NodeListener.open({ hostname: "127.0.0.1", port: 0 }, "the run's key");
  try {
    const joined = listener.expect("m1.lab", { type: "setup", args: ["--listen", "127.0.0.1:0"] });
    for (
      const [key, says] of [
        [undefined, "authenticates every frame: set ARCHLAB_AUTH_KEY to its key"],
        [
          "another key",
          "it does not hold this run's key (ARCHLAB_AUTH_KEY differs from the lab's)",
        ],
      ] as const
    ) {
      const out = await nodeWithKey(listener.endpoint, key).output();
      assertEquals(out.code, 1);
      const stderr = new TextDecoder().decode(out.stderr);
      assertTrue(stderr.includes(says), stderr);
    }
    // A caller that answers the challenge without the key is refused by the lab.
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: Number(listener.endpoint.split(":")[1]),
    });
    await conn.write(new TextEncoder().encode('{"type":"hello","machine":"m1.lab","nonce":"n"}\n'));
    const lines = new Response(conn.readable).text();
    const writer = conn.writable.getWriter();
    await writer.write(new TextEncoder().encode('{"type":"proof","proof":"forged"}\n'));
    const said = await lines;
    assertTrue(said.includes('"type":"challenge"'), said);
    assertTrue(said.includes("it does not hold this run's key"), said);
    // The right key joins.
    const node = nodeWithKey(listener.endpoint, "the run's key");
    const link = await joined;
    const ready = Promise.withResolvers<void>();
    const reading = readNodeLines<NodeLine>(link.readable, (line) => {
      if (line.type === "ready") ready.resolve();
    }, () => {});
    await ready.promise;
    sendLine({ writer: link.writer } as Parameters<typeof sendLine>[0], { type: "stop" });
    await reading;
    assertEquals((await node.status).code, 0);
    await node.stdout.cancel();
    await node.stderr.cancel();
  } finally {
    await listener.close();
  }
});

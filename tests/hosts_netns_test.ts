/**
 * `--hosts FILE` for real: the lab and its machines in Linux network namespaces on one bridge
 * (three hosts: the lab's, the server's, a client's), the machines of the other hosts started
 * by hand (`lab node --hosts FILE --machine M`, as a user would), and real faults from nftables
 * at the server's ingress: 10% packet loss, then a partition that heals. Skipped (with the
 * reason) when not root or when `ip netns` or `nft` is missing; `.ci/run` installs nftables.
 */
import { assertEquals, assertTrue } from "./_assert.ts";
import { createNet, netnsUnavailable, type Site, type TestNet, until } from "./_netns.ts";

const MAIN = new URL("../lab/main.ts", import.meta.url).pathname;
const NODE = new URL("../lab/node/command.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;
const HEAT = new URL("../examples/heat_diffusion.ts", import.meta.url).pathname;
const WAKU = new URL("../examples/waku_waku.ts", import.meta.url).pathname;
/** The key of the run with --auth: the ranks started by hand get it from their environment. */
const KEY = "a key shared by the lab and its hosts, never sent";
/** Safety net only: a process still running after this long is killed and the test fails. */
const LIMIT_MS = 120_000;

const unavailable = await netnsUnavailable();
if (unavailable !== undefined) {
  console.log(`hosts_netns_test: skipped, ${unavailable}`);
}

/**
 * Writes the hosts file: the lab, the server m1.lab on host 1 and the clients `clients` on host
 * 2 (the other clients run with the lab).
 */
async function hostsFile(net: TestNet, clients: readonly string[] = ["m2.lab"]): Promise<string> {
  const [h1, h2] = net.hosts;
  const path = await Deno.makeTempFile({ suffix: ".hosts" });
  await Deno.writeTextFile(
    path,
    [
      "# the lab, the server on host 1, clients on host 2; the other clients run with the lab",
      `ctl.lab ${net.lab.ip}:7000`,
      `m1.lab  ${h1.ip}:4001   # kv server`,
      ...clients.map((name, i) => `${name}  ${h2.ip}:${4001 + i}`),
      "",
    ].join("\n"),
  );
  return path;
}

/** Starts machine `machine` by hand on `site`, as the lab's message says. */
function startByHand(net: TestNet, site: Site, file: string, machine: string, key?: string) {
  return net.spawn(site, [
    ...(key === undefined ? [] : ["env", `ARCHLAB_AUTH_KEY=${key}`]),
    Deno.execPath(),
    "run",
    "-A",
    "--config",
    CONFIG,
    NODE,
    "--hosts",
    file,
    "--machine",
    machine,
  ], LIMIT_MS);
}

/** Packets counted by the rules of table `table` on `site`. */
async function dropped(net: TestNet, site: Site, table: string): Promise<number> {
  const text = await net.nft(site, "list", "table", "inet", table);
  return [...text.matchAll(/counter packets (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
}

/** Runs the lab's client-server on the net, the hosts' machines started by hand. */
async function clientServer(
  net: TestNet,
  file: string,
  flags: readonly string[],
  between?: () => Promise<void>,
  clients: readonly string[] = ["m2.lab"],
) {
  const lab = net.spawn(net.lab, [
    Deno.execPath(),
    "run",
    "-A",
    MAIN,
    "client-server",
    "--hosts",
    file,
    ...flags,
    "--json",
  ], LIMIT_MS);
  assertTrue(
    await lab.waitForStderr(new RegExp(`waiting up to 60 s for ${clients.length + 1} machines`)),
    "the lab says it waits",
  );
  const nodes = [
    startByHand(net, net.hosts[0], file, "m1.lab"),
    ...clients.map((name) => startByHand(net, net.hosts[1], file, name)),
  ];
  await between?.();
  const end = await lab.end();
  const ends = await Promise.all(nodes.map((n) => n.end()));
  assertTrue(!end.killed, `the lab ended by itself:\n${end.stderr}`);
  assertEquals(end.code, 0, `the lab exits 0:\n${end.stderr}\n${end.stdout}`);
  for (const [i, n] of ends.entries()) {
    assertEquals(n.code, 0, `the machine of host ${i + 1} stops when the lab does:\n${n.stderr}`);
  }
  assertTrue(
    /machines at ctl\.lab=10\.231\.\d+\.1:\d+, m1\.lab=10\.231\.\d+\.2:4001/.test(end.stderr),
  );
  return JSON.parse(end.stdout);
}

/** The client-server guarantees: every request answered, executed once, no write lost. */
function assertAtMostOnce(summary: Record<string, unknown>, requests: number) {
  const total = requests * 3;
  assertEquals(summary.requests, total);
  assertEquals(summary.unfinished, [], "every request answered");
  assertEquals(summary.executed, total, "each request executed once (at most once, none lost)");
  assertEquals(summary.lostAcked, 0, "no acknowledged write lost");
  assertEquals(summary.machinesLost, []);
}

/**
 * A test on a net of `hosts` hosts (skipped when namespaces are unavailable): `fn` gets the net
 * and a list of paths to remove (files or folders) when the test ends; the net is closed then too.
 */
function netnsTest(
  name: string,
  hosts: number,
  fn: (net: TestNet, removeLater: string[]) => Promise<void>,
): void {
  Deno.test({
    name,
    ignore: unavailable !== undefined,
    async fn() {
      const net = await createNet(hosts);
      const removeLater: string[] = [];
      try {
        await fn(net, removeLater);
      } finally {
        await net.close();
        for (const path of removeLater) await Deno.remove(path, { recursive: true });
      }
    },
  });
}

/** Adds table `table` on `site` with an input chain at `priority` that accepts by default. */
async function inputTable(net: TestNet, site: Site, table: string, priority = 0): Promise<void> {
  await net.nft(site, "add", "table", "inet", table);
  await net.nft(
    site,
    `add chain inet ${table} input { type filter hook input priority ${priority}; policy accept; }`,
  );
}

netnsTest(
  "lab client-server --hosts: a server on another host over 10% real packet loss " +
    "answers every request, executes each at most once and loses no acknowledged write",
  2,
  async (net, removeLater) => {
    const table = `archlab_loss_${Deno.pid}`;
    // Every client on host 2: all of the architecture's traffic crosses the lossy link.
    const clients = ["m2.lab", "m3.lab", "m4.lab"];
    const file = await hostsFile(net, clients);
    removeLater.push(file);
    const server = net.hosts[0];
    await inputTable(net, server, table);
    // 10% of what reaches the server's host from the clients' is lost: frames, acks, TCP's
    // handshakes. The lab's own host is spared, as faults spare its bookkeeping (ctl.lab).
    await net.nft(
      server,
      "add rule inet " + table +
        ` input iifname ${server.dev} ip saddr != ${net.lab.ip} numgen random mod 100 < 10` +
        " counter drop",
    );
    // A client waits 1.5 s for a reply, 4 times: TCP's own retransmissions (a lost SYN
    // costs 1 s) fit in that.
    const summary = await clientServer(
      net,
      file,
      ["--requests", "40", "--timeout", "1500"],
      undefined,
      clients,
    );
    assertAtMostOnce(summary, 40);
    assertTrue(await dropped(net, server, table) > 0, "the loss was real: packets were dropped");
  },
);

netnsTest(
  "lab client-server --hosts: a partition between a client's host and the server's heals " +
    "and the run recovers, every request answered once",
  2,
  async (net, removeLater) => {
    const table = `archlab_seen_${Deno.pid}`;
    const file = await hostsFile(net);
    removeLater.push(file);
    const [server, client] = net.hosts;
    await inputTable(net, server, table);
    // What reaches the server's host from the client's is counted, then all of it dropped.
    await net.nft(server, "add rule inet " + table + ` input ip saddr ${client.ip} counter`);
    const cut = `archlab_cut_${Deno.pid}`;
    // 150 requests a client, each frame 20..30 ms late: the run lasts seconds, the cut comes
    // in the middle; a client waits 3 s for a reply, 4 times, before it gives a request up.
    const summary = await clientServer(net, file, [
      "--requests",
      "150",
      "--delay",
      "20..30",
      "--timeout",
      "3000",
    ], async () => {
      assertTrue(
        await until(async () => await dropped(net, server, table) >= 30, 30_000),
        "the client's host talks to the server's",
      );
      await inputTable(net, server, cut, -10);
      await net.nft(server, "add rule inet " + cut + ` input ip saddr ${client.ip} counter drop`);
      assertTrue(
        await until(async () => await dropped(net, server, cut) >= 5, 30_000),
        "the client's host tried the server through the partition",
      );
      await net.nft(server, "delete", "table", "inet", cut);
    });
    assertAtMostOnce(summary, 150);
    assertTrue(summary.retransmissions > 0, "the partition was felt: requests were resent");
  },
);

netnsTest(
  "lab spmd --hosts --auth: ranks on two other hosts, started by hand with the key, " +
    "compute what the simulator computes",
  2,
  async (net, removeLater) => {
    const file = await Deno.makeTempFile({ suffix: ".hosts" });
    removeLater.push(file);
    const [h1, h2] = net.hosts;
    await Deno.writeTextFile(
      file,
      `ctl.lab ${net.lab.ip}:7000\nrank1.lab ${h1.ip}:0\nrank2.lab ${h2.ip}:0\n`,
    );
    const lab = net.spawn(net.lab, [
      Deno.execPath(),
      "run",
      "-A",
      MAIN,
      "spmd",
      "-n",
      "3",
      "--hosts",
      file,
      "--auth",
      KEY,
      "--json",
      HEAT,
    ], LIMIT_MS);
    assertTrue(await lab.waitForStderr(/waiting up to 60 s for 2 machines/));
    assertTrue(await lab.waitForStderr(/ARCHLAB_AUTH_KEY set to this run's key/));
    const ranks = [
      startByHand(net, h1, file, "rank1.lab", KEY),
      startByHand(net, h2, file, "rank2.lab", KEY),
    ];
    const end = await lab.end();
    await Promise.all(ranks.map((r) => r.end()));
    assertEquals(end.code, 0, end.stderr);
    assertTrue(new RegExp(`rank1\\.lab=${h1.ip.replaceAll(".", "\\.")}:\\d+`).test(end.stderr));
    const real = JSON.parse(end.stdout.trim().split("\n").at(-1)!);
    const sim = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "spmd", "-n", "3", "--sim", "--json", HEAT],
      stdout: "piped",
      signal: AbortSignal.timeout(LIMIT_MS),
    }).output();
    const expected = JSON.parse(new TextDecoder().decode(sim.stdout).trim().split("\n").at(-1)!);
    assertEquals(real.ranks, 3);
    assertEquals(real.results, expected.results);
  },
);

/**
 * A stand-in for `ssh` (there is no SSH server here): `ssh -o ... HOST WORDS...` runs WORDS
 * through a shell in HOST's namespace, as sshd hands them to the remote user's shell.
 */
async function fakeSsh(net: TestNet): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "archlab-ssh-" });
  const map = net.hosts.map((h) => `${h.ip}) ns=${h.ns} ;;`).join("\n  ");
  await Deno.writeTextFile(
    `${dir}/ssh`,
    `#!/bin/sh
while [ "$1" = "-o" ]; do shift 2; done
host=$1; shift
case "$host" in
  ${map}
  *) echo "ssh: no such host $host" >&2; exit 255 ;;
esac
exec ip netns exec "$ns" sh -c "$*"
`,
  );
  await Deno.chmod(`${dir}/ssh`, 0o755);
  return dir;
}

netnsTest(
  "lab client-server --hosts --ssh starts the machines of other hosts with ssh HOST deno " +
    "run ... and restarts a crashed one the same way (ssh stood in for by a shell)",
  2,
  async (net, removeLater) => {
    const trace = await Deno.makeTempFile({ suffix: ".jsonl" });
    removeLater.push(trace);
    const file = await hostsFile(net);
    removeLater.push(file);
    const bin = await fakeSsh(net);
    removeLater.push(bin);
    const lab = net.spawn(net.lab, [
      "env",
      `PATH=${bin}:${Deno.env.get("PATH")}`,
      Deno.execPath(),
      "run",
      "-A",
      MAIN,
      "client-server",
      "--hosts",
      file,
      "--ssh",
      "--durable",
      "--requests",
      "100",
      "--delay",
      "5..10",
      "--crash",
      "m1.lab@300..900",
      "--trace",
      trace,
      "--json",
    ], LIMIT_MS);
    const end = await lab.end();
    assertEquals(end.code, 0, `${end.stderr}\n${end.stdout}`);
    assertTrue(!/waiting up to/.test(end.stderr), "nobody is asked to start anything by hand");
    const [h1, h2] = net.hosts;
    assertTrue(end.stderr.includes(`m1.lab=${h1.ip}:4001`), end.stderr);
    assertTrue(end.stderr.includes(`m2.lab=${h2.ip}:4001`), end.stderr);
    const summary = JSON.parse(end.stdout);
    assertEquals(summary.unfinished, []);
    assertEquals(summary.lostAcked, 0);
    assertEquals(summary.machinesLost, []);
    const events = (await Deno.readTextFile(trace)).trim().split("\n").map((l) => JSON.parse(l));
    const marks = events.filter((e) => e.ev === "crash" || e.ev === "restart");
    assertEquals(
      marks.filter((e) => e.ev === "restart" && e.at === "m1.lab").length,
      1,
      JSON.stringify(marks) + end.stdout + end.stderr,
    );
  },
);

netnsTest(
  "lab spmd --hosts: what a rank started by hand on another host prints reaches the lab",
  1,
  async (net, removeLater) => {
    const file = await Deno.makeTempFile({ suffix: ".hosts" });
    removeLater.push(file);
    await Deno.writeTextFile(
      file,
      `ctl.lab ${net.lab.ip}:7000\nrank1.lab ${net.hosts[0].ip}:0\n`,
    );
    const lab = net.spawn(net.lab, [
      Deno.execPath(),
      "run",
      "-A",
      MAIN,
      "spmd",
      "-n",
      "2",
      "--hosts",
      file,
      WAKU,
    ], LIMIT_MS);
    assertTrue(await lab.waitForStderr(/waiting up to 60 s for 1 machine/));
    const rank = startByHand(net, net.hosts[0], file, "rank1.lab");
    const end = await lab.end();
    const own = await rank.end();
    assertEquals(end.code, 0, end.stderr);
    assertTrue(end.stderr.includes("[rank0.lab] Process 0 sends a message"), end.stderr);
    assertTrue(end.stderr.includes("[rank1.lab] Process 1 received: Waku Waku"), end.stderr);
    assertTrue(
      !own.stderr.includes("Waku Waku"),
      "it went to the lab, not to its host's terminal",
    );
  },
);

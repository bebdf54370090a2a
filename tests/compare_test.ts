/**
 * `lab compare` puts the architectures side by side under one seed and one fault schedule; with
 * the serving machine down for good, the peer-to-peer design keeps answering and the
 * client/server one does not.
 * @module
 */
import { compareArchitectures } from "../lab/compare/command.ts";
import { assertEquals, assertTrue } from "./_assert.ts";
import { captureMain, runLab } from "./_lab.ts";

Deno.test("compareArchitectures() reports cost and availability of every architecture", async () => {
  const rows = await compareArchitectures([], { seed: 1, outage: "20" });
  assertEquals(rows.map((r) => r.architecture), ["client-server", "proxy", "three-tier", "p2p"]);
  const row = (name: string) => rows.find((r) => r.architecture === name)!;
  for (const r of rows) {
    assertTrue(r.requests > 0 && r.messagesPerRequest > 0 && r.bytesPerRequest > 0);
  }
  assertTrue(row("client-server").availability < 1, "no server, no answers");
  assertEquals(row("p2p").availability, 1);
  assertTrue(row("three-tier").messagesPerRequest > row("client-server").messagesPerRequest);
});

async function compareJson(...args: string[]) {
  const { code, stdout, stderr } = await runLab("compare", "--json", ...args);
  assertEquals(code, 0, stderr);
  return JSON.parse(stdout) as {
    rows: { architecture: string; retransmissions: number; faults: string[] }[];
  };
}

Deno.test("lab compare applies one --partition and --crash schedule to every architecture, by role", async () => {
  const calm = await compareJson();
  const cut = await compareJson(
    "--partition",
    "server|others@0..300",
    "--crash",
    "server@500..600",
  );
  const servers = ["m1.lab", "origin.lab", "data.lab", "p0.lab"];
  cut.rows.forEach((row, i) => {
    assertEquals(row.faults.slice(0, 2), ["--crash", `${servers[i]}@500..600`]);
    assertEquals(row.faults[2], "--partition");
    assertTrue(row.faults[3].startsWith(`${servers[i]}|`), row.faults[3]);
    assertTrue(!row.faults[3].slice(servers[i].length + 1).includes(servers[i]), row.faults[3]);
    // The cut really happened: frames to and from the server were lost and sent again.
    assertTrue(
      row.retransmissions > calm.rows[i].retransmissions,
      `${row.architecture}: ${row.retransmissions} retransmissions under the partition`,
    );
  });
});

Deno.test("lab compare refuses a fault that names a machine instead of a role", async () => {
  const { code, stderr } = await runLab("compare", "--crash", "m1.lab@100");
  assertEquals(code, 2);
  assertTrue(stderr.includes('"m1.lab" is no role') && stderr.includes("server"), stderr);
});

Deno.test("lab compare prints each architecture as it finishes, then the table; no progress line off a terminal", async () => {
  const { code, stdout, stderr } = await runLab("compare", "--crash", "server@500..600");
  assertEquals(code, 0, stderr);
  const lines = stdout.split("\n");
  const first = lines.findIndex((l) => l.startsWith("architecture "));
  for (const name of ["client-server", "proxy", "three-tier", "p2p"]) {
    const done = lines.findIndex((l) => l.startsWith(`${name}: `));
    assertTrue(done >= 0 && done < first, `${name} printed after the table`);
  }
  assertTrue(stdout.includes("p2p: --crash p0.lab@500..600"), stdout);
  assertTrue(!stderr.includes("\x1b[2K") && !stderr.includes("compare: "), stderr);
});

Deno.test("lab compare's latencies are of answered requests for every architecture: none when nothing was answered, not 0 ms or a timeout", async () => {
  const { code, out } = await captureMain(["compare", "--outage", "0"]);
  assertEquals(code, 0);
  const text = out.join("\n");
  for (const name of ["client-server", "proxy", "three-tier"]) {
    // Before: 0.0 ms for client-server and proxy, and three-tier's 1487.0 ms of its 5xx answers.
    assertTrue(new RegExp(`^${name} +sim .* 0% +none$`, "m").test(text), `${name}: ${text}`);
  }
  assertTrue(/^Latency: of the answered requests/m.test(text), text);
});

const SCRIPT = "/usr/bin/script";
const hasScript = (() => {
  try {
    return Deno.statSync(SCRIPT).isFile;
  } catch {
    return false;
  }
})();

/** Runs a lab command on a pseudo-terminal (util-linux `script`); its stdout and stderr merged. */
async function onTerminal(...args: string[]): Promise<string> {
  const main = new URL("../lab/main.ts", import.meta.url).pathname;
  const command = [Deno.execPath(), "run", "-A", main, ...args].map((a) => `'${a}'`).join(" ");
  const output = await new Deno.Command(SCRIPT, {
    args: ["-qec", command, "/dev/null"],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stdout);
}

Deno.test({
  name: "lab compare and lab p2p show a progress line on a terminal, and none with --json",
  ignore: !hasScript,
  fn: async () => {
    const compare = await onTerminal("compare");
    assertTrue(compare.includes("\x1b[2Kcompare: proxy (2/4), undisturbed run"), compare);
    const p2p = await onTerminal("p2p", "--sim", "--quiet", "--peers", "300");
    assertTrue(p2p.includes("\x1b[2Kp2p: round "), p2p);
    assertTrue(/p2p: round \d+, \d+\/300 live peers up to date/.test(p2p), p2p);
    const json = await onTerminal("p2p", "--sim", "--json", "--peers", "300");
    assertTrue(!json.includes("\x1b[2K") && !json.includes("p2p: round"), json);
  },
});

Deno.test("compareArchitectures() applies the same crash on real OS processes over TCP", async () => {
  const [row] = await compareArchitectures([], {
    real: true,
    architectures: ["client-server"],
    crashes: ["server@0..400"],
    outage: "20..60",
  });
  assertEquals(row.faults, ["--crash", "m1.lab@0..400"]);
  // The server is down for the first 400 ms of both runs: answers wait for its restart.
  assertTrue(row.latency.p99 >= 300, `p99 ${row.latency.p99} ms with the server down until 400 ms`);
  assertEquals(row.requests, 30);
});

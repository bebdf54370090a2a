/**
 * A machine that cannot start because of its input (its disk file, its port, the program that
 * starts it) is a clear error naming that input and what to do: from `lab node` run by hand, from
 * a deployment on OS processes, and from a lab command; never "this looks like a bug in archlab",
 * a replay in the simulator or a stack trace.
 * @module
 */
import { deploy } from "../lab/deploy/deploy.ts";
import { MachineStartError } from "../lab/deploy/run_errors.ts";
import { assertEquals, assertRejects, assertTrue } from "./_assert.ts";

const MAIN = new URL("../lab/main.ts", import.meta.url).pathname;
const NOT_A_BUG = /bug in archlab|replay in the simulator|^\s+at |Uncaught/m;

/** Runs `lab/main.ts ...args` (bounded: killed after 60 s); its exit code and output. */
async function lab(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
    signal: AbortSignal.timeout(60_000),
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

Deno.test("lab node with a disk file it cannot open names the file and what to do", async () => {
  const run = await lab(["node", "--machine", "m1.lab", "--disk", "/nonexistent/m1.sqlite"]);
  assertEquals(run.code, 1, run.stderr);
  assertTrue(
    run.stderr.startsWith(
      'archlab: Cannot start machine "m1.lab": cannot open the machine\'s disk: ' +
        '"/nonexistent/m1.sqlite" cannot be opened (unable to open database file); give a file ' +
        "in a folder that exists and this user can write",
    ),
    run.stderr,
  );
  assertTrue(!NOT_A_BUG.test(run.stderr), run.stderr);
});

Deno.test("lab node on a port in use names the address and the cause", async () => {
  const held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const address = `127.0.0.1:${held.addr.port}`;
    const run = await lab(["node", "--machine", "m1.lab", "--listen", address]);
    assertEquals(run.code, 1, run.stderr);
    assertTrue(
      run.stderr.includes(
        `archlab: Cannot start machine "m1.lab": listening at ${address}: Address already in use`,
      ),
      run.stderr,
    );
    assertTrue(run.stderr.includes("another process holds that port"), run.stderr);
    assertTrue(!NOT_A_BUG.test(run.stderr), run.stderr);
  } finally {
    held.close();
  }
});

Deno.test("deploy() on OS processes rejects with a MachineStartError naming a disk file that cannot be opened", async () => {
  const error = await assertRejects(
    () =>
      deploy([{ name: "m1.lab", processes: [{ name: "kv", program: "kv-server" }] }], {
        disks: "/nonexistent/disks",
      }),
    MachineStartError,
    'Cannot start machine "m1.lab": cannot open the machine\'s disk: ' +
      '"/nonexistent/disks/m1.lab.sqlite" cannot be opened',
  ) as MachineStartError;
  assertEquals(error.machine, "m1.lab");
});

Deno.test("lab client-server --ssh without ssh on this host says to install it, not that it is a bug", async () => {
  const path = await Deno.makeTempFile({ suffix: ".hosts" });
  try {
    // 192.0.2.0/24 is TEST-NET-1: never this host; the lab would start m1.lab there with ssh.
    await Deno.writeTextFile(path, "ctl.lab 127.0.0.1:0\nm1.lab 192.0.2.7:4001\n");
    const run = await lab(["client-server", "--hosts", path, "--ssh", "--requests", "2"], {
      PATH: "/nonexistent",
    });
    assertEquals(run.code, 1, run.stderr);
    assertTrue(
      run.stderr.includes(
        'archlab: Cannot start machine "m1.lab": cannot run "ssh" (Failed to spawn \'ssh\'',
      ),
      run.stderr,
    );
    assertTrue(run.stderr.includes("install an SSH client on this host"), run.stderr);
    assertTrue(!NOT_A_BUG.test(run.stderr), run.stderr);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("lab node that cannot reach its lab says where it tried, not that it is a bug", async () => {
  const free = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const address = `127.0.0.1:${free.addr.port}`;
  free.close();
  const run = await lab(["node", "--machine", "m1.lab", "--lab", address, "--lab-wait", "0.2"]);
  assertEquals(run.code, 1, run.stderr);
  assertTrue(run.stderr.includes(`archlab: Cannot reach the lab at ${address}`), run.stderr);
  assertTrue(!NOT_A_BUG.test(run.stderr), run.stderr);
});

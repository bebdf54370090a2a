/**
 * Real-socket runs as a user meets them: narration in time order with times from the start of
 * the run, a crash window kept in wall time, and Ctrl-C in a terminal (SIGINT to the lab and all
 * its machine processes) ending with a partial summary, exit 130 and no stack trace.
 * @module
 */
import { assertEquals, assertTrue } from "./_assert.ts";
import { runLab } from "./_lab.ts";

const MAIN = new URL("../lab/main.ts", import.meta.url).pathname;
/** Safety net only: a child still running after this long is killed and the test fails. */
const LIMIT_MS = 60_000;

Deno.test("lab client-server narrates in time order from the start and keeps a crash window", async () => {
  const { code, stdout, stderr } = await runLab(
    "client-server",
    "--requests",
    "20",
    // Each request takes at least 10 ms: the run is still going when the crash comes at 50 ms.
    "--delay",
    "5",
    "--crash",
    "m1.lab@50..300",
  );
  // Whether every request made it depends on the machine's load; the run must end either way.
  assertTrue(code === 0 || code === 1, stderr);
  const times = [...stdout.matchAll(/^ +(\d+\.\d+) ms {2}/gm)].map((m) => Number(m[1]));
  assertTrue(times.length > 20, stdout);
  assertTrue(times[0] >= 0, stdout);
  for (let i = 1; i < times.length; i++) {
    assertTrue(times[i] >= times[i - 1], `narration goes back in time at line ${i}:\n${stdout}`);
  }
  const at = (what: string) =>
    Number(new RegExp(`(\\d+\\.\\d+) ms {2}\\*\\*\\* ${what}`).exec(stdout)?.[1]);
  const crash = at("CRASH m1.lab"), restart = at("RESTART m1.lab");
  assertTrue(crash >= 49 && restart >= 299, `crash ${crash}, restart ${restart}`);
  assertTrue(restart - crash >= 240, `down only ${restart - crash} ms:\n${stdout}`);
});

/** Starts the lab in its own process group, as a terminal runs a command. */
function spawnInGroup(args: string[]): Deno.ChildProcess {
  return new Deno.Command("setsid", {
    args: [Deno.execPath(), "run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

/**
 * The pids of the direct children of process `pid` (Linux), read by `cat`: the test task's
 * permissions let Deno run programs but not read /proc itself.
 */
async function childrenOf(pid: number): Promise<number[]> {
  const { success, stdout } = await new Deno.Command("cat", {
    args: [`/proc/${pid}/task/${pid}/children`],
    stdout: "piped",
  }).output();
  assertTrue(success, `cannot list the children of process ${pid}`);
  const text = new TextDecoder().decode(stdout);
  return text.trim().split(/\s+/).filter((p) => p !== "").map(Number);
}

/**
 * Runs `lab group` with a trace, and once messages flow sends SIGINT to what `targets` names
 * (given the lab's pid); checks that the lab stops every machine, prints a partial summary and
 * the trace so far, and exits 130 with no stack trace, within the test's safety net.
 */
async function interruptGroup(targets: (lab: number) => Promise<number[]>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/group.jsonl`;
  const child = spawnInGroup(["group", "--messages", "100000", "--trace", file]);
  const guard = setTimeout(() => Deno.kill(-child.pid, "SIGKILL"), LIMIT_MS);
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let stdout = "";
    while (!/ ms {2}\S+ -> /.test(stdout)) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += value;
    }
    for (const pid of await targets(child.pid)) Deno.kill(pid, "SIGINT");
    const stderr = new Response(child.stderr).text();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += value;
    }
    const errors = await stderr;
    assertEquals((await child.status).code, 130, errors);
    assertTrue(stdout.includes("Partial summary: the run did not finish"), stdout);
    assertTrue(stdout.includes("interrupted (Ctrl-C)"), stdout);
    assertTrue(/^errors +\d+/m.test(stdout), stdout);
    assertTrue(!/Uncaught|Cannot send frame|^\s+at /m.test(errors), errors);
    assertTrue((await Deno.readTextFile(file)).includes('"ev":"send"'), "the trace so far");
  } finally {
    clearTimeout(guard);
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("lab group on Ctrl-C in a terminal stops every machine, prints a partial summary, exits 130", async () => {
  // Ctrl-C in a terminal signals the whole foreground process group: the lab and its machines.
  await interruptGroup((lab) => Promise.resolve([-lab]));
});

Deno.test("lab group ends the same way when Ctrl-C reaches its machines before the lab", async () => {
  // The machines stop and exit first (as on a loaded host the lab can hear the signal last):
  // the lab must not wait for counters from machines that are gone.
  await interruptGroup(childrenOf);
});

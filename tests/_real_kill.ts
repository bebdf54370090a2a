/**
 * Helpers for tests that `kill -9` a machine of a real lab run: start the lab in its own process
 * group (as a terminal does), read its output until a line shows the run is under way, find the
 * OS process of a machine among the lab's children, and collect how the lab ended. Every wait
 * is bounded: a lab still running after {@link LIMIT_MS} is killed and the test fails.
 * @module
 */
import { assertTrue } from "./_assert.ts";

const MAIN = new URL("../lab/main.ts", import.meta.url).pathname;
/** Safety net only: a lab still running after this long is killed, and the test fails. */
export const LIMIT_MS = 90_000;

/** A lab run started by {@link startLab}. */
export interface LabRun {
  /** The lab's pid (also its process group's id). */
  readonly pid: number;
  /** Reads stdout until `pattern` matches what was read so far; false if the lab ended first. */
  waitFor(pattern: RegExp): Promise<boolean>;
  /** The same on stderr (where `--json` runs say anything that is not the summary). */
  waitForError(pattern: RegExp): Promise<boolean>;
  /**
   * The bound under test: from now, the lab must end within `ms`, or it is killed and
   * {@link LabRun.end} says `killed`.
   */
  within(ms: number): void;
  /** Reads to the end; the exit code, all stdout and stderr, and whether the safety net fired. */
  end(): Promise<{ code: number; stdout: string; stderr: string; killed: boolean }>;
}

/** Starts `lab/main.ts ...args` in its own process group, with a safety net. */
export function startLab(args: string[]): LabRun {
  const child = new Deno.Command("setsid", {
    args: [Deno.execPath(), "run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let killed = false;
  const kill = () => {
    killed = true;
    Deno.kill(-child.pid, "SIGKILL");
  };
  let guard = setTimeout(kill, LIMIT_MS);
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const errors = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let stdout = "", stderr = "";
  return {
    pid: child.pid,
    async waitFor(pattern) {
      while (!pattern.test(stdout)) {
        const { value, done } = await reader.read();
        if (done) return false;
        stdout += value;
      }
      return true;
    },
    async waitForError(pattern) {
      while (!pattern.test(stderr)) {
        const { value, done } = await errors.read();
        if (done) return false;
        stderr += value;
      }
      return true;
    },
    within(ms) {
      clearTimeout(guard);
      guard = setTimeout(kill, ms);
    },
    async end() {
      const rest = (async () => {
        for (;;) {
          const { value, done } = await errors.read();
          if (done) break;
          stderr += value;
        }
      })();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        stdout += value;
      }
      await rest;
      const status = await child.status;
      clearTimeout(guard);
      return { code: status.code, stdout, stderr, killed };
    },
  };
}

/** Runs `cat FILE` (the test task may run programs but not read /proc itself). */
async function cat(file: string): Promise<string | undefined> {
  const { success, stdout } = await new Deno.Command("cat", {
    args: [file],
    stdout: "piped",
    stderr: "null",
  }).output();
  return success ? new TextDecoder().decode(stdout) : undefined;
}

/**
 * The pid of the OS process of `machine` among the children of the lab `lab` (Linux): the one
 * of its first incarnation (lowest `--epoch`), so that a replacement started early for a
 * planned crash is not taken for it.
 */
export async function machineProcess(lab: number, machine: string): Promise<number> {
  // Every thread's children: a process may start its children from another thread than its main.
  const { stdout } = await new Deno.Command("sh", {
    args: ["-c", `cat /proc/${lab}/task/*/children`],
    stdout: "piped",
    stderr: "null",
  }).output();
  const children = new TextDecoder().decode(stdout);
  let found: number | undefined, lowest = Infinity;
  for (const pid of children.trim().split(/\s+/).filter((p) => p !== "").map(Number)) {
    const args = (await cat(`/proc/${pid}/cmdline`))?.split("\0") ?? [];
    const at = args.indexOf("--machine");
    const epoch = Number(args[args.indexOf("--epoch") + 1]);
    if (at >= 0 && args[at + 1] === machine && epoch < lowest) {
      found = pid;
      lowest = epoch;
    }
  }
  assertTrue(found !== undefined, `no OS process of machine "${machine}" under the lab ${lab}`);
  return found;
}

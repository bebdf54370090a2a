/**
 * Lab child processes that print a URL to wait for: `lab serve` and `lab ... --live`. The test
 * reads the child's output until the URL appears (bounded in lines and time), keeps draining it
 * so the child never blocks on a full pipe, and ends the child with SIGINT by its own handle.
 * @module
 */
const MAIN = new URL("../lab/main.ts", import.meta.url).pathname;

/** A lab child process and the URL it printed. */
export interface LabChild {
  /** The URL the child printed. */
  readonly url: string;
  /** Everything the child printed on the watched stream so far. */
  text(): string;
  /** Sends SIGINT and waits for the exit code. */
  stop(): Promise<number>;
  /** Everything the child printed on its other stream (stdout when watching stderr), at exit. */
  other(): Promise<string>;
}

/**
 * Starts `deno run -A lab/main.ts ...args` and waits until it prints a URL matching `pattern` on
 * `stream`; fails after `timeoutMs` or 400 lines without one.
 */
export async function startLabChild(
  args: readonly string[],
  options: { stream: "stdout" | "stderr"; pattern: RegExp; timeoutMs?: number; cwd?: string },
): Promise<LabChild> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: options.stream === "stderr" ? "piped" : "inherit",
    stdin: "null",
    cwd: options.cwd,
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = child[options.stream].pipeThrough(new TextDecoderStream()).getReader();
  const other = options.stream === "stderr"
    ? new Response(child.stdout).text()
    : Promise.resolve("");
  let text = "";
  let url: string | undefined;
  const deadline = setTimeout(() => reader.cancel("no URL in time"), options.timeoutMs ?? 30_000);
  try {
    for (let i = 0; i < 400 && url === undefined; i++) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      url = options.pattern.exec(text)?.[0];
    }
  } finally {
    clearTimeout(deadline);
  }
  if (url === undefined) {
    child.kill("SIGKILL");
    await child.status;
    await other;
    throw new Error(`The lab printed no URL matching ${options.pattern}: ${text}`);
  }
  // Keep draining what it prints.
  const drained = (async () => {
    for (let i = 0; i < 1_000_000; i++) { // Ends when the child exits and its pipe closes.
      const { value, done } = await reader.read();
      if (done) return;
      text += value;
    }
  })();
  return {
    url,
    text: () => text,
    async stop() {
      child.kill("SIGINT");
      const status = await child.status;
      await drained;
      return status.code;
    },
    other: () => other,
  };
}

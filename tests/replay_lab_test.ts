/**
 * Every replay command the lab prints for a failed run is a real command: it names a lab
 * command and flags that command accepts, its values quoted for a shell, and run again it gives
 * the same verdict (the same exit code, or the same trace digest for a campaign's seed).
 * @module
 */
import { COMMANDS, failureReport, REPLAYABLE, replayHint } from "../lab/main.ts";
import { RunStalledError } from "../lab/deploy/run_errors.ts";
import { assertEquals, assertTrue } from "./_assert.ts";
import { captureMain } from "./_lab.ts";

const example = (file: string) => new URL(`../examples/${file}`, import.meta.url).pathname;

/** Splits a POSIX shell line into words: single and double quotes, backslash escapes. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === " ") {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      assertTrue(end > i, `unclosed ${c} in ${line}`);
      word = (word ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (c === "\\") {
      word = (word ?? "") + line[++i];
    } else {
      assertTrue(!"|&;<>()$`*?[#~".includes(c), `unquoted ${c} in ${line}`);
      word = (word ?? "") + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The lab arguments of the one suggestion in `text` that `marker` introduces. */
function suggestion(text: string, marker: RegExp): string[] {
  const lines = text.split("\n").filter((l) => marker.test(l));
  assertEquals(lines.length, 1, `one suggestion after ${marker} in:\n${text}`);
  const at = lines[0].indexOf("deno task lab ");
  assertTrue(at >= 0, lines[0]);
  const words = shellWords(lines[0].slice(at));
  assertEquals(words.slice(0, 3), ["deno", "task", "lab"]);
  assertTrue(words[3] in COMMANDS, `${words[3]} is a lab command`);
  return words.slice(3);
}

/** Runs the lab as its `main` does; the exit code and everything it printed. */
async function lab(args: string[]): Promise<{ code: number; text: string }> {
  const { code, out, err } = await captureMain(args);
  return { code, text: [...out, ...err].join("\n") };
}

/** A system whose process `a@m1.lab` throws when its first message comes. */
async function failingSystem(dir: string): Promise<string> {
  const file = `${dir}/it's boom.ts`;
  await Deno.writeTextFile(
    file,
    `export default {
  "a@m1.lab": async (ctx) => { await ctx.receive(); throw new Error("boom"); },
  "b@m2.lab": (ctx) => { ctx.send("a@m1.lab", { kind: "hi" }); },
};\n`,
  );
  return file;
}

interface Case {
  /** What prints the suggestion. */
  readonly name: string;
  /** The run that fails, and how its suggestion is introduced. */
  readonly run: (dir: string) => Promise<{ args: string[]; marker: RegExp }>;
}

const CASES: readonly Case[] = [
  {
    name: "a process that throws in the simulator (its error quotes the replay)",
    run: async (dir) => ({
      args: ["run", await failingSystem(dir), "--sim", "--partition", "m1.lab|m2.lab@50..60"],
      marker: /Cannot run process "a@m1\.lab".*replay with deno task lab /,
    }),
  },
  {
    name: "a process that throws on OS processes over UDP (replayed in the simulator)",
    run: async (dir) => ({
      args: ["run", await failingSystem(dir), "--transport", "udp", "-q"],
      marker: /^\s+replay in the simulator: /,
    }),
  },
  {
    name: "lab check finding a stale read",
    run: (dir) =>
      Promise.resolve({
        args: [
          "check",
          "lin-kv",
          example("check/lin_kv_stale.ts"),
          "--nemesis",
          "partition",
          "--trace",
          `${dir}/a run.jsonl`,
        ],
        marker: /^replay: /,
      }),
  },
  {
    name: "lab explore finding a counterexample",
    run: () => Promise.resolve({ args: ["explore", "2pc", "--broken"], marker: /^replay: / }),
  },
  {
    name: "lab check --explore finding a counterexample",
    run: () =>
      Promise.resolve({
        args: [
          "check",
          "unique-ids",
          new URL("./testdata/check/unique_ids_racy.ts", import.meta.url).pathname,
          "--explore",
          "--node-count",
          "1",
        ],
        marker: /^replay: /,
      }),
  },
  {
    name: "--shrink printing the minimal failure",
    run: async (dir) => ({
      args: ["run", await failingSystem(dir), "--sim", "--drop", "0.1", "--shrink"],
      marker: /^replay the minimal failure: /,
    }),
  },
];

for (const { name, run } of CASES) {
  Deno.test(`the replay command after ${name} runs again to the same verdict`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "replay dir " });
    try {
      const { args, marker } = await run(dir);
      const first = await lab(args);
      assertTrue(first.code === 1, `${args.join(" ")}: exit ${first.code}\n${first.text}`);
      const replay = suggestion(first.text, marker);
      const again = await lab(replay);
      assertEquals(again.code, first.code, `${replay.join(" ")}:\n${again.text}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("a campaign's failing seed replays to the same trace digest", async () => {
  const { code, text } = await lab([
    "campaign",
    "client-server",
    "--seeds",
    "4",
    "--json",
    "--",
    "--reply-cache",
    "0",
  ]);
  assertEquals(code, 1, text);
  const report = JSON.parse(text.split("\n").find((l) => l.startsWith("{"))!);
  const failure =
    report.architectures[0].failures.find((f: { replay: string }) => f.replay.includes("'")) ??
      report.architectures[0].failures[0];
  const replay = suggestion(failure.replay, /deno task lab /);
  const again = await lab([...replay, "--json"]);
  assertTrue(again.code !== 2, again.text);
  const summary = JSON.parse(again.text.split("\n").find((l) => l.startsWith("{"))!);
  assertEquals(summary.traceDigest, failure.digest, failure.replay);
});

Deno.test("replayHint() is given for exactly the commands that take --sim and --seed", async () => {
  for (const name of Object.keys(COMMANDS)) {
    const hint = replayHint([name, "--transport", "udp", "--hosts", "h", "--ssh", "--real"]);
    assertEquals(hint !== undefined, REPLAYABLE.has(name), name);
    const help = (await lab([name, "--help"])).text;
    assertEquals(
      /^\s+--trace FILE/m.test(help),
      REPLAYABLE.get(name)?.trace ?? /^\s+--trace FILE/m.test(help),
      name,
    );
    if (hint === undefined) continue;
    // What the hint adds is accepted by the command's parser (--help stops before the run).
    const words = suggestion(hint, /deno task lab /);
    assertEquals(words[0], name);
    assertTrue(words.slice(1, 4).join(" ") === "--sim --seed 1", hint);
    const { code, text } = await lab([...words, "--help"]);
    assertEquals(code, 0, `${name}: ${text.slice(0, 300)}`);
  }
});

Deno.test("a stalled run's report names its seed and replays without its results folder or live view", () => {
  const error = new RunStalledError({ time: 812.5, seed: 4, reason: "quiet" });
  const lines = failureReport(error, ["p2p", "--sim", "--out", "runs/a", "--live", "--seed", "4"]);
  assertEquals(lines, [
    "archlab: Cannot finish the run: the simulation went quiet at 812.500 ms before the workload " +
    "finished (seed 4): every process waits for something that will not come; the replay's trace " +
    "shows its last events",
    "  replay: deno task lab p2p --sim --seed 4 --trace run.jsonl",
  ]);
  // `--out` without a folder takes no following flag with it.
  assertEquals(
    replayHint(["client-server", "--out", "--drop", "0.2"]),
    "replay in the simulator: deno task lab client-server --drop 0.2 --sim --seed 1 --trace run.jsonl",
  );
});

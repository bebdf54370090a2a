/**
 * Output-path flags of every lab command (`--trace FILE`, `lab check --svg FILE`): an unsupported
 * extension or a folder that does not exist is a usage error naming the path and the formats,
 * before the run starts (issue 12).
 * @module
 */
import { COMMANDS } from "../lab/main.ts";
import { assertEquals, assertTrue } from "./_assert.ts";
import { captureMain } from "./_lab.ts";

const example = (file: string) => new URL(`../examples/${file}`, import.meta.url).pathname;

/** The arguments each command that takes `--trace` needs to start a quick run. */
const TRACE_RUNS: Readonly<Record<string, readonly string[]>> = {
  "client-server": ["--sim"],
  proxy: ["--sim"],
  "three-tier": ["--sim"],
  "mobile-agent": ["--sim"],
  p2p: ["--sim"],
  group: ["--sim"],
  rpc: [],
  transactions: ["--sim"],
  spmd: ["-n", "2", "--sim", example("heat_diffusion.ts")],
  run: ["--sim", example("run/kv.ts")],
  check: ["lin-kv", example("check/lin_kv_stale.ts")],
  explore: ["2pc"],
};

const TRACE_FORMATS = /use one of \.jsonl, \.mmd, \.svg, \.html, \.shiviz/;

async function assertRefused(args: string[], message: RegExp): Promise<void> {
  const { code, out, err } = await captureMain(args);
  const said = err.join("\n");
  assertEquals(code, 2, `${args.join(" ")}: exit ${code}\n${said}`);
  assertTrue(message.test(said), `${args.join(" ")}: ${said}`);
  assertTrue(said.includes("Usage: deno task lab"), `${args.join(" ")}: no usage\n${said}`);
  assertEquals(out, [], `${args.join(" ")} ran before refusing`);
}

Deno.test("every command whose help offers --trace is in the table of this test", async () => {
  for (const name of Object.keys(COMMANDS)) {
    const { out } = await captureMain([name, "--help"]);
    const offers = /^\s+--trace FILE/m.test(out.join("\n"));
    assertEquals(name in TRACE_RUNS, offers, `${name}: --trace in its help: ${offers}`);
  }
});

Deno.test("lab COMMAND --trace refuses an unknown extension and a missing folder before the run", async () => {
  for (const [name, args] of Object.entries(TRACE_RUNS)) {
    await assertRefused(
      [name, ...args, "--trace", "run.png"],
      new RegExp(`^Cannot write trace "run\\.png": .*${TRACE_FORMATS.source}`),
    );
    await assertRefused(
      [name, ...args, "--trace", "/no/such/folder/run.jsonl"],
      /^Cannot write trace "\/no\/such\/folder\/run\.jsonl": .*choose a writable path/,
    );
  }
});

Deno.test("lab check --svg refuses another extension, a missing folder, and a run it cannot draw", async () => {
  const lin = ["check", "lin-kv", example("check/lin_kv_stale.ts")];
  await assertRefused(
    [...lin, "--svg", "w.png"],
    /^Cannot write window "w\.png": .*use one of \.svg/,
  );
  await assertRefused(
    [...lin, "--svg", "/no/such/folder/w.svg"],
    /^Cannot write window "\/no\/such\/folder\/w\.svg": .*choose a writable path/,
  );
  await assertRefused(
    ["check", "echo", example("check/echo.ts"), "--svg", "w.svg"],
    /^Cannot use --svg: .*lin-kv/,
  );
  await assertRefused([...lin, "--explore", "--svg", "w.svg"], /^Cannot use --svg: .*--explore/);
});

Deno.test("lab explore --trace is refused with --ui, which writes no trace", async () => {
  await assertRefused(
    ["explore", "2pc", "--ui", "--trace", "t.jsonl"],
    /^Cannot use --trace with --ui: /,
  );
});

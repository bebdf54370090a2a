/**
 * A process that fails inside a simulated lab deployment fails the run with the lab command that
 * replays it.
 * @module
 */
import { ProcessFailedError } from "../core/errors.ts";
import { deploy } from "../lab/deploy/deploy.ts";
import { assertEquals, assertRejects, assertTrue } from "./_assert.ts";

Deno.test("deploy({ sim: true }).run() rejects with the failed process and how to replay it", async () => {
  const deployment = await deploy([], { sim: true, seed: 5 });
  deployment.spawnControl("bad", async (ctx) => {
    await ctx.sleep(7);
    throw new Error("boom");
  });
  const failure = await assertRejects(
    () => deployment.run(new Promise(() => {})),
    ProcessFailedError,
  ) as ProcessFailedError;
  assertEquals([failure.address, failure.time, failure.seed], ["bad@ctl.lab", 7, 5]);
  // This test is not the lab: the replay says what to run in words.
  assertEquals(failure.replay, "the same lab command with --sim --seed 5");
});

Deno.test("deploy({ sim: true }) in the lab quotes the lab's own command line to replay a failure", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/fail.ts`;
    await Deno.writeTextFile(
      script,
      `import { deploy } from "${new URL("../lab/deploy/deploy.ts", import.meta.url).href}";
const deployment = await deploy([], { sim: true, seed: 9 });
deployment.spawnControl("bad", () => { throw new Error("boom"); });
await deployment.run(new Promise(() => {}));
`,
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--config",
        new URL("../deno.json", import.meta.url).pathname,
        script,
        ...["client-server", "--sim", "--seed", "9", "--partition", "m1.lab|m2.lab@1..5"],
        ...["--auth", "s3cret"],
      ],
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assertEquals(output.code, 1, stderr);
    assertTrue(
      stderr.includes(
        'ProcessFailedError: Cannot run process "bad@ctl.lab": it failed at 0.000 ms of virtual ' +
          "time under seed 9 with Error: boom; replay with deno task lab client-server --sim " +
          "--partition 'm1.lab|m2.lab@1..5' --auth KEY --seed 9",
      ),
      stderr,
    );
    assertTrue(!stderr.includes("s3cret"), "the key is not echoed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

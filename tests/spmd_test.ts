/**
 * SPMD launch (seed 000, "mpiexec -n 2 python ejemplo.py"): `deno task lab spmd -n 2
 * examples/waku_waku.ts` starts two OS processes, rank 0 sends "Waku Waku" and rank 1 prints
 * it; in the simulator the same program replays from its seed; a rank that fails makes the
 * launcher fail and say why.
 * @module
 */
import { assertEquals, assertTrue } from "./_assert.ts";
import { runLab } from "./_lab.ts";

const WAKU = new URL("../examples/waku_waku.ts", import.meta.url).pathname;
const HEAT = new URL("../examples/heat_diffusion.ts", import.meta.url).pathname;

const lab = runLab;

async function program(source: string): Promise<string> {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(file, source);
  return file;
}

Deno.test("lab spmd -n 2 runs two OS processes: rank 0 sends Waku Waku, rank 1 prints it", async () => {
  const { code, stdout, stderr } = await lab("spmd", "-n", "2", WAKU);
  assertEquals(code, 0, stderr);
  // Each rank's own output comes through the lab, prefixed with its machine, on stderr.
  assertTrue(stderr.includes("[rank0.lab] Process 0 sends a message"), stderr);
  assertTrue(stderr.includes("[rank1.lab] Process 1 received: Waku Waku"), stderr);
  assertTrue(stdout.includes("spmd@rank0.lab -> spmd@rank1.lab MPI:0 Waku Waku"), stdout);
  assertTrue(/ranks +2 \(2 finished\)/.test(stdout), stdout);
  assertTrue(/transport +tcp/.test(stdout), stdout);
});

Deno.test("lab spmd --sim --json gives the heat demo's result and replays from its seed", async () => {
  const run = () => lab("spmd", "-n", "4", "--sim", "--json", "--seed", "3", HEAT);
  const first = await run(), second = await run();
  assertEquals(first.code, 0, first.stderr);
  const summary = JSON.parse(first.stdout.trim().split("\n").at(-1)!);
  assertEquals(summary.architecture, "spmd");
  assertEquals(summary.ranks, 4);
  assertEquals(summary.results, [true, null, null, null]);
  assertTrue(summary.messages > 0);
  assertEquals(
    summary.traceDigest,
    JSON.parse(second.stdout.trim().split("\n").at(-1)!).traceDigest,
  );
});

Deno.test("lab spmd fails with exit 1 and names the rank when a rank's program throws", async () => {
  const file = await program(`
    export default async function (comm) {
      if (comm.rank === 1) throw new Error("rank one gives up");
      await comm.barrier();
    }`);
  try {
    const { code, stderr } = await lab("spmd", "-n", "3", "--sim", "-q", "--timeout", "300", file);
    assertEquals(code, 1);
    assertTrue(stderr.includes("rank 1 failed: rank one gives up"), stderr);
    assertTrue(stderr.includes("rank 0 failed: Cannot complete barrier: rank 1"), stderr);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("lab spmd rejects a missing file (exit 2) and a module without a default function", async () => {
  const missing = await lab("spmd", "-n", "2", "--sim", "no/such/program.ts");
  assertEquals(missing.code, 2);
  assertTrue(missing.stderr.includes('program "no/such/program.ts" is not a readable file'));
  const file = await program("export const x = 1;");
  try {
    const { code, stderr } = await lab("spmd", "-n", "2", "--sim", "-q", file);
    assertEquals(code, 2);
    assertTrue(stderr.includes("has no default export function"), stderr);
  } finally {
    await Deno.remove(file);
  }
});

/**
 * Gossip to convergence in the simulator, for n = 10, 100, 1,000 and 10,000 peers.
 *
 * - Baseline of each group: the synchronous-rounds model of the same protocol on plain arrays
 *   (no processes, no messages), with the same random partner choices: what the algorithm costs
 *   by itself.
 * - Candidates: `simulateGossip()` with push and with push-pull, one write at a random peer,
 *   static membership, `{ trace: false, wire: "object", reliable: false }` (gossip repairs loss
 *   itself, so it runs on the raw network), and push-pull over the reliable channel. Each
 *   iteration uses the next seed.
 *
 * After the last benchmark a table prints, per n and mode: mean rounds to converge against the
 * targets (push <= log2 n + ln n + 2; push-pull <= log3 n + ln ln n + 2), gossip messages per
 * peer, mean wall time per run, and the heap of an idle simulated peer (machine, process and
 * peer state; the core's machine and process are most of it).
 *
 * Group `lab p2p n=...`: the command users run, `lab p2p --sim --peers n` with its defaults
 * (push, heartbeat membership, reliable channel, a streamed trace), against the synchronous push
 * model; its table gives rounds against the bound the lab states, wall time and the process's
 * RSS so far. 10,000 peers are measured from the command line (see the README).
 *
 * Run with `deno bench -A bench/peers_bench.ts` (add `--v8-flags=--expose-gc` for a steadier
 * heap figure).
 * @module
 */
import { createRandom } from "../core/prng.ts";
import { runP2p } from "../lab/p2p/command.ts";
import { simulateGossip } from "../peers/gossip_sim.ts";

type Mode = "push" | "push-pull";

interface Sample {
  rounds: number;
  messages: number;
  wallMs: number;
  converged: boolean;
}

const SIZES = [10, 100, 1_000, 10_000];
const ITERATIONS: Record<number, number> = { 10: 30, 100: 15, 1_000: 4, 10_000: 2 };
const samples = new Map<string, Sample[]>();
const idleHeap = new Map<number, number>();
const seeds = new Map<string, number>();

function nextSeed(key: string): number {
  const seed = (seeds.get(key) ?? 0) + 1;
  seeds.set(key, seed);
  return seed;
}

/** Rounds the synchronous model needs to inform every node, on plain arrays. */
function modelRounds(n: number, mode: Mode, seed: number): number {
  const random = createRandom(seed);
  let informed = new Uint8Array(n);
  informed[random.int(n)] = 1;
  let count = 1, rounds = 0;
  while (count < n) {
    rounds++;
    const next = informed.slice();
    for (let i = 0; i < n; i++) {
      let j = random.int(n - 1);
      if (j >= i) j++;
      if (informed[i] && !next[j]) next[j] = 1;
      if (mode === "push-pull" && informed[j] && !next[i]) next[i] = 1;
    }
    informed = next;
    count = informed.reduce((a, b) => a + b, 0);
  }
  return rounds;
}

async function gossip(n: number, mode: Mode, reliable: boolean): Promise<void> {
  const key = `${n} ${mode}${reliable ? " reliable" : ""}`;
  const started = performance.now();
  const outcome = await simulateGossip({
    peers: n,
    mode,
    seed: nextSeed(key),
    membership: "static",
    simulator: { trace: false, wire: "object", reliable },
  });
  const list = samples.get(key) ?? [];
  list.push({
    rounds: outcome.rounds,
    messages: outcome.messages,
    wallMs: performance.now() - started,
    converged: outcome.converged,
  });
  samples.set(key, list);
}

/** Heap bytes per idle peer: n peers spawned and waiting for their first round. */
async function measureIdle(n: number): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = Deno.memoryUsage().heapUsed;
  const outcome = await simulateGossip({
    peers: n,
    membership: "static",
    writes: 0,
    maxRounds: 0,
    simulator: { trace: false, wire: "object", reliable: false },
  });
  await outcome.sim.run({ until: 50 }); // every peer started and waits for its first round
  gc?.();
  const after = Deno.memoryUsage().heapUsed;
  idleHeap.set(n, Math.max(0, after - before) / n);
  void outcome.sim;
}

function bound(n: number, mode: Mode): number {
  return mode === "push"
    ? Math.log2(n) + Math.log(n) + 2
    : Math.log(n) / Math.log(3) + Math.log(Math.log(n)) + 2;
}

let printed = false;

function printTable(): void {
  if (printed) return;
  printed = true;
  const rows = [[
    "n",
    "mode",
    "runs",
    "mean rounds",
    "target",
    "msgs/peer",
    "wall ms",
    "B/idle peer",
  ]];
  for (const [key, list] of samples) {
    const [n, mode] = key.split(" ");
    const mean = (f: (s: Sample) => number) => list.reduce((a, s) => a + f(s), 0) / list.length;
    const ok = list.every((s) => s.converged);
    rows.push([
      n,
      key.slice(n.length + 1),
      String(list.length),
      `${mean((s) => s.rounds).toFixed(2)}${ok ? "" : " (not all converged)"}`,
      `<= ${bound(Number(n), mode as Mode).toFixed(2)}`,
      (mean((s) => s.messages) / Number(n)).toFixed(1),
      mean((s) => s.wallMs).toFixed(0),
      idleHeap.has(Number(n)) ? idleHeap.get(Number(n))!.toFixed(0) : "",
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  console.log("\ngossip to convergence in the simulator (one write, static membership)");
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c])).join("  "));
}

for (const n of SIZES) {
  const group = `gossip n=${n}`;
  const iterations = ITERATIONS[n];
  const options = { group, n: iterations, warmup: n >= 1_000 ? 0 : 2 };
  Deno.bench(`model: synchronous rounds on arrays, push-pull (n=${n})`, {
    ...options,
    baseline: true,
  }, () => {
    modelRounds(n, "push-pull", nextSeed(`model ${n}`));
  });
  Deno.bench(`simulator: push, raw network (n=${n})`, options, async () => {
    await gossip(n, "push", false);
  });
  Deno.bench(`simulator: push-pull, raw network (n=${n})`, options, async () => {
    await gossip(n, "push-pull", false);
  });
  Deno.bench(`simulator: push-pull, reliable channel (n=${n})`, options, async () => {
    await gossip(n, "push-pull", true);
  });
}

/** One `lab p2p --sim --json --peers n` run in this process, with the command's defaults. */
async function labRun(n: number, extra: string[] = []): Promise<void> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => lines.push(parts.join(" "));
  const started = performance.now();
  try {
    await runP2p(["--sim", "--json", "--peers", String(n), ...extra]);
  } finally {
    console.log = log;
  }
  const summary = JSON.parse(lines.at(-1)!);
  const key = `${n}${extra.length > 0 ? ` ${extra.join(" ")}` : ""}`;
  labSamples.set(key, {
    rounds: summary.rounds,
    bound: summary.bound,
    wallMs: performance.now() - started,
    rss: Deno.memoryUsage().rss,
    converged: summary.converged,
  });
}

let labRuns = 0;
const labSamples = new Map<
  string,
  { rounds: number; bound: number; wallMs: number; rss: number; converged: boolean }
>();

// The command users run: heartbeat membership, reliable channel, a streamed trace, push.
for (const n of [1_000, 3_000]) {
  const group = `lab p2p n=${n}`;
  Deno.bench(`model: synchronous rounds on arrays, push (n=${n})`, {
    group,
    n: 2,
    warmup: 0,
    baseline: true,
  }, () => {
    modelRounds(n, "push", nextSeed(`lab model ${n}`));
  });
  Deno.bench(`lab p2p --sim --peers ${n} (defaults)`, { group, n: 2, warmup: 0 }, async () => {
    await labRun(n);
    // Printed after the last run of the group, also when a --filter leaves the others out.
    if (n === 3_000 && ++labRuns === 2) printLabTable();
  });
}

function printLabTable(): void {
  const rows = [["lab p2p --sim --peers", "rounds", "bound", "wall ms", "RSS MB so far"]];
  for (const [key, s] of labSamples) {
    rows.push([
      key,
      `${s.rounds}${s.converged ? "" : " (not converged)"}`,
      s.bound.toFixed(2),
      s.wallMs.toFixed(0),
      (s.rss / 1e6).toFixed(0),
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  console.log("\nlab p2p with its defaults (heartbeat membership, reliable channel, trace on)");
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c])).join("  "));
}

Deno.bench("idle peers: heap per simulated peer (n=10000)", {
  group: "memory",
  n: 1,
  warmup: 0,
}, async () => {
  await measureIdle(10_000);
  printTable();
});

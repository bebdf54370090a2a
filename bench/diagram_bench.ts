/// <reference lib="dom" />
/**
 * Space-time diagrams: what writing them adds to a simulated run, and how fast a 20,000-event
 * diagram renders in headless Chromium.
 *
 * - "diagram artifacts": one simulated run of about 20,000 trace events per iteration (three
 *   clients making requests to a key-value server with 5% of frames lost, trace on). Baseline:
 *   the run alone. Candidates: the same run, then writing its trace as `.jsonl`, `.svg`, `.html`
 *   or `.shiviz` (what `--trace FILE` does), or the whole results folder (what `--out DIR` does:
 *   summary, run.json, JSONL, HTML, SVG, latency SVG, ShiViz). Target: each at most 1.10x the
 *   baseline.
 * - "lab command": `deno task lab client-server --sim --requests 1334 --drop 0.05` (about
 *   20,000 events) as a user runs it, a child process from start to exit. Baseline: without
 *   `--trace`. Candidates: with `--trace run.html`, `.svg` or `.shiviz`, and with `--out DIR`
 *   (the whole results folder). Target: at most 1.10x.
 * - "diagram in Chromium": loading a page in Debian's headless Chromium (puppeteer-core).
 *   Baseline: a page holding the same embedded JSON that only parses it. Candidate: the diagram
 *   page of the same trace, until its first frame is drawn. Target: under 2 s; the page's size is
 *   printed (target: under 5 MB).
 * - Before the groups, the results folder's cost is printed as a ratio to the run alone: medians
 *   of CPU time (steadier on a shared machine) and of wall time over 7 alternated rounds.
 *
 * Run with `deno task bench` (or `deno bench -A bench/diagram_bench.ts`); needs /usr/bin/chromium.
 * @module
 */
import process from "node:process";
import puppeteer from "puppeteer-core";
import type { ProcessContext } from "../core/process.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import type { TraceEvent } from "../core/trace.ts";
import { encodeEvents } from "../lab/diagram/html.ts";
import { renderTrace } from "../lab/diagram/trace_file.ts";
import { writeResults } from "../lab/results/write.ts";

const REQUESTS = 1230;

/** A simulated key-value service and three clients: about 20,000 trace events. */
async function simulatedRun(): Promise<readonly TraceEvent[]> {
  const sim = new Simulator({ seed: 7, drop: 0.05, latency: { kind: "uniform", min: 1, max: 5 } });
  sim.machine("m1.lab").spawn("kv", async (ctx: ProcessContext) => {
    const store = new Map<string, number>();
    for (;;) {
      const m = await ctx.receive<{ kind: string; key: string }>();
      store.set(m.body.key, (store.get(m.body.key) ?? 0) + 1);
      await ctx.reply(m, { kind: "ok", n: store.get(m.body.key) });
    }
  });
  for (const c of ["c1@m2.lab", "c2@m3.lab", "c3@m4.lab"]) {
    const [name, machine] = c.split("@");
    sim.machine(machine).spawn(name, async (ctx) => {
      for (let i = 0; i < REQUESTS; i++) {
        await ctx.request("kv@m1.lab", { kind: "put", key: `k${i % 7}` }, { timeout: 2000 });
      }
    });
  }
  await sim.run({ until: 10_000_000 });
  return sim.trace.events;
}

const dir = await Deno.makeTempDir({ prefix: "archlab-diagram-bench-" });
const sample = await simulatedRun();
const html = renderTrace(sample, "x.html", { title: "bench" });
await Deno.writeTextFile(`${dir}/diagram.html`, html);
const raw = JSON.stringify(encodeEvents(sample)).replace(/</g, "\\u003c");
await Deno.writeTextFile(
  `${dir}/raw.html`,
  `<!doctype html><script id="d" type="application/json">${raw}</script><script>` +
    `document.documentElement.dataset.n = JSON.parse(document.getElementById("d").textContent)` +
    `.columns[0].length;</script>`,
);
console.log(
  `diagram bench: ${sample.length} events; diagram.html ${(html.length / 1e6).toFixed(2)} MB ` +
    `(target < 5 MB)`,
);

/** CPU time of this process (user + system, all threads), ms: steadier than wall time on a shared machine. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * The results folder's cost as a ratio to the run: `rounds` simulated runs alone and as many
 * followed by writing the whole folder, alternated (after a warm-up), compared by their medians
 * of CPU time and of wall time. Target: 1.10x.
 */
async function folderRatio(rounds: number): Promise<void> {
  const alone: number[][] = [], written: number[][] = [];
  for (let i = 0; i < rounds + 2; i++) {
    for (const write of [false, true]) {
      const cpu = cpuMs(), wall = performance.now();
      const events = await simulatedRun();
      if (write) {
        await Deno.mkdir(`${dir}/ratio`, { recursive: true });
        await writeResults(`${dir}/ratio`, {
          command: "bench",
          args: [],
          startedAt: new Date(),
          trace: { events, clock: "virtual" },
          summary: { architecture: "bench", events: events.length },
        }, 0);
      }
      if (i >= 2) (write ? written : alone).push([cpuMs() - cpu, performance.now() - wall]);
    }
  }
  const median = (rows: number[][], k: number) =>
    rows.map((r) => r[k]).sort((a, b) => a - b)[rows.length >> 1];
  const line = (k: number, what: string) =>
    `${what} ${median(alone, k).toFixed(0)} ms alone, ${
      median(written, k).toFixed(0)
    } ms with the folder: ` +
    `${(median(written, k) / median(alone, k)).toFixed(2)}x`;
  console.log(
    `results folder (--out, 7 files) against the run, medians of ${rounds}: ` +
      `${line(0, "CPU")}; ${line(1, "wall")} (target 1.10x)`,
  );
}
await folderRatio(7);

for (const ext of ["jsonl", "svg", "html", "shiviz"]) {
  Deno.bench({
    name: `simulated run + write .${ext}`,
    group: "diagram artifacts",
    n: 20,
    warmup: 3,
    async fn() {
      const events = await simulatedRun();
      await Deno.writeTextFile(`${dir}/run.${ext}`, renderTrace(events, `run.${ext}`));
    },
  });
}
Deno.bench({
  name: "simulated run + write the results folder (--out: all seven files)",
  group: "diagram artifacts",
  n: 20,
  warmup: 3,
  async fn() {
    const events = await simulatedRun();
    await Deno.mkdir(`${dir}/out`, { recursive: true });
    await writeResults(`${dir}/out`, {
      command: "bench",
      args: [],
      startedAt: new Date(),
      trace: { events, clock: "virtual" },
      summary: { architecture: "bench", events: events.length },
    }, 0);
  },
});
Deno.bench({
  name: "simulated run alone (20k events)",
  group: "diagram artifacts",
  baseline: true,
  n: 20,
  warmup: 3,
  async fn() {
    await simulatedRun();
  },
});

try {
  await Deno.stat("/usr/bin/chromium");
} catch (error) {
  throw new Error(
    `Cannot run the Chromium benchmark: /usr/bin/chromium is missing (${
      (error as Error).message
    }); install it with apt-get update && apt-get install -y chromium`,
  );
}
const profile = await Deno.makeTempDir({ prefix: "archlab-chromium-" });
const browser = await puppeteer.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    `--user-data-dir=${profile}`,
  ],
  defaultViewport: { width: 1400, height: 900 },
});
const page = await browser.newPage();
globalThis.addEventListener("unload", () => {
  // Deno exits after this handler: the browser is ended by its process id, the folders removed.
  browser.process()?.kill("SIGKILL");
  Deno.removeSync(profile, { recursive: true });
  Deno.removeSync(dir, { recursive: true });
});

Deno.bench({
  name: "load a page that parses the same JSON",
  group: "diagram in Chromium",
  baseline: true,
  n: 10,
  warmup: 1,
  async fn() {
    await page.goto(`file://${dir}/raw.html`);
    await page.waitForFunction(() => document.documentElement.dataset.n);
  },
});
Deno.bench({
  name: "load and draw the 20k-event diagram",
  group: "diagram in Chromium",
  n: 10,
  warmup: 1,
  async fn() {
    await page.goto(`file://${dir}/diagram.html`);
    await page.waitForFunction(() => document.getElementById("dg")?.dataset.drawnDelivered);
  },
});

const MAIN = new URL("../lab/main.ts", import.meta.url).pathname;
const LAB = ["client-server", "--sim", "--requests", "1334", "--drop", "0.05", "--quiet"];
async function lab(...extra: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...LAB, ...extra],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`lab failed: ${new TextDecoder().decode(stderr)}`);
}
Deno.bench({
  name: "lab client-server --sim (20k events)",
  group: "lab command",
  baseline: true,
  n: 6,
  warmup: 1,
  async fn() {
    await lab();
  },
});
Deno.bench({
  name: "lab client-server --sim --out DIR (all seven files)",
  group: "lab command",
  n: 6,
  warmup: 1,
  async fn() {
    await lab("--out", `${dir}/lab-out`);
  },
});
for (const ext of ["html", "svg", "shiviz"]) {
  Deno.bench({
    name: `lab client-server --sim --trace run.${ext}`,
    group: "lab command",
    n: 6,
    warmup: 1,
    async fn() {
      await lab("--trace", `${dir}/lab.${ext}`);
    },
  });
}

/**
 * The fault stage is one stage of the frame pipeline the simulator and the TCP network share:
 * a data-driven check (tests/testdata/fault_schedule.txt) that the same schedule under the same
 * seed loses and duplicates the same messages on both.
 * @module
 */
import { Directory } from "../core/directory.ts";
import { Machine } from "../core/machine.ts";
import { TcpNetwork } from "../core/network/tcp_network.ts";
import type { Cut, FaultSchedule } from "../core/pipeline/fault_schedule.ts";
import { faultRandom, type FaultStage } from "../core/pipeline/fault_stage.ts";
import { createRealRuntime } from "../core/real_runtime.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import type { ProcessFn } from "../core/process.ts";
import { Trace, type TraceEvent } from "../core/trace.ts";
import { assertEquals } from "./_assert.ts";

const FILE = new URL("./testdata/fault_schedule.txt", import.meta.url);

interface Case {
  readonly seed: number;
  readonly send: number;
  /** Messages `[first, last]` sent while m1.lab -> m2.lab is cut. */
  readonly cut?: readonly [number, number];
  readonly schedule: FaultSchedule;
}

/** Parses a `schedule seed=N send=N [cut=A..B] {json}` line. */
function parseCase(line: string): Case {
  const match = /^schedule seed=(\d+) send=(\d+)(?: cut=(\d+)\.\.(\d+))? (\{.*\})$/.exec(line);
  if (match === null) {
    throw new SyntaxError(
      `Cannot read "${line}": expected schedule seed=N send=N [cut=A..B] {json}`,
    );
  }
  const cut = match[3] === undefined ? undefined : [Number(match[3]), Number(match[4])] as const;
  return { seed: Number(match[1]), send: Number(match[2]), cut, schedule: JSON.parse(match[5]) };
}

/** The number of message `id` (`a@m1.lab#1.7` is 7). */
function numberOf(id: string | undefined): number {
  return Number(id?.slice(id.lastIndexOf(".") + 1));
}

/** The effect lines of a run: the message numbers lost, then those duplicated. */
function faults(events: readonly TraceEvent[]): string[] {
  const numbers = (ev: string, note: string) =>
    events.filter((e) => e.ev === ev && e.note === note).map((e) => numberOf(e.id));
  return [
    `  cut ${numbers("drop", "partition").join(" ")}`.trimEnd(),
    `  dropped ${numbers("drop", "lost").join(" ")}`.trimEnd(),
    `  duplicated ${numbers("duplicate", "network duplicated").join(" ")}`.trimEnd(),
  ];
}

/** How many numbers an effect line lists. */
function count(line: string): number {
  return line.trim().split(" ").length - 1;
}

/** m1.lab's sender: messages 1..n to b@m2.lab, cutting the link on `faults` for `c.cut`. */
function sender(c: Case, faults: FaultStage): ProcessFn {
  const cut: Cut = { from: new Set(["m1.lab"]), to: new Set(["m2.lab"]), oneWay: true };
  return async (ctx) => {
    for (let i = 1; i <= c.send; i++) {
      if (i === c.cut?.[0]) faults.cut(cut);
      await ctx.send("b@m2.lab", i);
      if (i === c.cut?.[1]) faults.heal(cut);
    }
  };
}

async function onSimulator(c: Case): Promise<string[]> {
  const sim = new Simulator({ ...c.schedule, seed: c.seed, reliable: false });
  sim.machine("m2.lab").spawn("b", async (ctx) => {
    for (;;) await ctx.receive();
  });
  sim.machine("m1.lab").spawn("a", sender(c, sim.faults));
  await sim.run();
  return faults(sim.trace.events);
}

/** Runs `c` over TCP until the `arriving` frames the simulator's run delivered have arrived. */
async function onTcp(c: Case, arriving: number): Promise<string[]> {
  const endpoints = new Map<string, string>();
  const trace = new Trace();
  const nodes: { machine: Machine; network: TcpNetwork }[] = [];
  const start = async (name: string) => {
    const runtime = createRealRuntime({ seed: c.seed });
    const directory = new Directory((m) => endpoints.get(m), { now: runtime.now });
    const network = new TcpNetwork({
      ...c.schedule,
      directory,
      runtime,
      trace,
      random: faultRandom(c.seed),
    });
    const machine = new Machine(name, { runtime, network, reliable: false });
    const { hostname, port } = await network.listen(machine);
    endpoints.set(name, `${hostname}:${port}`);
    const node = { machine, network };
    nodes.push(node);
    return node;
  };
  try {
    const received = Promise.withResolvers<void>();
    (await start("m2.lab")).machine.spawn("b", async (ctx) => {
      for (let got = 0; got < arriving; got++) await ctx.receive({ timeout: 5_000 });
      received.resolve();
    });
    const m1 = await start("m1.lab");
    m1.machine.spawn("a", sender(c, m1.network.faults));
    // Every copy that was not lost has arrived: nothing is left in flight.
    await received.promise;
    return faults(trace.events);
  } finally {
    for (const { machine, network } of nodes) {
      machine.shutdown();
      await network.close();
    }
  }
}

Deno.test("FaultStage: the same schedule and seed lose and duplicate the same messages in the simulator and over TCP", async () => {
  const text = await Deno.readTextFile(FILE);
  const out: string[] = [];
  for (const line of text.replace(/\n$/, "").split("\n")) {
    if (line.startsWith("  ")) continue;
    out.push(line);
    if (line === "" || line.startsWith("#")) continue;
    const c = parseCase(line);
    const sim = await onSimulator(c);
    const tcp = await onTcp(c, c.send - count(sim[0]) - count(sim[1]) + count(sim[2]));
    assertEquals(tcp, sim, `${line}: TCP and simulator differ`);
    out.push(...sim);
  }
  const replayed = out.join("\n") + "\n";
  if (Deno.env.get("UPDATE_TESTDATA")) await Deno.writeTextFile(FILE, replayed);
  else assertEquals(replayed, text, `${FILE.pathname} differs; UPDATE_TESTDATA=1 rewrites it`);
});

/**
 * The simulator's agenda (a heap plus first-in first-out lanes for timers) gives events in
 * exactly the order one heap gives them, cancelled events and compaction included: what keeps
 * traces byte for byte while timers skip the heap.
 * @module
 */
import { createRandom } from "../core/prng.ts";
import { Agenda } from "../core/simulator/_agenda.ts";
import { EventHeap, type Scheduled } from "../core/simulator/_heap.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

/** Drives an agenda and a heap with the same seeded mix of timers, events, cancels and pops. */
function replay(seed: number, cancel = false): { agenda: number[]; heap: number[] } {
  const random = createRandom(seed);
  const agenda = new Agenda(), heap = new EventHeap();
  const live: [Scheduled, Scheduled][] = [];
  const out = { agenda: [] as number[], heap: [] as number[] };
  // More whole delays than lanes (an empty lane takes a new one), and a fraction (the heap).
  const delays = [5, 5, 5, 200, 1_000, 0, 3, 7, 11, 13, 17, 19, 2.5];
  let now = 0, seq = 0;
  const run = () => {};
  for (let step = 0; step < 5_000; step++) {
    const roll = random.next();
    if (roll < 0.45) {
      const timer = random.next() < 0.8;
      const delay = timer
        ? delays[Math.floor(random.next() * delays.length)]
        : Math.floor(random.next() * 50);
      const t = now + delay, s = seq++;
      const a: Scheduled = { t, seq: s, run, cancelled: false };
      const h: Scheduled = { t, seq: s, run, cancelled: false };
      if (timer) agenda.pushTimer(a, delay);
      else agenda.push(a);
      heap.push(h);
      live.push([a, h]);
    } else if (roll < 0.75 && live.length > 0) {
      const [a, h] = live.splice(Math.floor(random.next() * live.length), 1)[0];
      if (cancel) agenda.cancel(a);
      else a.cancelled = true;
      h.cancelled = true;
    } else if (roll < 0.78) {
      agenda.compact();
      heap.compact();
    } else {
      assertEquals(agenda.size, heap.size);
      const a = agenda.pop(), h = heap.pop();
      assertEquals(a?.seq, h?.seq);
      if (a !== undefined && h !== undefined) {
        now = Math.max(now, a.t);
        out.agenda.push(a.cancelled ? -a.seq : a.seq);
        out.heap.push(h.cancelled ? -h.seq : h.seq);
      }
    }
    assertEquals(agenda.peek()?.seq, heap.peek()?.seq);
  }
  while (heap.size > 0) {
    out.agenda.push(agenda.pop()!.seq);
    out.heap.push(heap.pop()!.seq);
  }
  assertEquals(agenda.size, 0);
  return out;
}

Deno.test("Agenda pops events, cancelled ones included, in the order of one heap", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const { agenda, heap } = replay(seed);
    assertTrue(agenda.length > 1_000, `seed ${seed}: only ${agenda.length} pops`);
    assertEquals(agenda, heap, `seed ${seed}`);
  }
});

Deno.test("Agenda.cancel() keeps the order and the surfacing of cancelled events of one heap", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const { agenda, heap } = replay(seed, true);
    assertTrue(agenda.some((seq) => seq < 0), `seed ${seed}: no cancelled event surfaced`);
    assertEquals(agenda, heap, `seed ${seed}`);
  }
});

Deno.test("timers of one delay on a fast and a slow clock fall due on each machine's own clock", async () => {
  const sim = new Simulator({ seed: 1 });
  sim.skew("fast.lab", { drift: 1 });
  sim.skew("slow.lab", { drift: -0.5 });
  const woke: string[] = [];
  for (const name of ["plain", "fast", "slow"]) {
    sim.machine(`${name}.lab`).spawn("p", async (ctx) => {
      for (let i = 0; i < 3; i++) {
        await ctx.sleep(100);
        woke.push(`${name}@${sim.now}`);
      }
    });
  }
  await sim.run();
  // The fast clock reads 100 ms more after 50 ms of virtual time, the slow one after 200; at one
  // time, the timer set first runs first.
  assertEquals(woke, [
    "fast@50",
    "plain@100",
    "fast@100",
    "fast@150",
    "slow@200",
    "plain@200",
    "plain@300",
    "slow@400",
    "slow@600",
  ]);
});

Deno.test("Agenda.cancel() finds timers in a lane whose sequences grew unevenly", () => {
  const agenda = new Agenda();
  const run = () => {};
  // Sequences 0..39, then 10,000..10,039: a guess by interpolation lands far from most of them.
  const seqs = [
    ...Array.from({ length: 40 }, (_, i) => i),
    ...Array.from({ length: 40 }, (_, i) => 10_000 + i),
  ];
  const items = seqs.map((seq) => ({ t: 5 + seq / 1_000, seq, run, cancelled: false }));
  for (const item of items) agenda.pushTimer(item, 5);
  // A timer in the heap (a fraction of a ms): searched in the lane, not found there.
  const other = { t: 5.0205, seq: 20_000, run, cancelled: false };
  agenda.pushTimer(other, 0.5);
  const cancelled = new Set([0, 7, 25, 39, 10_000, 10_013, 10_039, 20_000]);
  for (const item of [...items, other]) if (cancelled.has(item.seq)) agenda.cancel(item);
  const order: number[] = [];
  while (agenda.size > 0) {
    const item = agenda.pop()!;
    order.push(item.cancelled ? -item.seq : item.seq);
  }
  const expected = [...items, other].sort((a, b) => a.t - b.t || a.seq - b.seq)
    .map(({ seq }) => cancelled.has(seq) ? -seq : seq);
  assertEquals(order, expected);
});

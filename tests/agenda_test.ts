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

Deno.test("a timer set again as itself leaves its cancelled place a ghost, as a new timer would", () => {
  // The agenda reuses each timer object once it is cancelled or has run; the heap gets a new
  // object each time. Both give the same events, cancelled ones included, in the same order,
  // with takeDue() and pop() alike.
  for (const seed of [1, 2, 3]) {
    const random = createRandom(seed);
    const agenda = new Agenda(), heap = new EventHeap();
    const delays = [0, 5, 100, 2.5, 7];
    const run = () => {};
    const spare: Scheduled[] = [];
    const live: [Scheduled, Scheduled][] = [];
    let now = 0, seq = 0, skipped = 0;
    const out = { agenda: [] as number[], heap: [] as number[] };
    for (let step = 0; step < 4_000; step++) {
      const roll = random.next();
      if (roll < 0.45) {
        const delay = delays[Math.floor(random.next() * delays.length)];
        const t = now + delay, s = seq++;
        const a = spare.pop() ?? { t, seq: s, run, cancelled: false };
        a.t = t;
        a.seq = s;
        a.cancelled = false;
        agenda.pushTimer(a, delay);
        const h: Scheduled = { t, seq: s, run, cancelled: false };
        heap.push(h);
        live.push([a, h]);
      } else if (roll < 0.8 && live.length > 0) {
        const [a, h] = live.splice(Math.floor(random.next() * live.length), 1)[0];
        agenda.cancel(a);
        h.cancelled = true;
        spare.push(a);
      } else if (roll < 0.82) {
        agenda.compact();
        heap.compact();
      } else {
        const until = now + Math.floor(random.next() * 10);
        const a = agenda.takeDue(until);
        skipped += agenda.skipped;
        let h = heap.pop();
        while (h !== undefined && h.cancelled && h.t <= until) {
          skipped--;
          h = heap.pop();
        }
        if (h !== undefined && (h.cancelled || h.t > until)) heap.push(h);
        else if (h !== undefined) {
          const i = live.findIndex(([, b]) => b === h);
          if (i >= 0) spare.push(live.splice(i, 1)[0][0]);
        }
        assertEquals(a?.seq, h !== undefined && !h.cancelled && h.t <= until ? h.seq : undefined);
        if (a !== undefined) {
          now = a.t;
          out.agenda.push(a.seq);
          out.heap.push(h!.seq);
        }
      }
      assertEquals(agenda.size, heap.size);
      const p = agenda.peek(), q = heap.peek();
      assertEquals([p?.seq, p?.t, p?.cancelled], [q?.seq, q?.t, q?.cancelled]);
    }
    assertEquals(skipped, 0, `seed ${seed}: cancelled events taken out`);
    assertTrue(out.agenda.length > 200, `seed ${seed}: only ${out.agenda.length} events ran`);
    assertEquals(out.agenda, out.heap);
    while (heap.size > 0) {
      const a = agenda.pop()!, h = heap.pop()!;
      assertEquals([a.seq, a.cancelled], [h.seq, h.cancelled]);
    }
    assertEquals(agenda.size, 0);
  }
});

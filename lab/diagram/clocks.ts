/**
 * Vector clocks and happened-before cones computed from a {@link DiagramModel}'s causal steps
 * (each sending and each delivery ticks its process; a delivery also merges the sender's clock),
 * for traces that carry no vector clock of their own. Computed on demand by walking the causal
 * past, so a diagram of 20,000 events stores no clock per event.
 *
 * The functions are self-contained (no imports at run time) so the HTML viewer inlines them.
 * @module
 */
import type { DiagramModel } from "./model.ts";

/**
 * The vector clock of causal step `step` (keys: process addresses; absent entries are 0).
 *
 * @example A reply carries the request's causal past
 * ```ts
 * import assert from "node:assert/strict";
 * import { DiagramBuilder } from "./builder.ts";
 * import { stepClock } from "./clocks.ts";
 * const b = new DiagramBuilder();
 * const req = { id: "1", from: "c@m2.lab", to: "kv@m1.lab", kind: "get" };
 * const rep = { id: "2", from: "kv@m1.lab", to: "c@m2.lab", kind: "value" };
 * b.add({ t: 0, ev: "send", at: "c@m2.lab", ...req });
 * b.add({ t: 1, ev: "deliver", at: "kv@m1.lab", ...req });
 * b.add({ t: 1, ev: "send", at: "kv@m1.lab", ...rep });
 * b.add({ t: 2, ev: "deliver", at: "c@m2.lab", ...rep });
 * const reply = b.model.transmissions[1];
 * assert.deepEqual(stepClock(b.model, reply.recvStep), { "c@m2.lab": 2, "kv@m1.lab": 2 });
 * ```
 */
export function stepClock(model: DiagramModel, step: number): Record<string, number> {
  const seen = new Set<number>();
  const stack = [step];
  const top = new Map<number, number>();
  while (stack.length > 0) {
    const s = stack.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    const st = model.steps[s];
    if ((top.get(st.proc) ?? -1) < st.k) top.set(st.proc, st.k);
    if (st.k > 0) stack.push(model.stepsOf[st.proc][st.k - 1]);
    if (st.recv) stack.push(model.transmissions[st.tx].sendStep);
  }
  const clock: Record<string, number> = {};
  for (const [proc, k] of [...top].sort((a, b) => a[0] - b[0])) {
    clock[model.processes[proc].address] = k + 1;
  }
  return clock;
}

/** The transmissions causally before and after one message. */
export interface Cone {
  /** Transmissions delivered before the message was sent (its causal past). */
  readonly past: Set<number>;
  /** Transmissions sent after the message was delivered (its causal future). */
  readonly future: Set<number>;
}

/**
 * The happened-before cone of transmission `tx`: what it may depend on, what may depend on it.
 *
 * @example A chain a -> b -> c
 * ```ts
 * import assert from "node:assert/strict";
 * import { DiagramBuilder } from "./builder.ts";
 * import { cone } from "./clocks.ts";
 * const b = new DiagramBuilder();
 * b.add({ t: 0, ev: "send", at: "a@m1.lab", id: "1", from: "a@m1.lab", to: "b@m2.lab" });
 * b.add({ t: 1, ev: "deliver", at: "b@m2.lab", id: "1", from: "a@m1.lab", to: "b@m2.lab" });
 * b.add({ t: 2, ev: "send", at: "b@m2.lab", id: "2", from: "b@m2.lab", to: "c@m3.lab" });
 * b.add({ t: 3, ev: "deliver", at: "c@m3.lab", id: "2", from: "b@m2.lab", to: "c@m3.lab" });
 * assert.deepEqual([...cone(b.model, 1).past], [0]);
 * assert.deepEqual([...cone(b.model, 0).future], [1]);
 * ```
 */
export function cone(model: DiagramModel, tx: number): Cone {
  const t = model.transmissions[tx];
  const past = new Set<number>();
  const seen = new Set<number>();
  const back = [t.sendStep];
  while (back.length > 0) {
    const s = back.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    const st = model.steps[s];
    if (st.k > 0) back.push(model.stepsOf[st.proc][st.k - 1]);
    if (st.recv) {
      past.add(st.tx);
      back.push(model.transmissions[st.tx].sendStep);
    }
  }
  const future = new Set<number>();
  if (t.recvStep < 0) return { past, future };
  const sendsOf = new Map<number, number[]>();
  for (const x of model.transmissions) {
    const list = sendsOf.get(x.sendStep);
    if (list) list.push(x.index);
    else sendsOf.set(x.sendStep, [x.index]);
  }
  seen.clear();
  const fwd = [t.recvStep];
  while (fwd.length > 0) {
    const s = fwd.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    const st = model.steps[s];
    const own = model.stepsOf[st.proc];
    if (st.k + 1 < own.length) fwd.push(own[st.k + 1]);
    if (!st.recv) {
      for (const x of sendsOf.get(s) ?? []) {
        future.add(x);
        if (model.transmissions[x].recvStep >= 0) fwd.push(model.transmissions[x].recvStep);
      }
    }
  }
  return { past, future };
}

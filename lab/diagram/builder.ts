/**
 * Builds a {@link DiagramModel} from trace events one at a time, so a live view can append
 * events as they happen. Each copy of a message on the wire (first send, retransmission, network
 * duplicate) becomes its own arrow, matched to what became of it: a delivery, a drop (at the
 * sender when lost in the network, at the receiver when it arrived to a crashed machine, an
 * unknown process or nobody waiting), or a suppressed duplicate.
 *
 * The class is self-contained (no imports at run time): the HTML writer inlines its source into
 * the page, so the browser builds the same model as the SVG writer.
 * @module
 */
import type {
  Band,
  DiagramEvent,
  DiagramModel,
  DiagramProcess,
  MarkerType,
  TracedClock,
  Transmission,
} from "./model.ts";

/**
 * An incremental builder of a space-time diagram's model.
 *
 * @example A lost request, its retransmission and the reply
 * ```ts
 * import assert from "node:assert/strict";
 * import { DiagramBuilder } from "./builder.ts";
 * const b = new DiagramBuilder();
 * const m = { id: "c@m2.lab#1", from: "c@m2.lab", to: "kv@m1.lab", kind: "get" };
 * b.add({ t: 0, ev: "send", at: "c@m2.lab", ...m, label: "GET x", lamport: 1 });
 * b.add({ t: 0, ev: "drop", at: "m2.lab", ...m, note: "lost" });
 * b.add({ t: 10, ev: "retransmit", at: "m2.lab", ...m, note: "attempt 2" });
 * b.add({ t: 12, ev: "deliver", at: "kv@m1.lab", ...m, lamport: 1 });
 * const [lost, again] = b.model.transmissions;
 * assert.deepEqual([lost.outcome, lost.lost, again.copy, again.attempt, again.outcome, again.t1],
 *   ["dropped", true, "retransmit", 2, "delivered", 12]);
 * ```
 */
export class DiagramBuilder {
  /** The model built so far (mutated by {@link DiagramBuilder.add}). */
  readonly model: DiagramModel = {
    processes: [],
    transmissions: [],
    markers: [],
    bands: [],
    steps: [],
    stepsOf: [],
    span: { min: Infinity, max: -Infinity },
    events: 0,
  };
  #procs = new Map<string, DiagramProcess>();
  #pending = new Map<string, Transmission[]>();
  #sends = new Map<
    string,
    { step: number; t: number; label: string; lamport: number; vc?: TracedClock }
  >();
  #delivered = new Map<string, number>();
  #restarts = new Map<string, number>();
  #down = new Set<string>();

  /** Adds every event of `events`; returns the model. */
  addAll(events: Iterable<DiagramEvent>): DiagramModel {
    for (const event of events) this.add(event);
    return this.model;
  }

  /** Adds one trace event. */
  add(event: DiagramEvent): void {
    // A clock is kept as the trace has it (a live stamp is turned into a record only if shown).
    const e = event;
    const m = this.model;
    m.events++;
    if (e.t < m.span.min) m.span.min = e.t;
    if (e.t > m.span.max) m.span.max = e.t;
    switch (e.ev) {
      case "send":
        return this.#send(e);
      case "retransmit":
        return void this.#transmit(e, "retransmit");
      case "duplicate":
        if (e.note === "suppressed" || this.#machine(e.at) === e.at && this.#isReceiverSide(e)) {
          return this.#arrive(e, "suppressed");
        }
        return void this.#transmit(e, "duplicate");
      case "deliver":
        return this.#arrive(e, "delivered");
      case "drop":
        return this.#drop(e);
      case "receive":
        return this.#receive(e);
      case "spawn":
        return void this.#proc(e.at, e.t);
      case "exit":
        return this.#end(this.#proc(e.at, e.t), e.t, "exit");
      case "crash":
        return this.#crash(e);
      case "restart":
        this.#down.delete(e.at);
        this.#restarts.set(e.at, (this.#restarts.get(e.at) ?? 1) + 1);
        return;
      case "partition":
        m.bands.push({ type: "partition", proc: -1, t0: e.t, t1: NaN, note: e.note ?? "" });
        return;
      case "heal":
        return this.#close(-1, "partition", e.t, e.note);
      case "timer":
        return this.#timer(e);
      case "log":
        return this.#log(e);
      case "ack":
        if (e.at.includes("@")) this.#marker(this.#proc(e.at, e.t).index, e.t, "ack", e.note ?? "");
        return;
    }
  }

  #machine(address: string): string {
    const at = address.indexOf("@");
    if (at >= 0) return address.slice(at + 1);
    const colon = address.indexOf(":");
    return colon >= 0 ? address.slice(0, colon) : address;
  }

  #isReceiverSide(e: DiagramEvent): boolean {
    return e.to !== undefined && this.#machine(e.to) === e.at &&
      (e.from === undefined || this.#machine(e.from) !== e.at);
  }

  /** The process at `address`; `reopen` starts a new epoch when its last one has ended. */
  #proc(address: string, t: number, reopen = true): DiagramProcess {
    let p = this.#procs.get(address);
    const machine = this.#machine(address);
    if (!p) {
      p = { index: this.model.processes.length, address, machine, epochs: [] };
      this.#procs.set(address, p);
      this.model.processes.push(p);
      this.model.stepsOf.push([]);
    }
    const last = p.epochs[p.epochs.length - 1];
    if (!last) p.epochs.push({ n: this.#restarts.get(machine) ?? 1, t0: t, t1: NaN, end: "" });
    else if (reopen && last.end !== "" && t >= last.t1 && !this.#down.has(machine)) {
      p.epochs.push({ n: last.n + 1, t0: t, t1: NaN, end: "" });
      if (last.end === "crash") this.#marker(p.index, t, "restart", `epoch ${last.n + 1}`);
    }
    return p;
  }

  #end(p: DiagramProcess, t: number, how: "exit" | "crash"): void {
    const last = p.epochs[p.epochs.length - 1];
    if (last && last.end === "") {
      last.t1 = t;
      last.end = how;
      this.#marker(p.index, t, how, how);
    }
  }

  #marker(proc: number, t: number, type: MarkerType, note: string): void {
    this.model.markers.push({ proc, t, type, note });
  }

  #step(proc: number, tx: number, recv: boolean): number {
    const m = this.model;
    const own = m.stepsOf[proc];
    m.steps.push({ proc, k: own.length, tx, recv });
    own.push(m.steps.length - 1);
    return m.steps.length - 1;
  }

  #send(e: DiagramEvent): void {
    if (!e.id || !e.from || !e.to) return;
    const from = this.#proc(e.from, e.t).index;
    const step = this.#step(from, this.model.transmissions.length, false);
    this.#sends.set(e.id, {
      step,
      t: e.t,
      label: e.label ?? e.kind ?? "",
      lamport: e.lamport ?? NaN,
      vc: e.vc,
    });
    this.#transmit(e, "send");
  }

  #transmit(
    e: DiagramEvent,
    copy: Transmission["copy"],
    untraced = false,
  ): Transmission | undefined {
    if (!e.id || !e.from || !e.to) return undefined;
    const m = this.model;
    const sent = this.#sends.get(e.id);
    const same = this.#pending.get(e.id) ?? [];
    const attempt = copy === "retransmit"
      ? Number(
        /attempt (\d+)/.exec(e.note ?? "")?.[1] ??
          m.transmissions.filter((x) => x.id === e.id).length + 1,
      )
      : 1;
    // Only a traced send is the sender acting: other copies never reopen an ended lifeline.
    const from = this.#proc(e.from, e.t, e.ev === "send").index;
    const to = this.#proc(e.to, e.t, false).index;
    const tx: Transmission = {
      index: m.transmissions.length,
      id: e.id,
      from,
      to,
      t0: e.t,
      t1: NaN,
      copy,
      attempt,
      outcome: "flight",
      lost: false,
      untraced,
      kind: e.kind ?? "",
      label: sent?.label ?? e.label ?? e.kind ?? "",
      note: copy === "send" ? "" : e.note ?? "",
      lamport: sent?.lamport ?? e.lamport ?? NaN,
      lamportReceive: NaN,
      received: NaN,
      control: (e.kind ?? "").startsWith("$"),
      sendStep: sent ? sent.step : this.#step(from, m.transmissions.length, false),
      recvStep: -1,
      vcSend: sent?.vc ?? e.vc,
    };
    if (!sent) {
      this.#sends.set(e.id, { step: tx.sendStep, t: e.t, label: tx.label, lamport: tx.lamport });
    }
    m.transmissions.push(tx);
    same.push(tx);
    this.#pending.set(e.id, same);
    return tx;
  }

  /** The in-flight copy an arrival or drop of `e` ends: the earliest one sent before it. */
  #take(e: DiagramEvent): Transmission | undefined {
    const same = this.#pending.get(e.id ?? "");
    if (!same) return undefined;
    const i = same.findIndex((x) => x.t0 <= e.t);
    if (i < 0) return undefined;
    const [tx] = same.splice(i, 1);
    if (same.length === 0) this.#pending.delete(e.id!);
    return tx;
  }

  /** A copy whose sending was not traced (like a `$receipt`): it starts at its sender's latest event. */
  #untraced(e: DiagramEvent): Transmission | undefined {
    if (!e.id || !e.from || !e.to) return undefined;
    const base = e.id.endsWith("/$receipt") ? e.id.slice(0, -"/$receipt".length) : "";
    const start = this.#delivered.get(base) ?? e.t;
    const tx = this.#transmit({ ...e, t: Math.min(start, e.t) }, "send", start === e.t);
    const sent = this.#sends.get(base);
    if (base && sent) {
      this.model.bands.push({
        type: "sync",
        proc: this.#proc(e.to, e.t).index,
        t0: sent.t,
        t1: e.t,
        note: "synchronous send: waits until the receiver takes the message",
      });
    }
    return tx ? this.#take(e) : undefined;
  }

  #arrive(e: DiagramEvent, outcome: "delivered" | "suppressed"): void {
    const tx = this.#take(e) ?? this.#untraced(e);
    if (!tx) return;
    tx.t1 = e.t;
    tx.outcome = outcome;
    if (outcome === "suppressed") tx.note = e.note ?? "suppressed";
    else {
      tx.recvStep = this.#step(tx.to, tx.index, true);
      if (e.vc) tx.vcReceive = e.vc;
      if (!this.#delivered.has(tx.id)) this.#delivered.set(tx.id, e.t);
    }
  }

  #drop(e: DiagramEvent): void {
    const same = this.#pending.get(e.id ?? "");
    const last = same?.[same.length - 1];
    const atSender = e.from !== undefined && this.#machine(e.from) === this.#machine(e.at) &&
      e.at.indexOf("@") < 0;
    let tx: Transmission | undefined;
    if (last && last.t0 === e.t && atSender) {
      tx = last;
      same!.pop();
      if (same!.length === 0) this.#pending.delete(e.id!);
      tx.lost = true;
    } else tx = this.#take(e) ?? this.#untraced(e);
    if (!tx) return;
    tx.t1 = e.t;
    tx.outcome = "dropped";
    tx.note = e.note ?? "dropped";
  }

  #receive(e: DiagramEvent): void {
    if (!e.id) return;
    const ts = this.model.transmissions;
    for (let i = ts.length - 1; i >= 0 && i >= ts.length - 4096; i--) {
      const tx = ts[i];
      if (tx.id === e.id && tx.outcome === "delivered") {
        tx.received = e.t;
        tx.lamportReceive = e.lamport ?? NaN;
        if (e.vc) tx.vcReceive = e.vc;
        return;
      }
    }
  }

  #crash(e: DiagramEvent): void {
    this.#down.add(e.at);
    for (const p of this.model.processes) {
      if (p.machine === e.at) {
        this.#end(p, e.t, "crash");
        this.#close(p.index, "blocked", e.t);
        this.#close(p.index, "waiting", e.t);
      }
    }
  }

  #close(proc: number, type: Band["type"], t: number, note?: string): void {
    const bands = this.model.bands;
    for (let i = bands.length - 1; i >= 0; i--) {
      const b = bands[i];
      if (b.proc === proc && b.type === type && Number.isNaN(b.t1)) {
        if (note !== undefined && b.note !== note && type === "partition") continue;
        b.t1 = t;
        return;
      }
    }
  }

  #timer(e: DiagramEvent): void {
    const p = this.#proc(e.at, e.t);
    const note = e.note ?? "";
    // A receive that timed out is a poll; a request that timed out is a timeout worth a mark.
    if (!note.startsWith("timeout") || note.startsWith("timeout: receive")) {
      return this.#marker(p.index, e.t, "timer", note);
    }
    this.#marker(p.index, e.t, "timeout", note);
    const sent = e.id ? this.#sends.get(e.id) : undefined;
    if (sent) {
      this.model.bands.push({ type: "waiting", proc: p.index, t0: sent.t, t1: e.t, note });
    }
  }

  #log(e: DiagramEvent): void {
    const p = this.#proc(e.at, e.t);
    const note = e.note ?? "";
    if (/^blocked\b/.test(note)) {
      this.model.bands.push({ type: "blocked", proc: p.index, t0: e.t, t1: NaN, note });
    } else if (/^unblocked\b/.test(note)) this.#close(p.index, "blocked", e.t);
    this.#marker(p.index, e.t, "log", note);
  }
}

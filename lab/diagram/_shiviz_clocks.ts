/**
 * The ShiViz log's vector clocks, kept as it is written: ShiViz wants every event of a host to
 * tick that host's own entry by exactly one and to merge the clock of the message it receives,
 * so the clocks are computed over exactly the events written (the trace's own `vc` counts fewer
 * events and would not satisfy it). Each host's clock is an array of counts by host number,
 * written as JSON from the hosts' quoted names as bytes (no object or string per event).
 * @module
 */
import { type ByteWriter, utf8 } from "./_byte_writer.ts";
import type { DiagramEvent } from "./model.ts";

/** One host (process) of the log and its clock. */
interface Host {
  /** Its number: the position of its entry in every clock. */
  readonly n: number;
  /** Its machine. */
  readonly machine: string;
  /** `"address":` (JSON), UTF-8. */
  readonly key: Uint8Array;
  /** `\naddress {` , UTF-8: what follows an event's description. */
  readonly head: Uint8Array;
  /** Its clock, by host number. */
  readonly counts: number[];
}

const machineOf = (address: string): string => address.slice(address.indexOf("@") + 1);
const CLOSE = 0x7d, COMMA = 0x2c, NEWLINE = 0x0a;
const decoder = new TextDecoder();

/**
 * The clocks of a ShiViz log being written: {@link ShivizClocks.add} writes an event (its
 * description on one line, then its host and clock) into the writer. A description is a JSON
 * object without its closing brace (the canonical line of the event); a `{` after a space in it
 * (which can only be inside a string) becomes `\u007b`, JSON's escape of it, so that no
 * description reads as a host and its clock.
 *
 * @example A message and its delivery
 * ```ts
 * import assert from "node:assert/strict";
 * import { ByteWriter, utf8 } from "./_byte_writer.ts";
 * import { ShivizClocks } from "./_shiviz_clocks.ts";
 * const out = new ByteWriter();
 * const log = new ShivizClocks(out);
 * const m = { id: "1", from: "a@m1.lab", to: "b@m2.lab" };
 * const one = utf8('{"n":1'), two = utf8('{"n":"a {b}"');
 * log.add({ t: 0, ev: "send", at: "a@m1.lab", ...m }, one, 0, one.length, false);
 * log.add({ t: 1, ev: "deliver", at: "b@m2.lab", ...m }, two, 0, two.length, true);
 * assert.equal(new TextDecoder().decode(out.view()), '{"n":1}\na@m1.lab {"a@m1.lab":1}\n' +
 *   '{"n":"a \\u007bb}"}\nb@m2.lab {"a@m1.lab":1,"b@m2.lab":1}\n');
 * ```
 */
export class ShivizClocks {
  readonly #out: ByteWriter;
  readonly #hosts: Host[] = [];
  readonly #byName = new Map<string, Host>();
  /** The sender's clock when each message first left. */
  readonly #sent = new Map<string, number[]>();

  /** Clocks writing into `out`. */
  constructor(out: ByteWriter) {
    this.#out = out;
  }

  /**
   * Writes event `e` described by `src[start..end)` (a JSON object's bytes without the closing
   * brace); `brace` says whether it may hold " {".
   */
  add(e: DiagramEvent, src: Uint8Array, start: number, end: number, brace: boolean): void {
    const ev = e.ev;
    if (ev === "partition" || ev === "heal") return;
    if (brace) {
      src = utf8(
        decoder.decode(src.subarray(start, end)).replace(/[\r\n]+/g, " ")
          .replace(/ \{/g, " \\u007b"),
      );
      start = 0, end = src.length;
    }
    if (ev === "crash" || ev === "restart") {
      for (const host of this.#hosts) {
        if (host.machine === e.at) this.#tick(host, src, start, end, undefined);
      }
      return;
    }
    const name = hostOf(e);
    if (!name) return;
    let host = this.#byName.get(name);
    if (host === undefined) {
      host = {
        n: this.#hosts.length,
        machine: machineOf(name),
        key: utf8(JSON.stringify(name) + ":"),
        head: utf8(`}\n${name} {`),
        counts: [],
      };
      this.#hosts.push(host);
      this.#byName.set(name, host);
    }
    let merge: number[] | undefined;
    if (ev === "deliver" && e.id) {
      merge = this.#sent.get(e.id) ?? (e.from ? this.#byName.get(e.from)?.counts : undefined);
    }
    const counts = this.#tick(host, src, start, end, merge);
    if ((ev === "send" || ev === "retransmit") && e.id && !this.#sent.has(e.id)) {
      this.#sent.set(e.id, counts.slice());
    }
  }

  /** Ticks `host` (merging `merge`) and writes the event described by `src[start..end)`. */
  #tick(
    host: Host,
    src: Uint8Array,
    start: number,
    end: number,
    merge: readonly number[] | undefined,
  ): number[] {
    const counts = host.counts;
    while (counts.length <= host.n) counts.push(0);
    counts[host.n]++;
    if (merge !== undefined) {
      while (counts.length < merge.length) counts.push(0);
      for (let i = 0; i < merge.length; i++) if (merge[i] > counts[i]) counts[i] = merge[i];
    }
    const out = this.#out;
    out.range(src, start, end);
    out.bytes(host.head);
    let first = true;
    for (let i = 0; i < counts.length; i++) {
      if (counts[i] === 0) continue;
      if (!first) out.byte(COMMA);
      first = false;
      out.bytes(this.#hosts[i].key);
      out.number(counts[i]);
    }
    out.byte(CLOSE);
    out.byte(NEWLINE);
    return counts;
  }
}

/** The host (process) an event belongs to; machine-level events go to the sender or receiver. */
function hostOf(e: DiagramEvent): string | undefined {
  if (e.at.includes("@")) return e.at;
  if (e.from && machineOf(e.from) === e.at) return e.from;
  if (e.to && machineOf(e.to) === e.at) return e.to;
  return e.from ?? e.to;
}

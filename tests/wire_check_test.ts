/**
 * The wire validator, data-driven: every malformed frame of the table is refused with its
 * reason, and every frame the kernel makes is accepted.
 * @module
 */
import {
  checkWire,
  decodeHello,
  decodeWire,
  encodeWire,
  encodeWireText,
  WireError,
  type WireFrame,
} from "../core/wire.ts";
import { assertEquals, assertThrows } from "./_assert.ts";
import { BAD_FRAMES, GOOD_ENV } from "./_malformed_frames.ts";

const encoder = new TextEncoder();

for (const bad of BAD_FRAMES) {
  Deno.test(`decodeWire() refuses a frame with ${bad.name}, naming the reason`, () => {
    let caught: unknown;
    try {
      decodeWire(encoder.encode(bad.payload));
    } catch (error) {
      caught = error;
    }
    if (!(caught instanceof WireError)) throw new Error(`not refused: ${bad.payload.slice(0, 80)}`);
    assertEquals(caught.reason, bad.reason);
    assertEquals(caught.message.startsWith(`Cannot accept wire frame: ${bad.reason}`), true);
  });
}

const GOOD_FRAMES: readonly WireFrame[] = [
  { kind: "msg", env: GOOD_ENV as never },
  { kind: "msg", env: { ...GOOD_ENV, body: undefined } as never },
  { kind: "msg", env: { ...GOOD_ENV, kind: "", body: { kind: "" } } as never },
  { kind: "msg", env: GOOD_ENV as never, epoch: 1_733_380_000_000, seq: 4, base: 2, tx: 3 },
  {
    kind: "msg",
    env: { ...GOOD_ENV, vc: { "c@evil.lab": 2 }, sync: true, flow: "wait" } as never,
    epoch: 2,
    seq: 1,
    base: 1,
    ack: { epoch: 7, seq: 0, sack: [[2, 3], [5, 5]], rtx: [3, 2] },
  },
  { kind: "ack", epoch: 1, seq: 0 },
  {
    kind: "msg",
    env: {
      id: "$flow@m2.lab#1.1",
      from: "$flow@m2.lab",
      to: "$flow@m1.lab",
      kind: "$flow",
      body: {
        kind: "$flow",
        epoch: 1,
        reset: ["kv@m1.lab"],
        caps: [["kv@m1.lab", 3], ["b@m1.lab", "unbounded"]],
        admitted: ["c@m2.lab#1.1"],
        probe: ["c@m2.lab#1.2"],
      },
      lamport: 0,
    },
  },
];

Deno.test("checkWire() accepts every shape the kernel sends, unchanged", () => {
  for (const frame of GOOD_FRAMES) {
    assertEquals(checkWire(frame), frame);
    assertEquals(decodeWire(encodeWire(frame)), JSON.parse(JSON.stringify(frame)));
  }
});

Deno.test("checkWire() refuses non-frames with a WireError, never another error", () => {
  for (const value of [undefined, 0, "msg", [], { kind: "msg", env: null }]) {
    assertThrows(() => checkWire(value), WireError);
  }
});

const BAD_HELLOS: readonly (readonly [string, string])[] = [
  ['{"hello":"m1.lab"}', 'kind is missing, not "hello"'],
  ['{"kind":"hello"}', "machine is missing, not a machine name (machine.domain)"],
  ['{"kind":"hello","machine":"###"}', 'machine is "###", not a machine name (machine.domain)'],
  ['{"kind":"hello","machine":"m1.lab.x@y"}', "not a machine name"],
  ['{"kind":"ack","epoch":1,"seq":1}', 'kind is "ack", not "hello"'],
  ["[]", "the frame is an array, not an object"],
  ["hello", "5 bytes are not JSON"],
];

Deno.test("decodeHello() returns the machine a hello names and refuses anything else, naming the reason", () => {
  assertEquals(decodeHello(encodeWire({ kind: "hello", machine: "m1.lab" })), "m1.lab");
  for (const [payload, reason] of BAD_HELLOS) {
    const error = assertThrows(() => decodeHello(encoder.encode(payload)), WireError) as WireError;
    assertEquals(error.reason.includes(reason), true, `${payload}: ${error.reason}`);
  }
});

Deno.test("decodeWire() refuses a hello: it opens a connection and is not a machine's frame", () => {
  const hello = '{"kind":"hello","machine":"m1.lab"}';
  const error = assertThrows(() => decodeWire(hello), WireError) as WireError;
  assertEquals(error.reason, 'kind is "hello", not "msg" or "ack"');
});

Deno.test("encodeWireText() with vectorClock false leaves the vector clock off the wire and on the frame", () => {
  const vc = { "a@m1.lab": 2 };
  const frame: WireFrame = { kind: "msg", env: { ...GOOD_ENV, vc } as never };
  const text = encodeWireText(frame, { vectorClock: false });
  assertEquals(text.includes('"vc"'), false);
  assertEquals(frame.kind === "msg" && frame.env.vc, vc);
  assertEquals(encodeWireText(frame).includes('"vc"'), true);
  assertEquals(decodeWire(text, { check: false }), JSON.parse(text));
});

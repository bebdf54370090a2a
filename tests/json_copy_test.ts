/**
 * The simulator's JSON wire as a copy: for every frame the copy is what decoding the encoded text
 * gives, and the counted length is that text's, so byte counts and traces do not change.
 * @module
 */
import assert from "node:assert/strict";
import { JsonCopier } from "../core/_json_copy.ts";
import { encodeWireText, type WireFrame } from "../core/wire.ts";

const env = (body: unknown, extra: Record<string, unknown> = {}) => ({
  id: "a@m1.lab#1.1",
  from: "a@m1.lab",
  to: "b@m2.lab",
  kind: "data",
  body,
  lamport: 1,
  ...extra,
});

const bodies: unknown[] = [
  0,
  -0,
  1.5,
  -7,
  1e21,
  123456789012345678,
  NaN,
  Infinity,
  null,
  true,
  false,
  "",
  'quote " back \\ nl \n tab \t',
  "\u0001\u001f",
  "é ü 日本",
  "\ud800 lone",
  "😀 pair",
  [],
  [1, undefined, () => 1, Symbol("s"), null],
  { a: undefined, b: 2, c: { d: [1, { e: "x" }] } },
  { 2: "two", 1: "one", z: 1 },
  { nested: { deeper: { deepest: [[[]]] } } },
  new Array(3),
];

Deno.test("a copied frame is the decoded text of the frame, and its length the text's", () => {
  const copier = new JsonCopier();
  const frames: WireFrame[] = [
    { kind: "ack", epoch: 1, seq: 3 },
    { kind: "ack", epoch: 2, seq: 0, sack: [[4, 5], [7, 9]], rtx: [4, 2] },
    { kind: "ack", epoch: -0, seq: 1e21 },
    { kind: "ack", epoch: 1, seq: NaN },
    { kind: "ack", epoch: 1, seq: 2, sack: undefined } as WireFrame,
  ];
  for (const body of bodies) {
    frames.push({ kind: "msg", env: env(body) } as WireFrame);
    frames.push({
      kind: "msg",
      env: env(body, { vc: { "a@m1.lab": 1 }, corr: 7 }),
      epoch: 1,
      seq: 9,
      base: 2,
      tx: 2,
      ack: { epoch: 1, seq: 4 },
    } as WireFrame);
    // The kernel's own shapes (copied as literals): a reliable link's header, a request's corr.
    const vc = { "a@m1.lab": 1 };
    frames.push({ kind: "msg", env: env(body, { vc }), epoch: 1, seq: 9, base: -0 } as WireFrame);
    frames.push({ kind: "msg", env: env(body, { corr: "a@m1.lab#1.1" }) } as WireFrame);
    frames.push({
      kind: "msg",
      env: env(body, { vc, corr: 'c "q"' }),
      epoch: 1e21,
      seq: 0.5,
      base: 2,
    } as WireFrame);
  }
  for (const ack of [{ epoch: 1, seq: 4 }, { epoch: -0, seq: NaN }, { seq: 1, epoch: 1 }]) {
    frames.push(
      { kind: "msg", env: env(2, { vc: {} }), epoch: 1, seq: 2, base: 1, ack } as WireFrame,
    );
  }
  for (const lamport of [-0, NaN, Infinity, 1e21, 2 ** 40]) {
    frames.push({ kind: "msg", env: env(1, { lamport }), epoch: 1, seq: 2, base: 1 } as WireFrame);
  }
  for (const odd of [{ epoch: NaN }, { seq: undefined }, { base: "1" }]) {
    frames.push({ kind: "msg", env: env(1), epoch: 1, seq: 2, base: 1, ...odd } as WireFrame);
  }
  frames.push({ kind: "msg", env: { ...env(1), corr: undefined } } as unknown as WireFrame);
  frames.push({ kind: "msg", env: { ...env(1), id: 5 } } as unknown as WireFrame);
  frames.push({ kind: "msg", env: { ...env(1), body: undefined } } as unknown as WireFrame);
  for (const frame of frames) {
    const text = encodeWireText(frame, { vectorClock: false });
    const copy = copier.frame(frame);
    assert.notEqual(copy, undefined, text);
    assert.equal(JSON.stringify(copy), text);
    assert.deepEqual(copy, JSON.parse(text));
    assert.equal(copier.length, text.length, text);
    if (frame.kind === "msg") assert.notEqual(frame.env.vc === undefined, "vc" in frame.env);
  }
});

Deno.test("only a message frame's envelope goes without its vector clock", () => {
  const copier = new JsonCopier();
  const odd = {
    kind: "ack",
    epoch: 1,
    seq: 2,
    env: env(1, { vc: { a: 1 } }),
  } as unknown as WireFrame;
  const text = encodeWireText(odd, { vectorClock: false });
  assert.deepEqual(copier.frame(odd), JSON.parse(text));
  assert.equal(copier.length, text.length);
});

Deno.test("a frame holding more than plain data is left to the text encoding", () => {
  const copier = new JsonCopier();
  const odd: unknown[] = [
    new Date(0),
    { toJSON: () => 1 },
    new Map(),
    new Number(1),
    JSON.parse('{"__proto__": 1}'),
    1n,
  ];
  for (const body of odd) {
    assert.equal(copier.frame({ kind: "msg", env: env(body) } as WireFrame), undefined);
  }
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  assert.equal(copier.frame({ kind: "msg", env: env(cycle) } as WireFrame), undefined);
});

Deno.test("a copy shares nothing mutable with the frame it copies", () => {
  const body = { list: [1, 2], inner: { x: 1 } };
  const copy = new JsonCopier().frame({ kind: "msg", env: env(body) } as WireFrame);
  body.list.push(3);
  body.inner.x = 2;
  assert.deepEqual(copy?.kind === "msg" && copy.env.body, { list: [1, 2], inner: { x: 1 } });
});

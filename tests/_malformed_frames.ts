/**
 * A table of malformed wire frames, each with the reason a receiver must give for refusing it:
 * shared by the validator's unit test and the test that writes them over a real socket.
 * @module
 */

/** A good envelope to spoil one field at a time. */
export const GOOD_ENV: Readonly<Record<string, unknown>> = {
  id: "c@evil.lab#1.1",
  from: "c@evil.lab",
  to: "kv@m1.lab",
  kind: "get",
  body: { kind: "get", key: "x" },
  lamport: 1,
  corr: "c@evil.lab#1.1",
};

/** `GOOD_ENV` with `changes` applied; a field set to `undefined` is removed. */
export function spoil(changes: Record<string, unknown>): Record<string, unknown> {
  const env: Record<string, unknown> = { ...GOOD_ENV, ...changes };
  for (const key of Object.keys(changes)) if (changes[key] === undefined) delete env[key];
  return env;
}

/** One bad frame: its JSON text and the reason it must be refused with. */
export interface BadFrame {
  /** What is wrong, for the test's name. */
  readonly name: string;
  /** The frame's payload as sent (JSON text, or not JSON at all). */
  readonly payload: string;
  /** The reason the receiver gives. */
  readonly reason: string;
}

const msg = (env: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ kind: "msg", env, ...extra });

/** Every malformed variant, with its reason. */
export const BAD_FRAMES: readonly BadFrame[] = [
  { name: "not JSON", payload: '{"kind":', reason: "8 bytes are not JSON" },
  { name: "a JSON array", payload: "[1,2]", reason: "the frame is an array, not an object" },
  { name: "null", payload: "null", reason: "the frame is null, not an object" },
  {
    name: "unknown kind",
    payload: '{"kind":"nope"}',
    reason: 'kind is "nope", not "msg" or "ack"',
  },
  {
    name: "no envelope",
    payload: '{"kind":"msg"}',
    reason: "env is missing, not an envelope object",
  },
  {
    name: "envelope is a string",
    payload: msg("hi"),
    reason: 'env is "hi", not an envelope object',
  },
  {
    name: "from missing",
    payload: msg(spoil({ from: undefined })),
    reason: "env.from is missing, not a process address (process@machine.domain)",
  },
  {
    name: "from a number",
    payload: msg(spoil({ from: 42 })),
    reason: "env.from is 42, not a process address (process@machine.domain)",
  },
  {
    name: 'from "###"',
    payload: msg(spoil({ from: "###" })),
    reason: 'env.from is "###", not a process address (process@machine.domain)',
  },
  {
    name: "from not canonical",
    payload: msg(spoil({ from: "evil:c" })),
    reason: 'env.from is "evil:c", not a process address (process@machine.domain)',
  },
  {
    name: "to missing",
    payload: msg(spoil({ to: undefined })),
    reason: "env.to is missing, not a process address (process@machine.domain)",
  },
  {
    name: "to an object",
    payload: msg(spoil({ to: { a: 1 } })),
    reason: "env.to is an object, not a process address (process@machine.domain)",
  },
  {
    name: "id missing",
    payload: msg(spoil({ id: undefined })),
    reason: "env.id is missing, not a string of 1 to 1024 characters",
  },
  {
    name: "id too long",
    payload: msg(spoil({ id: "x".repeat(2000) })),
    reason: `env.id is "${"x".repeat(36)}..., not a string of 1 to 1024 characters`,
  },
  {
    name: "kind a number",
    payload: msg(spoil({ kind: 7 })),
    reason: "env.kind is 7, not a string of at most 65536 characters",
  },
  {
    name: "lamport missing",
    payload: msg(spoil({ lamport: undefined })),
    reason: "env.lamport is missing, not an integer >= 0",
  },
  {
    name: "lamport negative",
    payload: msg(spoil({ lamport: -3 })),
    reason: "env.lamport is -3, not an integer >= 0",
  },
  {
    name: "lamport a fraction",
    payload: msg(spoil({ lamport: 1.5 })),
    reason: "env.lamport is 1.5, not an integer >= 0",
  },
  {
    name: "lamport beyond 2^53",
    payload: msg(spoil({ lamport: 1e300 })),
    reason: "env.lamport is 1e+300, not an integer >= 0",
  },
  {
    name: "corr a number",
    payload: msg(spoil({ corr: 5 })),
    reason: "env.corr is 5, not a string of 1 to 1024 characters",
  },
  {
    name: "replyTo empty",
    payload: msg(spoil({ replyTo: "" })),
    reason: 'env.replyTo is "", not a string of 1 to 1024 characters',
  },
  {
    name: "sync not true",
    payload: msg(spoil({ sync: "yes" })),
    reason: 'env.sync is "yes", not true',
  },
  {
    name: "flow unknown",
    payload: msg(spoil({ flow: "lots" })),
    reason: 'env.flow is "lots", not "credit" or "wait"',
  },
  {
    name: "vector clock a list",
    payload: msg(spoil({ vc: [1] })),
    reason: "env.vc is an array, not a vector clock",
  },
  {
    name: "vector clock entry negative",
    payload: msg(spoil({ vc: { "c@evil.lab": -1 } })),
    reason: 'env.vc["c@evil.lab"] is -1, not an integer >= 0',
  },
  {
    name: "vector clock key not an address",
    payload: msg(spoil({ vc: { "###": 1 } })),
    reason: 'env.vc key is "###", not a process address (process@machine.domain)',
  },
  {
    name: "$flow address to a process",
    payload: msg(spoil({ from: "$flow@evil.lab" })),
    reason: 'env.from "$flow@evil.lab" and env.to "kv@m1.lab" mix a $flow address with a process',
  },
  {
    name: "$flow body with bad caps",
    payload: msg(
      spoil({
        from: "$flow@evil.lab",
        to: "$flow@m1.lab",
        kind: "$flow",
        body: { kind: "$flow", epoch: 1, caps: [["kv@m1.lab", -2]] },
      }),
    ),
    reason: 'env.body.caps[0][1] is -2, not a count or "unbounded"',
  },
  {
    name: "$flow body without epoch",
    payload: msg(
      spoil({ from: "$flow@evil.lab", to: "$flow@m1.lab", kind: "$flow", body: { kind: "$flow" } }),
    ),
    reason: "env.body.epoch is missing, not an integer >= 0",
  },
  {
    name: "seq a string",
    payload: msg(GOOD_ENV, { epoch: 1, seq: "1" }),
    reason: 'seq is "1", not an integer >= 1',
  },
  {
    name: "seq without epoch",
    payload: msg(GOOD_ENV, { seq: 1 }),
    reason: "epoch is missing, not an integer >= 0",
  },
  {
    name: "epoch not finite",
    payload: msg(GOOD_ENV, { epoch: "Infinity", seq: 1 }),
    reason: 'epoch is "Infinity", not an integer >= 0',
  },
  {
    name: "base above seq",
    payload: msg(GOOD_ENV, { epoch: 1, seq: 2, base: 9 }),
    reason: "base 9 is above seq 2",
  },
  {
    name: "tx zero",
    payload: msg(GOOD_ENV, { epoch: 1, seq: 1, tx: 0 }),
    reason: "tx is 0, not an integer >= 1",
  },
  {
    name: "piggybacked ack not an object",
    payload: msg(GOOD_ENV, { epoch: 1, seq: 1, ack: 3 }),
    reason: "ack is 3, not an acknowledgement",
  },
  {
    name: "piggybacked ack without seq",
    payload: msg(GOOD_ENV, { epoch: 1, seq: 1, ack: { epoch: 1 } }),
    reason: "ack.seq is missing, not an integer >= 0",
  },
  {
    name: "ack seq a string",
    payload: '{"kind":"ack","epoch":1,"seq":"x"}',
    reason: 'seq is "x", not an integer >= 0',
  },
  {
    name: "ack without epoch",
    payload: '{"kind":"ack","seq":1}',
    reason: "epoch is missing, not an integer >= 0",
  },
  {
    name: "ack sack range reversed",
    payload: '{"kind":"ack","epoch":1,"seq":1,"sack":[[5,3]]}',
    reason: "sack[0] is [5, 3], a range that ends before it starts",
  },
  {
    name: "ack sack not pairs",
    payload: '{"kind":"ack","epoch":1,"seq":1,"sack":[3]}',
    reason: "sack[0] is 3, not a pair",
  },
  {
    name: "ack with too many sack ranges",
    payload: JSON.stringify({
      kind: "ack",
      epoch: 1,
      seq: 1,
      sack: Array.from({ length: 65 }, (_, i) => [3 * i + 3, 3 * i + 3]),
    }),
    reason: "sack has 65 ranges, more than 64",
  },
  {
    name: "ack rtx bad",
    payload: '{"kind":"ack","epoch":1,"seq":1,"rtx":[1]}',
    reason: "rtx is an array, not a pair",
  },
];

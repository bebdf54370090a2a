/**
 * The shape of a wire frame, checked field by field before anything of it reaches a machine: a
 * peer's bytes are untrusted, so every field a machine, its links, its flow control or a process
 * reads is checked here once, and a frame that fails is refused with the first problem found
 * (`env.from is 42, not a process address`). Fields the kernel does not know are left alone:
 * nothing reads them. The body of an ordinary message is the application's and is not checked;
 * the body of a flow-control (`$flow`) envelope is the kernel's and is.
 * @module
 */
import { canonical, parseMachine } from "./name.ts";
import { VectorStamp } from "./vector_stamp.ts";
import { FLOW_PREFIX } from "./_flow_outbox.ts";

/** Longest id, correlation id or kind accepted, in characters. */
const MAX_TEXT = 1024;
/** Longest kind accepted (a body's `kind` field, which the application chooses). */
const MAX_KIND = 65_536;
/** Most ranges a selective acknowledgement may carry. */
const MAX_SACK = 64;
/** Most entries a vector clock or a flow-control list may carry. */
const MAX_ENTRIES = 65_536;

type Problem = string | undefined;

function show(value: unknown): string {
  if (value === undefined) return "missing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  const text = typeof value === "string" ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A count: a safe integer of at least `min`. */
function count(value: unknown, path: string, min: number): Problem {
  return Number.isSafeInteger(value) && (value as number) >= min
    ? undefined
    : `${path} is ${show(value)}, not an integer >= ${min}`;
}

function optionalCount(value: unknown, path: string, min: number): Problem {
  return value === undefined ? undefined : count(value, path, min);
}

function text(value: unknown, path: string, optional = false): Problem {
  if (value === undefined && optional) return undefined;
  return typeof value === "string" && value.length > 0 && value.length <= MAX_TEXT
    ? undefined
    : `${path} is ${show(value)}, not a string of 1 to ${MAX_TEXT} characters`;
}

function machineName(value: string): boolean {
  try {
    const { machine, domain } = parseMachine(value);
    return `${machine}.${domain}` === value;
  } catch (error) {
    if (error instanceof TypeError) return false;
    throw error;
  }
}

/** A canonical address `process@machine.domain`, or the flow-control address of a machine. */
function address(value: unknown, path: string): Problem {
  // The message is built only for a bad address (every frame checks two good ones), by a
  // function of its own: a closure here was made for every address checked.
  if (typeof value !== "string" || value.length > MAX_TEXT) return badAddress(value, path);
  // The last two good process addresses (a conversation's frames name the same two): the
  // check is a function of the text alone, so the same text passes again without a lookup.
  if (value === goodA || value === goodB) return undefined;
  if (value.startsWith(FLOW_PREFIX)) {
    return machineName(value.slice(FLOW_PREFIX.length)) ? undefined : badAddress(value, path);
  }
  try {
    if (canonical(value) !== value) return badAddress(value, path);
  } catch (error) {
    if (error instanceof TypeError) return badAddress(value, path);
    throw error;
  }
  goodB = goodA;
  goodA = value;
  return undefined;
}

/** The last two addresses {@link address} found good (none at first). */
let goodA: string | undefined, goodB: string | undefined;

function badAddress(value: unknown, path: string): string {
  return `${path} is ${show(value)}, not a process address (process@machine.domain)`;
}

function vectorClock(value: unknown, path: string): Problem {
  if (value === undefined || value instanceof VectorStamp) return undefined;
  if (!isRecord(value)) return `${path} is ${show(value)}, not a vector clock`;
  const keys = Object.keys(value);
  if (keys.length > MAX_ENTRIES) {
    return `${path} has ${keys.length} entries, more than ${MAX_ENTRIES}`;
  }
  for (const key of keys) {
    const problem = address(key, `${path} key`) ??
      count(value[key], `${path}[${JSON.stringify(key)}]`, 0);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function list(value: unknown, path: string, item: (x: unknown, at: string) => Problem): Problem {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length > MAX_ENTRIES) {
    return `${path} is ${show(value)}, not a list of at most ${MAX_ENTRIES} items`;
  }
  for (let i = 0; i < value.length; i++) {
    const problem = item(value[i], `${path}[${i}]`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function pair<A, B>(
  value: unknown,
  path: string,
  first: (x: unknown, at: string) => Problem,
  second: (x: unknown, at: string) => Problem,
): Problem {
  if (!Array.isArray(value) || value.length !== 2) return `${path} is ${show(value)}, not a pair`;
  return first(value[0] as A, `${path}[0]`) ?? second(value[1] as B, `${path}[1]`);
}

/** The body of a `$flow` envelope: what flow control reads of it. */
function flowBody(body: unknown): Problem {
  if (!isRecord(body)) return `env.body of a $flow envelope is ${show(body)}, not an object`;
  const id = (x: unknown, at: string) => text(x, at);
  const cap = (x: unknown, at: string) =>
    x === "unbounded"
      ? undefined
      : count(x, at, 0) && `${at} is ${show(x)}, not a count or "unbounded"`;
  return count(body.epoch, "env.body.epoch", 0) ??
    list(body.reset, "env.body.reset", (x, at) => address(x, at)) ??
    list(body.caps, "env.body.caps", (x, at) => pair(x, at, address, cap)) ??
    list(body.admitted, "env.body.admitted", id) ??
    list(body.gone, "env.body.gone", id) ??
    list(body.probe, "env.body.probe", id);
}

/** What is wrong with `env` as an envelope, or `undefined`. */
function envelopeProblem(env: unknown): Problem {
  if (!isRecord(env)) return `env is ${show(env)}, not an envelope object`;
  const problem = text(env.id, "env.id") ??
    address(env.from, "env.from") ??
    address(env.to, "env.to") ??
    (typeof env.kind === "string" && env.kind.length <= MAX_KIND
      ? undefined
      : `env.kind is ${show(env.kind)}, not a string of at most ${MAX_KIND} characters`) ??
    count(env.lamport, "env.lamport", 0) ??
    text(env.corr, "env.corr", true) ??
    text(env.replyTo, "env.replyTo", true) ??
    (env.sync === undefined || env.sync === true
      ? undefined
      : `env.sync is ${show(env.sync)}, not true`) ??
    (env.flow === undefined || env.flow === "credit" || env.flow === "wait"
      ? undefined
      : `env.flow is ${show(env.flow)}, not "credit" or "wait"`) ??
    vectorClock(env.vc, "env.vc");
  if (problem !== undefined) return problem;
  const flowFrom = (env.from as string).startsWith(FLOW_PREFIX);
  if (flowFrom !== (env.to as string).startsWith(FLOW_PREFIX)) {
    return `env.from ${show(env.from)} and env.to ${
      show(env.to)
    } mix a $flow address with a process`;
  }
  if (!flowFrom) return undefined;
  return env.kind === "$flow"
    ? flowBody(env.body)
    : `env.kind of a $flow envelope is ${show(env.kind)}`;
}

/** The paths of an acknowledgement's fields, on its own or piggybacked (built once). */
const ACK_PATHS = {
  "": { epoch: "epoch", seq: "seq", sack: "sack", rtx: "rtx" },
  "ack.": { epoch: "ack.epoch", seq: "ack.seq", sack: "ack.sack", rtx: "ack.rtx" },
} as const;

/** What is wrong with an acknowledgement at `path`, or `undefined`. */
function ackProblem(ack: Record<string, unknown>, path: keyof typeof ACK_PATHS): Problem {
  // No closure nor path string per call: every message frame carries one, piggybacked.
  const paths = ACK_PATHS[path];
  const sack = ack.sack;
  return count(ack.epoch, paths.epoch, 0) ??
    count(ack.seq, paths.seq, 0) ??
    (sack === undefined
      ? undefined
      : Array.isArray(sack) && sack.length > MAX_SACK
      ? `${paths.sack} has ${sack.length} ranges, more than ${MAX_SACK}`
      : list(sack, paths.sack, sackRange)) ??
    (ack.rtx === undefined ? undefined : pair(ack.rtx, paths.rtx, positive, positive));
}

/** A count of at least 1 at `at`. */
function positive(n: unknown, at: string): Problem {
  return count(n, at, 1);
}

/** A selective acknowledgement's range `[first, last]` at `at`. */
function sackRange(x: unknown, at: string): Problem {
  const problem = pair(x, at, positive, positive);
  if (problem !== undefined) return problem;
  const [a, b] = x as [number, number];
  return a <= b ? undefined : `${at} is [${a}, ${b}], a range that ends before it starts`;
}

/**
 * What is wrong with `value` as a wire frame (the first problem found), or `undefined` when it
 * is one.
 */
export function wireProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return `the frame is ${show(value)}, not an object`;
  if (value.kind === "ack") return ackProblem(value, "");
  if (value.kind !== "msg") return `kind is ${show(value.kind)}, not "msg" or "ack"`;
  const problem = envelopeProblem(value.env);
  if (problem !== undefined) return problem;
  const sequenced = value.seq !== undefined;
  if (
    sequenced || value.epoch !== undefined || value.base !== undefined || value.tx !== undefined
  ) {
    const header = count(value.epoch, "epoch", 0) ??
      count(value.seq, "seq", 1) ??
      optionalCount(value.base, "base", 1) ??
      optionalCount(value.tx, "tx", 1);
    if (header !== undefined) return header;
    if (value.base !== undefined && (value.base as number) > (value.seq as number)) {
      return `base ${value.base} is above seq ${value.seq}`;
    }
  }
  if (value.ack === undefined) return undefined;
  if (!isRecord(value.ack)) return `ack is ${show(value.ack)}, not an acknowledgement`;
  return ackProblem(value.ack, "ack.");
}

/** What is wrong with `value` as a hello frame (the first problem found), or `undefined`. */
export function helloProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return `the frame is ${show(value)}, not an object`;
  if (value.kind !== "hello") return `kind is ${show(value.kind)}, not "hello"`;
  const machine = value.machine;
  return typeof machine === "string" && machine.length <= MAX_TEXT && machineName(machine)
    ? undefined
    : `machine is ${show(machine)}, not a machine name (machine.domain)`;
}

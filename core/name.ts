/**
 * Process names: `process@machine.domain` and its short form `machine:process`.
 *
 * A machine is identified by `machine.domain`; two machines called `m1` in the domains `lab` and
 * `edu` are different machines. When a domain is left out it defaults to {@link DEFAULT_DOMAIN}.
 * @module
 */

/** The domain used when a name leaves it out. */
export const DEFAULT_DOMAIN = "lab";

/** A parsed process name. */
export interface ProcessName {
  /** The process name, unique on its machine: `kv`. */
  readonly process: string;
  /** The machine name without its domain: `m1`. */
  readonly machine: string;
  /** The naming domain: `lab`. */
  readonly domain: string;
}

/** A canonical process address: `process@machine.domain`. */
export type Address = string;

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62})$/;
const ACCEPTED = 'accepted forms: "process@machine.domain" (kv@m1.lab) or "machine:process" ' +
  "(m1.lab:kv); names use letters, digits, '-' and '_'";

function checkLabel(label: string, what: string, input: string): void {
  if (!LABEL.test(label)) {
    throw new TypeError(
      `Cannot parse process name "${input}": bad ${what} "${label}"; ${ACCEPTED}`,
    );
  }
}

/**
 * Splits a machine name `machine.domain` (or `machine`) into its parts.
 *
 * @example Domains keep equal machine names apart
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMachine } from "./name.ts";
 * assert.deepEqual(parseMachine("m1.lab"), { machine: "m1", domain: "lab" });
 * assert.deepEqual(parseMachine("m1"), { machine: "m1", domain: "lab" });
 * ```
 */
export function parseMachine(text: string): { machine: string; domain: string } {
  return splitMachine(text, text);
}

function splitMachine(text: string, input: string): { machine: string; domain: string } {
  const dot = text.indexOf(".");
  const machine = dot < 0 ? text : text.slice(0, dot);
  const domain = dot < 0 ? DEFAULT_DOMAIN : text.slice(dot + 1);
  checkLabel(machine, "machine", input);
  for (const part of domain.split(".")) checkLabel(part, "domain", input);
  return { machine, domain };
}

/**
 * Parses `process@machine.domain` or `machine:process` (the domain defaults to `lab`).
 *
 * @throws {TypeError} when the name is malformed; the message quotes it and shows the accepted forms.
 * @example Both forms name the same process
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseName } from "./name.ts";
 * assert.deepEqual(parseName("kv@m1.lab"), parseName("m1.lab:kv"));
 * assert.throws(() => parseName("kv@@m1"), /accepted forms/);
 * ```
 */
export function parseName(text: string): ProcessName {
  if (typeof text !== "string") {
    throw new TypeError(
      `Cannot parse process name ${JSON.stringify(text)}: not a string; ${ACCEPTED}`,
    );
  }
  const at = text.indexOf("@");
  const colon = text.indexOf(":");
  let process: string, machineText: string;
  if (at >= 0 && colon < 0) {
    process = text.slice(0, at);
    machineText = text.slice(at + 1);
  } else if (colon >= 0 && at < 0) {
    machineText = text.slice(0, colon);
    process = text.slice(colon + 1);
  } else {
    throw new TypeError(`Cannot parse process name "${text}": ${ACCEPTED}`);
  }
  checkLabel(process, "process", text);
  const { machine, domain } = splitMachine(machineText, text);
  return { process, machine, domain };
}

/**
 * Formats a name in its canonical form `process@machine.domain`.
 *
 * @example Canonical form
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatName } from "./name.ts";
 * assert.equal(formatName({ process: "kv", machine: "m1", domain: "lab" }), "kv@m1.lab");
 * ```
 */
export function formatName(name: ProcessName): Address {
  return `${name.process}@${name.machine}.${name.domain}`;
}

const canonicalCache = new Map<string, Address>();
/** How many forms the cache keeps before it starts again (a 100,000-peer run has that many). */
const CANONICAL_CACHE = 250_000;

/**
 * Returns the canonical address of any accepted form; cached, so it is cheap on hot paths.
 *
 * @example Short form to canonical
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonical } from "./name.ts";
 * assert.equal(canonical("m2:c1"), "c1@m2.lab");
 * ```
 */
export function canonical(text: string): Address {
  let hit = canonicalCache.get(text);
  if (hit === undefined) {
    hit = formatName(parseName(text));
    if (canonicalCache.size > CANONICAL_CACHE) canonicalCache.clear();
    canonicalCache.set(text, hit);
  }
  return hit;
}

/**
 * The machine part (`machine.domain`) of a canonical address.
 *
 * @example Machine of an address
 * ```ts
 * import assert from "node:assert/strict";
 * import { machineOf } from "./name.ts";
 * assert.equal(machineOf("kv@m1.lab"), "m1.lab");
 * ```
 */
export function machineOf(address: Address): string {
  // Cached: a slice is a new string, and a new string is hashed again by every Map that looks
  // it up (the link's channels, the simulator's machines, per frame).
  let machine = machineCache.get(address);
  if (machine === undefined) {
    machine = address.slice(address.indexOf("@") + 1);
    if (machineCache.size > CANONICAL_CACHE) machineCache.clear();
    machineCache.set(address, machine);
  }
  return machine;
}

/** The machine part of each address met (see {@link machineOf}). */
const machineCache = new Map<string, string>();

/**
 * The process part of a canonical address.
 *
 * @example Process of an address
 * ```ts
 * import assert from "node:assert/strict";
 * import { processOf } from "./name.ts";
 * assert.equal(processOf("kv@m1.lab"), "kv");
 * ```
 */
export function processOf(address: Address): string {
  return address.slice(0, address.indexOf("@"));
}

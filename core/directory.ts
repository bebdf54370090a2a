/**
 * A directory that resolves a machine name (`machine.domain`) to a transport endpoint
 * (`"sim:m1.lab"` in the simulator, `"127.0.0.1:4001"` over TCP), caching answers for a TTL,
 * like DNS. Static entries never expire.
 * @module
 */
import { parseMachine } from "./name.ts";
import { createRealRuntime } from "./real_runtime.ts";

/** Looks a machine up at the source of truth; `undefined` when it does not know it. */
export type MachineResolver = (
  machine: string,
) => Promise<string | undefined> | string | undefined;

/** Options of {@link Directory}. */
export interface DirectoryOptions {
  /** How long a resolved endpoint is cached, in ms; 0 disables caching. @default 30000 */
  readonly ttl?: number;
  /** The clock the TTL is measured with, in ms (pass `ctx.now` or the simulator's). @default the host's monotonic clock */
  readonly now?: () => number;
}

/** Cache counters of a {@link Directory}. */
export interface DirectoryStats {
  /** Resolutions answered from a static entry or a fresh cache entry. */
  hits: number;
  /** Resolutions that asked the resolver. */
  misses: number;
}

/**
 * A machine the directory could not resolve.
 *
 * @example Catching an unknown machine
 * ```ts
 * import assert from "node:assert/strict";
 * import { UnknownMachineError } from "./directory.ts";
 * const error = new UnknownMachineError("m9.lab");
 * assert.equal(error.machine, "m9.lab");
 * assert.match(error.message, /^Cannot resolve machine "m9.lab": /);
 * ```
 */
export class UnknownMachineError extends Error {
  /** The canonical machine name (`machine.domain`) that could not be resolved. */
  readonly machine: string;
  /** Creates the error for `machine`. */
  constructor(machine: string) {
    super(
      `Cannot resolve machine "${machine}": it has no static entry and the resolver does not ` +
        "know it; register(machine, endpoint) it or start that machine first",
    );
    this.name = "UnknownMachineError";
    this.machine = machine;
  }
}

interface Cached {
  readonly endpoint: string;
  readonly at: number;
}

function canonicalMachine(text: string): string {
  const { machine, domain } = parseMachine(text);
  return `${machine}.${domain}`;
}

/**
 * Resolves machine names to endpoints through a resolver, with a TTL cache and static entries.
 * Names are accepted in any form `parseMachine` accepts and stored canonically (`m1` is
 * `m1.lab`). Concurrent resolutions of one uncached machine share one resolver call.
 *
 * @example Cache hits within the TTL, a new lookup after it
 * ```ts
 * import assert from "node:assert/strict";
 * import { Directory } from "./directory.ts";
 * let clock = 0, lookups = 0;
 * const directory = new Directory((machine) => {
 *   lookups++;
 *   return machine === "m1.lab" ? "127.0.0.1:4001" : undefined;
 * }, { ttl: 1000, now: () => clock });
 * assert.equal(await directory.resolve("m1"), "127.0.0.1:4001");
 * clock = 999;
 * assert.equal(await directory.resolve("m1.lab"), "127.0.0.1:4001");
 * assert.equal(lookups, 1);
 * clock = 1000;
 * await directory.resolve("m1.lab");
 * assert.equal(lookups, 2);
 * assert.deepEqual(directory.stats, { hits: 1, misses: 2 });
 * ```
 */
export class Directory {
  /** Cache counters. */
  readonly stats: DirectoryStats = { hits: 0, misses: 0 };
  readonly #resolver: MachineResolver;
  readonly #ttl: number;
  readonly #now: () => number;
  readonly #static = new Map<string, string>();
  readonly #cache = new Map<string, Cached>();
  readonly #inflight = new Map<string, { promise: Promise<string> }>();

  /** Creates a directory over `resolver`. */
  constructor(resolver: MachineResolver, options: DirectoryOptions = {}) {
    if (typeof resolver !== "function") {
      throw new TypeError(
        `Cannot create directory: resolver ${String(resolver)} is not a function`,
      );
    }
    const ttl = options.ttl ?? 30_000;
    if (!(ttl >= 0)) {
      throw new RangeError(`Cannot create directory: ttl ${ttl} must be 0 or more ms`);
    }
    this.#resolver = resolver;
    this.#ttl = ttl;
    this.#now = options.now ?? createRealRuntime({ seed: 0 }).now;
  }

  /** Adds a static entry for `machine` that never expires (it replaces a cached answer). */
  register(machine: string, endpoint: string): void {
    if (typeof endpoint !== "string" || endpoint === "") {
      throw new TypeError(
        `Cannot register machine "${machine}": endpoint ${
          JSON.stringify(endpoint)
        } must be a non-empty string such as "127.0.0.1:4001"`,
      );
    }
    const key = canonicalMachine(machine);
    this.#static.set(key, endpoint);
    this.#cache.delete(key);
    this.#inflight.delete(key);
  }

  /**
   * The endpoint of `machine`: a static entry, a cached answer younger than the TTL, or else the
   * resolver's answer (then cached).
   *
   * @throws {UnknownMachineError} (as a rejection) when the resolver does not know the machine.
   * @throws {TypeError} (as a rejection) when `machine` is not a valid machine name.
   */
  resolve(machine: string): Promise<string> {
    let key: string;
    try {
      key = canonicalMachine(machine);
    } catch (error) {
      return Promise.reject(error);
    }
    const fixed = this.#static.get(key);
    if (fixed !== undefined) {
      this.stats.hits++;
      return Promise.resolve(fixed);
    }
    const cached = this.#cache.get(key);
    if (cached !== undefined) {
      if (this.#now() - cached.at < this.#ttl) {
        this.stats.hits++;
        return Promise.resolve(cached.endpoint);
      }
      this.#cache.delete(key);
    }
    this.stats.misses++;
    let lookup = this.#inflight.get(key);
    if (lookup === undefined) {
      const token = { promise: Promise.resolve("") };
      this.#inflight.set(key, token);
      token.promise = this.#lookup(key, token);
      lookup = token;
    }
    return lookup.promise;
  }

  /** Forgets everything known about `machine` (cached answer and static entry). */
  invalidate(machine: string): void {
    const key = canonicalMachine(machine);
    this.#static.delete(key);
    this.#cache.delete(key);
    this.#inflight.delete(key);
  }

  async #lookup(key: string, token: object): Promise<string> {
    try {
      const endpoint = await this.#resolver(key);
      if (endpoint === undefined) throw new UnknownMachineError(key);
      // After an invalidate() or register() during the lookup the answer may be stale: not cached.
      if (this.#inflight.get(key) === token && this.#ttl > 0 && !this.#static.has(key)) {
        this.#cache.set(key, { endpoint, at: this.#now() });
      }
      return endpoint;
    } finally {
      if (this.#inflight.get(key) === token) this.#inflight.delete(key);
    }
  }
}

/**
 * Client stubs: an object typed after an interface whose methods marshal their arguments, send a
 * call to the server and suspend the caller until the reply; then they unmarshal the result, or
 * throw a {@link RemoteError}. Parameters go by value (a JSON copy, even on the same machine) or,
 * for the arguments an interface declares `inout`, by copy/restore: the server works on a copy
 * and its final state is written back over the caller's object when the reply arrives.
 * @module
 */
import { type Address, canonical } from "../core/name.ts";
import type { ProcessContext } from "../core/process.ts";
import { copyValue, restorable, restoreInto } from "./_copy.ts";
import { RemoteError } from "./errors.ts";
import { CALL_KIND, type RpcCall, type RpcError, type RpcResult } from "./messages.ts";

/** The procedures of interface `T`: its function-valued string keys. */
export type ProcedureName<T> = {
  // deno-lint-ignore no-explicit-any
  [K in keyof T & string]: T[K] extends (...args: any[]) => unknown ? K : never;
}[keyof T & string];

/** What a caller holds for interface `T`: each procedure returns a promise of its result. */
export type Stub<T> = {
  readonly [K in ProcedureName<T>]: T[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};

/** Per procedure, the indexes of the arguments passed by copy/restore. */
export type InOutSpec<T> = { readonly [K in ProcedureName<T>]?: readonly number[] };

/** What an orphan policy adds to the calls of a stub (implemented by `RpcClient`). */
export interface CallSession {
  /** Fields added to each call: epoch, quantum, agent. */
  tags(): Pick<RpcCall, "epoch" | "quantum" | "agent">;
  /** Called just before call `id` is sent to `server` (extermination logs it here). */
  begin(id: string, server: Address): void;
  /** Called when the caller stops waiting for call `id` (reply, error or timeout). */
  end(id: string): void;
  /** Called when a server answered with its epoch (it refused or killed a call): adopt it. */
  adopt(epoch: number): void;
}

/** Options of {@link createStub}. */
export interface StubOptions<T> {
  /** Ms to wait for each reply before failing with a `TimeoutError`. @default 5000 */
  readonly timeout?: number;
  /** Arguments passed by copy/restore, by procedure, e.g. `{ bump: [0, 1] }`. @default none */
  readonly inout?: InOutSpec<T>;
  /** The orphan policy's hooks; without one calls carry no epoch, quantum or log. @default none */
  readonly session?: CallSession;
}

/** Attempts of one call when servers keep announcing newer epochs. */
const EPOCH_ATTEMPTS = 3;

/**
 * Creates a stub for the procedures of interface `T` served at `server` (see `serveRpc`).
 * Calling a method sends a request and suspends the caller until the reply.
 *
 * @throws {TypeError} for a malformed server name or a bad copy/restore index.
 * @example Calling a remote procedure like a local one
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { createStub } from "./stub.ts";
 * import { serveRpc } from "./skeleton_process.ts";
 * interface Calc { add(a: number, b: number): number }
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("s1.lab").spawn("calc", serveRpc<Calc>(() => ({ add: (a, b) => a + b })));
 * let sum = 0;
 * sim.machine("c1.lab").spawn("client", async (ctx) => {
 *   const calc = createStub<Calc>(ctx, "calc@s1.lab");
 *   sum = await calc.add(2, 3);
 * });
 * await sim.run();
 * assert.equal(sum, 5);
 * ```
 */
export function createStub<T>(
  ctx: ProcessContext,
  server: string,
  options: StubOptions<T> = {},
): Stub<T> {
  const to = canonical(server);
  const timeout = options.timeout ?? 5000;
  if (!(timeout > 0)) {
    throw new RangeError(`Cannot create stub for "${to}": timeout ${timeout} must be above 0 ms`);
  }
  const inout = checkedInout(to, options.inout ?? {});
  const session = options.session;
  let calls = 0;

  const nextId = (): string =>
    `${ctx.self}/${Math.round(ctx.now() * 1000)}/${++calls}.${
      Math.floor(ctx.random() * 2 ** 32).toString(36)
    }`;

  async function invoke(method: string, args: unknown[]): Promise<unknown> {
    const copied = copyValue(args, `the arguments of ${method}`) as unknown[];
    const restore = inout[method] ?? [];
    checkRestorable(to, method, args, restore);
    for (let attempt = 1;; attempt++) {
      const id = nextId();
      const call: RpcCall = {
        kind: CALL_KIND,
        method,
        id,
        args: copied,
        ...(restore.length > 0 ? { inout: restore } : {}),
        ...session?.tags(),
        sent: ctx.now(),
      };
      session?.begin(id, to);
      let body: RpcResult | RpcError;
      try {
        body = (await ctx.request<RpcResult | RpcError>(to, call, { timeout })).body;
      } finally {
        session?.end(id);
      }
      if (body.kind === "rpc-result") {
        restore.forEach((i, j) => restoreInto(args[i] as Record<string, unknown>, body.out?.[j]));
        return body.value;
      }
      if (body.epoch !== undefined && session !== undefined) {
        session.adopt(body.epoch);
        if (body.name === "StaleEpochError" && attempt < EPOCH_ATTEMPTS) continue;
      }
      throw new RemoteError(method, to, body);
    }
  }

  const methods = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  return new Proxy({}, {
    get(_target, name) {
      // Not a thenable, not inspectable by symbols: only string names are procedures.
      if (typeof name !== "string" || name === "then") return undefined;
      let method = methods.get(name);
      if (method === undefined) {
        method = (...args: unknown[]) => invoke(name, args);
        methods.set(name, method);
      }
      return method;
    },
  }) as Stub<T>;
}

/** The copy/restore indexes of each method, each checked to be an argument index. */
function checkedInout(
  to: string,
  inout: Readonly<Record<string, readonly number[] | undefined>>,
): Readonly<Record<string, readonly number[] | undefined>> {
  for (const [method, indexes] of Object.entries(inout)) {
    for (const i of indexes ?? []) {
      if (!Number.isInteger(i) || i < 0) {
        throw new TypeError(
          `Cannot create stub for "${to}": copy/restore index ${i} of ${method} is not an argument index; use 0, 1, ...`,
        );
      }
    }
  }
  return inout;
}

/** Refuses a call whose copy/restore arguments are not objects or arrays (nothing to restore into). */
function checkRestorable(
  to: string,
  method: string,
  args: readonly unknown[],
  restore: readonly number[],
): void {
  for (const i of restore) {
    if (!restorable(args[i])) {
      throw new TypeError(
        `Cannot call ${method} on "${to}": argument ${i} (${
          JSON.stringify(args[i])
        }) is passed by copy/restore but is not an object or array; pass an object`,
      );
    }
  }
}

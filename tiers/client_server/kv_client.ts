/**
 * A key-value client: sends requests, measures each latency on the runtime's clock, retransmits
 * a request whose reply does not come in time (same request id, so the server executes it at most
 * once) and reports to a collector. It can also send malformed requests, which the server must
 * answer with an error reply.
 * @module
 */
import { TimeoutError, UnknownProcessError } from "../../core/errors.ts";
import type { ProcessFn } from "../../core/process.ts";
import type { KvReply, KvRequest } from "./messages.ts";

/** Options of {@link kvClient}. */
export interface KvClientOptions {
  /** Server address. */
  readonly server: string;
  /** Requests to send. @default 10 */
  readonly requests?: number;
  /** Number of distinct keys. @default 5 */
  readonly keys?: number;
  /** Fraction of requests that are writes. @default 0.3 */
  readonly writeRatio?: number;
  /** Ms to wait for a reply before retransmitting. @default 500 */
  readonly timeout?: number;
  /** Transmissions per request before counting it as an error. @default 4 */
  readonly attempts?: number;
  /** Where to send the {@link KvReport}. @default none */
  readonly collector?: string;
  /**
   * Malformed requests to send (an operation the server does not offer), one after each of the
   * first good requests; each must get an error reply. @default 0
   */
  readonly badRequests?: number;
}

/** What a client reports when it is done. */
export interface KvReport {
  /** Always `"report"`. */
  readonly kind: "report";
  /** The client's address. */
  readonly client: string;
  /** Ms from sending each answered request to its reply, on the runtime's clock. */
  readonly latencies: number[];
  /** Failures: requests never answered, good requests answered with an error, bad ones without. */
  readonly errors: number;
  /** Retransmissions of requests that got no reply in time. */
  readonly retries: number;
  /** Error replies to the malformed requests, as expected. */
  readonly errorReplies: number;
  /**
   * Every put, by key: `[value, sent, answered]` in ms of the runtime's clock, `answered` `null`
   * when no `ok` came. What a checker needs to tell which acknowledged writes must read back.
   */
  readonly puts?: Readonly<Record<string, readonly KvPut[]>>;
}

/** One put of a client: its value, when it was sent, when the `ok` came (`null`: never). */
export type KvPut = readonly [value: string, sent: number, answered: number | null];

const LETTERS = "xyzwabcdefghijklmnopqrstuv";

/**
 * The name of key number `index` (from 0) of the clients' workload: `x`, `y`, `z`, ...
 *
 * @example The first keys
 * ```ts
 * import assert from "node:assert/strict";
 * import { keyName } from "./kv_client.ts";
 * assert.deepEqual([0, 1, 2, 30].map(keyName), ["x", "y", "z", "k30"]);
 * ```
 */
export function keyName(index: number): string {
  return index < LETTERS.length ? LETTERS[index] : `k${index}`;
}

/**
 * A client process.
 *
 * @example Three requests and one malformed request against a server
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
 * import { kvClient, type KvReport } from "./kv_client.ts";
 * import { kvServer } from "./kv_server.ts";
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("m1.lab").spawn("kv", kvServer());
 * sim.machine("m2.lab").spawn(
 *   "c1",
 *   kvClient({ server: "kv@m1.lab", requests: 3, badRequests: 1, collector: "ctl@m0.lab" }),
 * );
 * let report: KvReport | undefined;
 * sim.machine("m0.lab").spawn("ctl", async (ctx) => { report = (await ctx.receive<KvReport>()).body; });
 * await sim.run();
 * assert.equal(report?.latencies.length, 3);
 * assert.equal(report?.errorReplies, 1);
 * assert.equal(report?.errors, 0);
 * ```
 */
export function kvClient(options: KvClientOptions): ProcessFn {
  const requests = options.requests ?? 10;
  const keys = options.keys ?? 5;
  const writeRatio = options.writeRatio ?? 0.3;
  const timeout = options.timeout ?? 500;
  const attempts = options.attempts ?? 4;
  const badRequests = options.badRequests ?? 0;
  return async (ctx) => {
    const name = ctx.self.slice(0, ctx.self.indexOf("@"));
    const latencies: number[] = [];
    let errors = 0, retries = 0, errorReplies = 0;
    const puts: Record<string, KvPut[]> = {};
    /** Sends `request` until a reply comes, at most `attempts` times; `undefined` if none did. */
    const call = async (request: unknown, rid: string): Promise<KvReply | undefined> => {
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          return (await ctx.request<KvReply>(options.server, request, { timeout })).body;
        } catch (error) {
          if (error instanceof TimeoutError) {
            if (attempt < attempts) {
              retries++;
              ctx.log(`retransmit ${rid} (attempt ${attempt + 1})`);
            }
          } else if (error instanceof UnknownProcessError) {
            // The server's machine restarted and its process is not up yet: wait and try again.
            await ctx.sleep(timeout);
          } else {
            throw error;
          }
        }
      }
      return undefined;
    };
    for (let i = 1; i <= Math.max(requests, badRequests); i++) {
      if (i <= requests) {
        const key = keyName(Math.floor(ctx.random() * keys));
        const rid = `${name}-${i}`;
        const request: KvRequest = ctx.random() < writeRatio
          ? { kind: "put", key, value: String(i), rid }
          : { kind: "get", key, rid };
        const start = ctx.now();
        const reply = await call(request, rid);
        if (reply === undefined || reply.kind === "error") errors++;
        else latencies.push(ctx.now() - start);
        if (request.kind === "put") {
          (puts[key] ??= []).push([request.value, start, reply?.kind === "ok" ? ctx.now() : null]);
        }
      }
      if (i <= badRequests) {
        // An operation the server does not offer: the answer must be an error reply.
        const rid = `${name}-bad${i}`;
        const reply = await call({ kind: "incr", key: keyName(0), rid }, rid);
        if (reply?.kind === "error") errorReplies++;
        else errors++;
      }
    }
    if (options.collector !== undefined) {
      const report: KvReport = {
        kind: "report",
        client: ctx.self,
        latencies,
        errors,
        retries,
        errorReplies,
        puts,
      };
      await ctx.send(options.collector, report);
    }
  };
}

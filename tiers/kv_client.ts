/**
 * A key-value client: sends requests, measures each latency on the runtime's clock, retransmits
 * a request whose reply does not come in time (same request id, so the server executes it at most
 * once) and reports to a collector.
 * @module
 */
import { TimeoutError, UnknownProcessError } from "../core/errors.ts";
import type { ProcessFn } from "../core/process.ts";
import type { KvReply, KvRequest } from "./kv_protocol.ts";

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
}

/** What a client reports when it is done. */
export interface KvReport {
  readonly kind: "report";
  readonly client: string;
  readonly latencies: number[];
  readonly errors: number;
  readonly retries: number;
}

const LETTERS = "xyzwabcdefghijklmnopqrstuv";

function keyName(index: number): string {
  return index < LETTERS.length ? LETTERS[index] : `k${index}`;
}

/**
 * A client process.
 *
 * @example Three requests against a server
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator.ts";
 * import { kvClient } from "./kv_client.ts";
 * import { kvServer } from "./kv_server.ts";
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("m1.lab").spawn("kv", kvServer());
 * sim.machine("m2.lab").spawn("c1", kvClient({ server: "kv@m1.lab", requests: 3, collector: "ctl@m0.lab" }));
 * let report: { latencies: number[] } | undefined;
 * sim.machine("m0.lab").spawn("ctl", async (ctx) => { report = (await ctx.receive<{ latencies: number[] }>()).body; });
 * await sim.run();
 * assert.equal(report?.latencies.length, 3);
 * ```
 */
export function kvClient(options: KvClientOptions): ProcessFn {
  const requests = options.requests ?? 10;
  const keys = options.keys ?? 5;
  const writeRatio = options.writeRatio ?? 0.3;
  const timeout = options.timeout ?? 500;
  const attempts = options.attempts ?? 4;
  return async (ctx) => {
    const name = ctx.self.slice(0, ctx.self.indexOf("@"));
    const latencies: number[] = [];
    let errors = 0, retries = 0;
    for (let i = 1; i <= requests; i++) {
      const key = keyName(Math.floor(ctx.random() * keys));
      const rid = `${name}-${i}`;
      const request: KvRequest = ctx.random() < writeRatio
        ? { kind: "put", key, value: String(i), rid }
        : { kind: "get", key, rid };
      const start = ctx.now();
      let done = false;
      for (let attempt = 1; attempt <= attempts && !done; attempt++) {
        try {
          const reply = await ctx.request<KvReply>(options.server, request, { timeout });
          if (reply.body.kind === "error") errors++;
          else latencies.push(ctx.now() - start);
          done = true;
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
      if (!done) errors++;
    }
    if (options.collector !== undefined) {
      const report: KvReport = { kind: "report", client: ctx.self, latencies, errors, retries };
      await ctx.send(options.collector, report);
    }
  };
}

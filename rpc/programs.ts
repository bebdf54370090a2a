/**
 * Programs of the RPC architecture, by name, for the lab to start on any machine (in the
 * simulator or inside a machine that is its own OS process). Arguments are JSON.
 * @module
 */
import type { Program } from "../core/process.ts";
import { type OrphanPolicy, orphanPolicy } from "./orphan_policy.ts";
import { RpcClient } from "./rpc_client.ts";
import { serveRpc } from "./skeleton_process.ts";
import { type WorkService, workService } from "./work_service.ts";

/** Arguments of the `rpc-client` program. */
export interface RpcClientArgs {
  /** Servers of the work service, called in turn. */
  readonly servers: readonly string[];
  /** Calls to make. @default 4 */
  readonly calls?: number;
  /** Units of work per call. @default 100 */
  readonly work?: number;
  /** The orphan policy. @default "none" */
  readonly policy?: OrphanPolicy;
  /** Expiration's quantum in ms. @default 20 */
  readonly quantum?: number;
  /** Ms to wait for each reply. @default 10000 */
  readonly timeout?: number;
}

/**
 * Every program of this architecture, by name: `rpc-server` (the work service behind a skeleton;
 * arguments `policy` and `step`) and `rpc-client` (calls it, with {@link RpcClientArgs}). The
 * client keeps its call log and epoch on its machine's disk (`ctx.disk`), and its progress in the
 * program's closure: in the simulator both survive a crash of the machine (its boot processes
 * restart from the same closure); in a real OS process the progress is lost with it, and the
 * disk too unless the host was given a file.
 *
 * @example Starting the pair by name
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { programs } from "./programs.ts";
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("s1.lab").spawn("rpc", programs["rpc-server"]({ step: 1 }));
 * sim.machine("c1.lab").spawn("client", programs["rpc-client"]({ servers: ["rpc@s1.lab"], calls: 2, work: 5 }));
 * await sim.run();
 * assert.ok(sim.trace.events.some((e) => e.ev === "log" && e.note === "client: 2 calls done"));
 * assert.throws(() => programs["rpc-client"]({ servers: [], policy: "nope" }), TypeError);
 * ```
 */
export const programs: Readonly<Record<string, Program>> = {
  "rpc-server": (args) =>
    serveRpc<WorkService>(workService, {
      policy: orphanPolicy(args.policy ?? "none"),
      step: typeof args.step === "number" ? args.step : 1,
    }),
  "rpc-client": (raw) => {
    const args = raw as unknown as RpcClientArgs;
    const policy = orphanPolicy(args.policy ?? "none");
    if (!Array.isArray(args.servers) || args.servers.length === 0) {
      throw new TypeError(
        `Cannot start rpc-client: servers ${
          JSON.stringify(args.servers)
        } must list at least one server`,
      );
    }
    let done = 0;
    return async (ctx) => {
      const rpc = await RpcClient.boot(ctx, {
        policy,
        servers: args.servers,
        quantum: args.quantum ?? 20,
      });
      const calls = args.calls ?? 4;
      for (; done < calls; done++) {
        const server = args.servers[done % args.servers.length];
        await rpc.stub<WorkService>(server, { timeout: args.timeout ?? 10_000 }).crunch(
          args.work ?? 100,
        );
      }
      ctx.log(`client: ${done} calls done`);
    };
  },
};

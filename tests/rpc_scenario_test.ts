/**
 * The RPC skeleton's dispatcher as a data-driven scenario (`tests/testdata/rpc_call_dispatcher.txt`):
 * calls, kills and epochs in; the computations it runs, kills or probes, and its refusals, out.
 * `UPDATE_TESTDATA=1` rewrites the effect lines.
 * @module
 */
import type { Protocol } from "../core/protocol/mod.ts";
import { CallDispatcher, orphanPolicy } from "../rpc/mod.ts";
import { runScenario } from "./_scenario.ts";

Deno.test("CallDispatcher runs calls and kills orphans by extermination and reincarnation (scenario)", async () => {
  await runScenario(
    new URL("./testdata/rpc_call_dispatcher.txt", import.meta.url),
    (args) => new CallDispatcher(orphanPolicy(args.policy)) as Protocol,
  );
});

/**
 * Programs of the transactions architecture, by name, for the lab to start on any machine (in
 * the simulator or inside a machine that is its own OS process). Arguments are JSON; stable
 * storage is the machine's disk (in the simulator it outlives the machine's crashes), or a SQLite
 * file named by `path` (one per machine for real OS processes).
 * @module
 */
import type { Program } from "../core/process.ts";
import { type CoordinatorOptions, transactionCoordinator } from "./coordinator_process.ts";
import { type ParticipantOptions, transactionParticipant } from "./participant_process.ts";
import { transferClient, type TransferClientOptions } from "./transfer_client.ts";

/**
 * Every program of this architecture: `tx-coordinator` ({@link CoordinatorOptions}),
 * `tx-participant` ({@link ParticipantOptions}) and `tx-transfer-client`
 * ({@link TransferClientOptions}).
 *
 * @example Starting a participant by name
 * ```ts
 * import assert from "node:assert/strict";
 * import { programs } from "./programs.ts";
 * assert.equal(typeof programs["tx-participant"]({ initial: { acct0: 100 } }), "function");
 * assert.throws(() => programs["tx-coordinator"]({ failpoint: "never" }), TypeError);
 * ```
 */
export const programs: Readonly<Record<string, Program>> = {
  "tx-coordinator": (args) => transactionCoordinator(args as CoordinatorOptions),
  "tx-participant": (args) => transactionParticipant(args as ParticipantOptions),
  "tx-transfer-client": (args) => transferClient(args as unknown as TransferClientOptions),
};

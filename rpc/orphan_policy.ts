/**
 * The remedies for orphan computations (seed 004 §2.3, "Fallos del cliente"), as a closed set of
 * policies shared by a client (`RpcClient`) and its servers (`serveRpc`):
 *
 * - `none`: the orphan runs to the end and its reply finds nobody.
 * - `extermination`: the client stub logs each call in stable storage before sending it; after a
 *   restart it reads the log and asks the servers to kill what it finds.
 * - `reincarnation`: an epoch is an incarnation of a client machine (it changes only when the
 *   machine crashes and restarts, and all its clients share it); the first client to boot after
 *   a restart declares the new epoch to every server; servers kill that machine's computations
 *   of older epochs and refuse its calls of older epochs (Nelson's reincarnation).
 * - `gentle`: on a client machine's new epoch servers kill only those of its older computations
 *   whose owner cannot be located.
 * - `expiration`: each call gets a quantum; a computation must ask its caller for another one, so
 *   an orphan does at most one quantum of work after its owner is gone.
 * @module
 */

/** An orphan policy. */
export type OrphanPolicy = "none" | "extermination" | "reincarnation" | "gentle" | "expiration";

/** Every orphan policy, `none` first. */
export const ORPHAN_POLICIES: readonly OrphanPolicy[] = [
  "none",
  "extermination",
  "reincarnation",
  "gentle",
  "expiration",
];

/**
 * Checks that `value` names an orphan policy.
 *
 * @throws {TypeError} quoting the value and listing the policies.
 * @example Parsing a policy
 * ```ts
 * import assert from "node:assert/strict";
 * import { orphanPolicy } from "./orphan_policy.ts";
 * assert.equal(orphanPolicy("gentle"), "gentle");
 * assert.throws(() => orphanPolicy("kill-all"), /use one of none, extermination/);
 * ```
 */
export function orphanPolicy(value: unknown): OrphanPolicy {
  if (ORPHAN_POLICIES.includes(value as OrphanPolicy)) return value as OrphanPolicy;
  throw new TypeError(
    `Cannot use orphan policy ${JSON.stringify(value)}: use one of ${ORPHAN_POLICIES.join(", ")}`,
  );
}

/**
 * When a run authenticates its frames (`--auth`), a machine started by hand and the lab prove to
 * each other that they hold the run's key before the machine joins: each sends a fresh nonce,
 * each answers the other's with an HMAC under the key, bound to the machine's name and to who
 * answers. The key itself never crosses the network.
 * @module
 */
import { timingSafeEqual } from "node:crypto";
import { AuthKey } from "../../core/auth/auth_key.ts";

/**
 * A fresh random nonce (hex): a security token, not a draw of the run, so not from its seed.
 *
 * @example Two nonces differ
 * ```ts
 * import assert from "node:assert/strict";
 * import { joinNonce } from "./_join_proof.ts";
 * assert.notEqual(joinNonce(), joinNonce());
 * assert.match(joinNonce(), /^[0-9a-f]{32}$/);
 * ```
 */
export function joinNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The answer of `who` to `nonce` for machine `machine` under `key`.
 *
 * @example The lab's answer is not the machine's
 * ```ts
 * import assert from "node:assert/strict";
 * import { AuthKey } from "../../core/auth/auth_key.ts";
 * import { joinProof } from "./_join_proof.ts";
 * const key = new AuthKey("k");
 * assert.notEqual(joinProof(key, "lab", "m1.lab", "n"), joinProof(key, "node", "m1.lab", "n"));
 * ```
 */
export function joinProof(
  key: AuthKey,
  who: "lab" | "node",
  machine: string,
  nonce: string,
): string {
  return key.mac(`archlab join ${who} ${machine} ${nonce}`);
}

/**
 * Whether `proof` is `who`'s answer to `nonce` for `machine` under `key` (in constant time).
 *
 * @example Right and wrong key
 * ```ts
 * import assert from "node:assert/strict";
 * import { AuthKey } from "../../core/auth/auth_key.ts";
 * import { joinProof, provesKey } from "./_join_proof.ts";
 * const proof = joinProof(new AuthKey("k"), "node", "m1.lab", "n");
 * assert.equal(provesKey(new AuthKey("k"), "node", "m1.lab", "n", proof), true);
 * assert.equal(provesKey(new AuthKey("other"), "node", "m1.lab", "n", proof), false);
 * ```
 */
export function provesKey(
  key: AuthKey,
  who: "lab" | "node",
  machine: string,
  nonce: string,
  proof: unknown,
): boolean {
  if (typeof proof !== "string") return false;
  const expected = new TextEncoder().encode(joinProof(key, who, machine, nonce));
  const given = new TextEncoder().encode(proof);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export { AuthKey };

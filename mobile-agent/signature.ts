/**
 * Code integrity: the owner signs an agent package with HMAC-SHA256 under a key it shares with
 * the nodes; a node checks the signature before it runs anything, and checks the source against
 * the package's SHA-256 when the source arrives. The nodes hold the key too (they re-sign the new
 * state on departure); agents never see it. Synchronous (`node:crypto`), so the simulator can use
 * it.
 * @module
 */
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";
import type { AgentPackage } from "./agent_package.ts";

/**
 * JSON with object keys sorted at every level: equal values give equal text.
 *
 * @example Key order does not matter
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalJson } from "./signature.ts";
 * assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
 * ```
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/**
 * HMAC-SHA256 (hex) of the package under `key`.
 *
 * @example Signing is deterministic
 * ```ts
 * import assert from "node:assert/strict";
 * import { signPackage } from "./signature.ts";
 * const pkg = { v: 1, id: "a" } as never;
 * assert.equal(signPackage(pkg, "k"), signPackage(pkg, "k"));
 * assert.notEqual(signPackage(pkg, "k"), signPackage(pkg, "other"));
 * ```
 */
export function signPackage(pkg: AgentPackage, key: string): string {
  if (typeof key !== "string" || key === "") {
    throw new TypeError(`Cannot sign agent package: key ${JSON.stringify(key)} is empty`);
  }
  return createHmac("sha256", key).update(canonicalJson(pkg)).digest("hex");
}

/** A package with the signature that came with it. */
export interface SignedPackage {
  /** The package. */
  readonly pkg: AgentPackage;
  /** Its HMAC-SHA256 (hex), if any. */
  readonly sig?: unknown;
}

/**
 * Checks a package's signature; returns why it is refused, or `undefined` when it is good.
 *
 * @example Unsigned and altered packages are refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { signPackage, verifyPackage } from "./signature.ts";
 * const pkg = { v: 1, id: "a", state: 1 } as never;
 * const sig = signPackage(pkg, "k");
 * assert.equal(verifyPackage({ pkg, sig }, "k"), undefined);
 * assert.match(verifyPackage({ pkg }, "k") ?? "", /unsigned/);
 * assert.match(verifyPackage({ pkg: { ...(pkg as object), state: 2 } as never, sig }, "k") ?? "", /altered/);
 * ```
 */
export function verifyPackage(signed: SignedPackage, key: string): string | undefined {
  const { pkg, sig: signature } = signed;
  if (signature === undefined || signature === null || signature === "") {
    return "unsigned: the package carries no signature; sign it with the shared key";
  }
  if (typeof signature !== "string" || !/^[0-9a-f]{64}$/.test(signature)) {
    return `signature ${JSON.stringify(signature).slice(0, 80)} is not 64 hex digits (HMAC-SHA256)`;
  }
  const expected = Buffer.from(signPackage(pkg, key), "hex");
  if (!timingSafeEqual(expected, Buffer.from(signature, "hex"))) {
    return "signature does not match the package: it was altered or signed with another key";
  }
  return undefined;
}
